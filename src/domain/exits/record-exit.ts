import type { ExitType, LeaveReason, MemberLeftEvent } from '../../generated/prisma/client.js'
import type { Tx } from '../transaction.js'

export interface ExitInput {
  exitType: ExitType
  reason: LeaveReason | null
  groupGuid?: string
  chatRoomId?: string
  memberUids: string[]
  operatorUid: string | null
  /** The operator's token subject (webhooks name it when the app admin acts without a user). */
  operatorSub?: string | null
  occurredAt: Date
}

/**
 * Events whose exit wrote at least one webhook delivery, so that only those wake the
 * dispatcher (a nudge costs a query; with no endpoint there is nothing to send).
 */
const withDeliveries = new WeakSet<MemberLeftEvent>()

export function wroteWebhookDeliveries(event: MemberLeftEvent): boolean {
  return withDeliveries.has(event)
}

/** A row of exitLogWrites' `ev`, with the number of deliveries written, as the adapter returns it. */
export interface RecordedRow extends MemberLeftEvent {
  deliveries: number
}

/**
 * The WITH entries that append events and their webhook deliveries (the outbox: committed, or
 * rolled back, with the exit): `ev` (the events, from a JSON array parameter, in its order) and
 * `deliveries` (one per event and enabled endpoint). `eventsParam` is that parameter's number;
 * pass exitsAsParam(exits) as its value, and select recordedColumns from the statement.
 * Each event keeps its writing transaction's id (the column default), so readers order events
 * by (txid, id) and read only below the read horizon (exit-log.ts): no lock is needed, and
 * exits of different groups commit concurrently.
 */
export function exitLogWrites(eventsParam: number): string {
  return `ev AS (
       INSERT INTO "MemberLeftEvent" ("exitType", reason, "groupGuid", "chatRoomId", "memberUids", "operatorUid", "operatorSub", "occurredAt")
       SELECT (x.e->>'exitType')::"ExitType", (x.e->>'reason')::"LeaveReason", x.e->>'groupGuid', x.e->>'chatRoomId',
              ARRAY(SELECT jsonb_array_elements_text(x.e->'memberUids')), x.e->>'operatorUid', x.e->>'operatorSub',
              (x.e->>'occurredAt')::timestamptz AT TIME ZONE 'UTC'
         FROM jsonb_array_elements($${eventsParam}::jsonb) WITH ORDINALITY AS x(e, n)
        ORDER BY x.n
       RETURNING *),
     deliveries AS (
       INSERT INTO "WebhookDelivery" (id, "endpointId", "eventId", "nextAttemptAt", "createdAt")
       SELECT 'msg_' || replace(gen_random_uuid()::text, '-', ''), e.id, ev.id, ev."occurredAt", ev."occurredAt"
         FROM "WebhookEndpoint" e CROSS JOIN ev
        WHERE e.enabled
       RETURNING 1)`
}

/** What a statement with exitLogWrites selects: the events, each with the deliveries count. */
export const recordedColumns = `ev.*, (SELECT count(*) FROM deliveries)::int AS deliveries`

export function exitsAsParam(exits: ExitInput[]): string {
  return JSON.stringify(
    exits.map((exit) => ({
      exitType: exit.exitType,
      reason: exit.reason,
      groupGuid: exit.groupGuid ?? null,
      chatRoomId: exit.chatRoomId ?? null,
      memberUids: exit.memberUids,
      operatorUid: exit.operatorUid,
      operatorSub: exit.operatorSub ?? exit.operatorUid,
      occurredAt: exit.occurredAt.toISOString(),
    })),
  )
}

/** The events of a statement with exitLogWrites, in insertion order. */
export function recordedEvents(rows: RecordedRow[]): MemberLeftEvent[] {
  return [...rows]
    .sort((a, b) => (a.id < b.id ? -1 : 1))
    .map(({ deliveries, ...event }) => {
      if (deliveries > 0) withDeliveries.add(event)
      return event
    })
}

/** Appends the transaction's MemberLeftEvents, in the order given, with their webhook deliveries, in one statement. */
export async function recordExits(tx: Tx, exits: ExitInput[]): Promise<MemberLeftEvent[]> {
  if (exits.length === 0) return []
  const rows = await tx.$queryRawUnsafe<RecordedRow[]>(`WITH ${exitLogWrites(1)} SELECT ${recordedColumns} FROM ev`, exitsAsParam(exits))
  return recordedEvents(rows)
}

/** One exit: recordExits with a single event. */
export async function recordExit(tx: Tx, exit: ExitInput): Promise<MemberLeftEvent> {
  const [event] = await recordExits(tx, [exit])
  return event
}
