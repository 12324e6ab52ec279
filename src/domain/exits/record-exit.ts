import type { ExitType, LeaveReason, MemberLeftEvent } from '../../generated/prisma/client.js'
import type { Tx } from '../transaction.js'

/** Every writer of exit events takes this lock just before inserting and holds it to commit. */
const EXIT_LOG_LOCK = 0x44455054 // "DEPT"

export interface ExitInput {
  exitType: ExitType
  reason: LeaveReason | null
  groupGuid?: string
  chatRoomId?: string
  memberUids: string[]
  operatorUid: string | null
  occurredAt: Date
}

/**
 * Appends one MemberLeftEvent. Sequence values are handed out at insert, not at commit, so a
 * reader trusting `id > cursor` could skip a slower transaction's smaller id. Holding one
 * transaction-scoped advisory lock from the insert to commit makes id order equal commit
 * order. Call it as the transaction's last write, so the lock is held for as short as possible.
 */
export async function recordExit(tx: Tx, exit: ExitInput): Promise<MemberLeftEvent> {
  await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(${EXIT_LOG_LOCK})`)
  return tx.memberLeftEvent.create({
    data: {
      exitType: exit.exitType,
      reason: exit.reason,
      groupGuid: exit.groupGuid ?? null,
      chatRoomId: exit.chatRoomId ?? null,
      memberUids: exit.memberUids,
      operatorUid: exit.operatorUid,
      occurredAt: exit.occurredAt,
    },
  })
}
