import type { PrismaClient, WebhookDeliveryStatus } from '../generated/prisma/client.js'

/** How many deliveries are in each status. */
export interface DeliveryCounts {
  pending: number
  succeeded: number
  dead: number
}

/**
 * Deliveries in the outbox per status: one GROUP BY over the whole table (an index-only scan of
 * its status index), so it costs in proportion to the deliveries kept.
 */
export async function countWebhookDeliveries(prisma: PrismaClient): Promise<Partial<Record<WebhookDeliveryStatus, number>>> {
  const rows = await prisma.webhookDelivery.groupBy({ by: ['status'], _count: { _all: true } })
  return Object.fromEntries(rows.map((row) => [row.status, row._count._all]))
}

/**
 * Deliveries per status of each endpoint asked for, in the order asked (zeros for an endpoint
 * with none, or with no row): one GROUP BY over the endpoint's (endpointId, status, …) index,
 * whatever the number of endpoints.
 */
export async function countWebhookDeliveriesByEndpoint(prisma: PrismaClient, endpointIds: readonly string[]): Promise<DeliveryCounts[]> {
  const rows = await prisma.webhookDelivery.groupBy({
    by: ['endpointId', 'status'],
    where: { endpointId: { in: [...new Set(endpointIds)] } },
    _count: { _all: true },
  })
  const byEndpoint = new Map<string, DeliveryCounts>()
  for (const row of rows) {
    const counts = byEndpoint.get(row.endpointId) ?? { pending: 0, succeeded: 0, dead: 0 }
    counts[COUNT_OF[row.status]] = row._count._all
    byEndpoint.set(row.endpointId, counts)
  }
  return endpointIds.map((id) => byEndpoint.get(id) ?? { pending: 0, succeeded: 0, dead: 0 })
}

const COUNT_OF: Record<WebhookDeliveryStatus, keyof DeliveryCounts> = { PENDING: 'pending', SUCCEEDED: 'succeeded', DEAD: 'dead' }
