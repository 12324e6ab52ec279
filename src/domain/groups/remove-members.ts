import type { Group, GroupMember, LeaveReason, MemberLeftEvent, User } from '../../generated/prisma/client.js'
import type { Actor } from '../actor.js'
import type { DomainDeps } from '../deps.js'
import { InsufficientScopeError, InvalidInputError, MembersNotFoundError, NotAMemberError } from '../errors.js'
import { inTransaction, type Outcome, type Tx } from '../transaction.js'
import { requireId, requireIds } from '../validation.js'
import { exitMembers } from './exit-members.js'
import { findMembership, lockGroup } from './group-lock.js'
import { callerRank, outranks } from './scopes.js'

export const MAX_REMOVE_UIDS = 1000

export interface RemoveMembersInput {
  guid: string
  uids?: string[] | null
  removeAll?: boolean | null
  reason?: LeaveReason | null
  removeOperatorStatus?: boolean | null
}

export interface RemoveMembersResult {
  group: Group
  removed: User[]
  notMembers: string[]
  event: MemberLeftEvent | null
}

type MemberWithUser = GroupMember & { user: User }

/**
 * Checks that the caller may remove every one of the members (strictly lower scope; the app
 * admin anyone, the owner included) before anything is removed: one refusal fails the call.
 */
async function assertMayRemove(tx: Tx, group: Group, actor: Actor, targets: GroupMember[]): Promise<void> {
  const caller = actor.isAppAdmin ? null : await findMembership(tx, group.guid, actor.uid)
  if (!actor.isAppAdmin && !caller) throw new InsufficientScopeError(`only members of ${group.guid} with a higher scope may remove members`)
  const rank = callerRank(actor, caller?.scope ?? null)
  const refused = targets.filter((t) => !outranks(rank, t.scope))
  if (refused.length > 0) {
    const shown = refused.slice(0, 10).map((t) => `${t.uid} (${t.scope})`).join(', ')
    throw new InsufficientScopeError(
      `you may remove only members with a scope lower than yours; refused: ${shown}${refused.length > 10 ? ', …' : ''}`,
    )
  }
}

export interface OperatorRemoval {
  exitType: 'KICKED' | 'BANNED'
  /** Default: ADMIN_REMOVED for the app admin, CHANNEL_OPERATOR_REMOVED for a group operator. */
  reason?: LeaveReason
  keepOperatorStatus: boolean
  now: Date
}

/**
 * Members removed by someone else (kick, ban, batch removal): the caller must outrank each
 * of them, and only the app admin may remove the owner (leaving the group ownerless).
 * Returns the group as it leaves it and the event.
 */
export async function removeByOperator(
  tx: Tx,
  group: Group,
  actor: Actor,
  targets: GroupMember[],
  removal: OperatorRemoval,
): Promise<{ group: Group; event: MemberLeftEvent }> {
  await assertMayRemove(tx, group, actor, targets)
  return exitMembers(tx, {
    group,
    members: targets,
    exitType: removal.exitType,
    reason: removal.reason ?? (actor.isAppAdmin ? 'ADMIN_REMOVED' : 'CHANNEL_OPERATOR_REMOVED'),
    action: removal.exitType,
    operator: actor,
    keepOperatorStatus: removal.keepOperatorStatus,
    ownerMayLeave: actor.isAppAdmin,
    now: removal.now,
  })
}

/** Batch removal: KICKED, reason ADMIN_REMOVED unless given; one event for all removed. */
export function removeMembers(deps: DomainDeps, actor: Actor, input: RemoveMembersInput): Promise<Outcome<RemoveMembersResult>> {
  const guid = requireId('guid', input.guid)
  const removeAll = input.removeAll === true
  if (removeAll && input.uids) throw new InvalidInputError('uids', 'give uids or removeAll: true, not both')
  if (!removeAll && !input.uids) throw new InvalidInputError('uids', 'required unless removeAll is true')
  const uids = removeAll ? [] : requireIds('uids', input.uids!, { min: 1, max: MAX_REMOVE_UIDS })
  const reason = input.reason ?? 'ADMIN_REMOVED'

  return inTransaction<RemoveMembersResult>(deps, async (tx) => {
    const group = await lockGroup(tx, guid)
    const targets: MemberWithUser[] = await tx.groupMember.findMany({
      where: removeAll
        ? { groupGuid: guid, ...(group.ownerUid ? { uid: { not: group.ownerUid } } : {}) }
        : { groupGuid: guid, uid: { in: uids } },
      include: { user: true },
      orderBy: [{ joinedAt: 'asc' }, { uid: 'asc' }],
    })
    const found = new Set(targets.map((t) => t.uid))
    const notMembers = uids.filter((uid) => !found.has(uid))
    if (targets.length === 0) {
      if (removeAll) return { value: { group, removed: [], notMembers: [], event: null }, events: [] }
      throw new MembersNotFoundError()
    }
    const { group: after, event } = await removeByOperator(tx, group, actor, targets, {
      exitType: 'KICKED',
      reason,
      keepOperatorStatus: input.removeOperatorStatus !== true,
      now: deps.clock.now(),
    })
    return { value: { group: after, removed: targets.map((t) => t.user), notMembers, event }, events: [event] }
  })
}

/** Removes one member (KICKED); ERR_NOT_A_MEMBER when it is not one. */
export function kickGroupMember(
  deps: DomainDeps,
  actor: Actor,
  input: { guid: string; uid: string },
): Promise<Outcome<{ group: Group; event: MemberLeftEvent }>> {
  const guid = requireId('guid', input.guid)
  const uid = requireId('uid', input.uid)
  return inTransaction(deps, async (tx) => {
    const group = await lockGroup(tx, guid)
    const target = await findMembership(tx, guid, uid)
    if (!target) throw new NotAMemberError(`${uid} is not a member of ${guid}`)
    const { group: after, event } = await removeByOperator(tx, group, actor, [target], { exitType: 'KICKED', keepOperatorStatus: true, now: deps.clock.now() })
    return { value: { group: after, event }, events: [event] }
  })
}
