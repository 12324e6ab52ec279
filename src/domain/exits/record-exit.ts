import type { ExitType, LeaveReason, MemberLeftEvent } from '../../generated/prisma/client.js'
import type { Tx } from '../transaction.js'
import { enqueueWebhookDeliveries } from '../webhooks/enqueue-deliveries.js'

/** Every writer of exit events takes this lock just before inserting and holds it to commit. */
const EXIT_LOG_LOCK = 0x44455054 // "DEPT"

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
 * Appends the transaction's MemberLeftEvents, in the order given, with their webhook
 * deliveries (the outbox: committed, or rolled back, with the exit). Sequence values are handed
 * out at insert, not at commit, so a reader trusting `id > cursor` could skip a slower
 * transaction's smaller id. Holding one transaction-scoped advisory lock from the inserts to
 * commit makes id order equal commit order. Call it once, as the transaction's last write, so
 * the lock is held for as short a time as possible: operations describe their exits as they
 * go (ExitInput) and record them all at the end.
 */
export async function recordExits(tx: Tx, exits: ExitInput[]): Promise<MemberLeftEvent[]> {
  if (exits.length === 0) return []
  await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(${EXIT_LOG_LOCK})`)
  const events: MemberLeftEvent[] = []
  for (const exit of exits) {
    events.push(
      await tx.memberLeftEvent.create({
        data: {
          exitType: exit.exitType,
          reason: exit.reason,
          groupGuid: exit.groupGuid ?? null,
          chatRoomId: exit.chatRoomId ?? null,
          memberUids: exit.memberUids,
          operatorUid: exit.operatorUid,
          operatorSub: exit.operatorSub ?? exit.operatorUid,
          occurredAt: exit.occurredAt,
        },
      }),
    )
  }
  await enqueueWebhookDeliveries(tx, events)
  return events
}

/** One exit: recordExits with a single event. */
export async function recordExit(tx: Tx, exit: ExitInput): Promise<MemberLeftEvent> {
  const [event] = await recordExits(tx, [exit])
  return event
}
