import type { ExitType, Group, GroupAction, LeaveReason, MemberLeftEvent, MemberScope } from '../../generated/prisma/client.js'
import type { Actor } from '../actor.js'
import { OwnerMustTransferError } from '../errors.js'
import { recordExit } from '../exits/record-exit.js'
import type { Tx } from '../transaction.js'
import { isOperatorScope } from './scopes.js'

export interface DepartingMember {
  uid: string
  scope: MemberScope
}

export interface ExitRequest {
  /** Locked with lockGroup in this transaction. */
  group: Group
  /** Current members, read under the group lock. */
  members: DepartingMember[]
  exitType: ExitType
  reason: LeaveReason | null
  action: Extract<GroupAction, 'LEFT' | 'KICKED' | 'BANNED'>
  operator: Actor
  /** Whether departing ADMINs and MODERATORs get their scope back when they return. */
  keepOperatorStatus: boolean
  /**
   * Only the app admin may remove the owner without a successor (the group is then ownerless
   * until the app admin transfers ownership); every other path must transfer or dissolve first.
   */
  ownerMayLeave: boolean
  now: Date
}

/**
 * The one way members leave a live group: membership rows, one action message per member and
 * one MemberLeftEvent, all in the caller's transaction. The ownership rule is checked here, so
 * no operation can remove an owner by a path that forgot about it.
 */
export async function exitMembers(tx: Tx, request: ExitRequest): Promise<MemberLeftEvent> {
  const { group, members, operator, now } = request
  const uids = members.map((m) => m.uid)
  const ownerLeaves = group.ownerUid !== null && uids.includes(group.ownerUid)
  if (ownerLeaves && !request.ownerMayLeave) throw new OwnerMustTransferError(group.guid)

  const deleted = await tx.groupMember.deleteMany({ where: { groupGuid: group.guid, uid: { in: uids } } })
  if (deleted.count !== uids.length) {
    throw new Error(`exitMembers: expected to remove ${uids.length} members of ${group.guid}, removed ${deleted.count}`)
  }
  if (ownerLeaves) await tx.group.update({ where: { guid: group.guid }, data: { ownerUid: null } })

  await tx.retainedScope.deleteMany({ where: { groupGuid: group.guid, uid: { in: uids } } })
  const operators = request.keepOperatorStatus ? members.filter((m) => isOperatorScope(m.scope)) : []
  if (operators.length > 0) {
    await tx.retainedScope.createMany({
      data: operators.map((m) => ({ groupGuid: group.guid, uid: m.uid, scope: m.scope })),
    })
  }

  await tx.message.createMany({
    data: uids.map((uid) => {
      const byThemselves = request.action === 'LEFT'
      return {
        groupGuid: group.guid,
        kind: 'ACTION' as const,
        sentAt: now,
        action: request.action,
        actionByUid: byThemselves ? uid : operator.uid,
        actionOnUid: byThemselves ? null : uid,
        reason: request.reason,
      }
    }),
  })

  return recordExit(tx, {
    exitType: request.exitType,
    reason: request.reason,
    groupGuid: group.guid,
    memberUids: uids,
    operatorUid: operator.uid,
    occurredAt: now,
  })
}
