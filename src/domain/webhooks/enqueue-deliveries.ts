import type { MemberLeftEvent } from '../../generated/prisma/client.js'
import type { Tx } from '../transaction.js'

/**
 * Writes one PENDING delivery per event and enabled endpoint, in one statement, inside the
 * exit's transaction: a committed exit always has its deliveries, a rolled-back one none.
 * The id (`msg_…`) is the webhook-id header of every attempt.
 */
export async function enqueueWebhookDeliveries(tx: Tx, events: MemberLeftEvent[]): Promise<void> {
  if (events.length === 0) return
  await tx.$executeRawUnsafe(
    `INSERT INTO "WebhookDelivery" (id, "endpointId", "eventId", "nextAttemptAt", "createdAt")
     SELECT 'msg_' || replace(gen_random_uuid()::text, '-', ''), e.id, ev.id, ev."occurredAt", ev."occurredAt"
       FROM "WebhookEndpoint" e
      CROSS JOIN (SELECT unnest($1::text[])::bigint AS id, unnest($2::timestamp[]) AS "occurredAt") AS ev
      WHERE e.enabled`,
    events.map((event) => event.id.toString()),
    events.map((event) => event.occurredAt.toISOString().replace('Z', '')),
  )
}
