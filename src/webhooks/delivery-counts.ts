import type { PrismaClient, WebhookDeliveryStatus } from '../generated/prisma/client.js'

/**
 * Deliveries in the outbox per status: one GROUP BY over the whole table (an index-only scan of
 * its status index), so it costs in proportion to the deliveries kept.
 */
export async function countWebhookDeliveries(prisma: PrismaClient): Promise<Partial<Record<WebhookDeliveryStatus, number>>> {
  const rows = await prisma.webhookDelivery.groupBy({ by: ['status'], _count: { _all: true } })
  return Object.fromEntries(rows.map((row) => [row.status, row._count._all]))
}
