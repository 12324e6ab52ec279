import type { Group, GroupMember, MemberLeftEvent } from '../../generated/prisma/client.js'
import type { Actor } from '../actor.js'
import type { DomainDeps } from '../deps.js'
import { NotAMemberError } from '../errors.js'
import { inTransaction, type Outcome, type Tx } from '../transaction.js'
import { requireId } from '../validation.js'
import { dissolveGroup } from './dissolve-group.js'
import { exitMembers } from './exit-members.js'
import { lockGroup, lockGroupWithMembership } from './group-lock.js'

export interface LeaveGroupResult {
  group: Group
  event: MemberLeftEvent
  message: string
}

/**
 * A member leaves a locked group of its own choice. The owner of a DISSOLVE group dissolves it;
 * the owner of a TRANSFER_REQUIRED group is refused (exitMembers enforces that).
 */
export async function leaveByOwnChoice(
  tx: Tx,
  group: Group,
  membership: GroupMember,
  operator: Actor,
  now: Date,
): Promise<{ group: Group; event: MemberLeftEvent }> {
  if (group.ownerUid === membership.uid && group.ownerLeavePolicy === 'DISSOLVE') {
    return dissolveGroup(tx, group, { operator, reason: 'LEFT_BY_OWN_CHOICE', now })
  }
  return exitMembers(tx, {
    group,
    members: [membership],
    exitType: 'QUIT',
    reason: 'LEFT_BY_OWN_CHOICE',
    action: 'LEFT',
    operator,
    keepOperatorStatus: true,
    ownerMayLeave: false,
    now,
  })
}

export function leaveGroup(deps: DomainDeps, actor: Actor, input: { guid: string }): Promise<Outcome<LeaveGroupResult>> {
  const guid = requireId('guid', input.guid)
  return inTransaction(deps, async (tx) => {
    const { group, membership } = actor.uid ? await lockGroupWithMembership(tx, guid, actor.uid) : { group: await lockGroup(tx, guid), membership: null }
    if (!membership) throw new NotAMemberError()
    const { group: after, event } = await leaveByOwnChoice(tx, group, membership, actor, deps.clock.now())
    return { value: { group: after, event, message: `${guid} left successfully` }, events: [event] }
  })
}
