import type { Group, GroupMember, MemberLeftEvent } from '../../generated/prisma/client.js'
import type { Actor } from '../actor.js'
import type { DomainDeps } from '../deps.js'
import { NotAMemberError } from '../errors.js'
import { recordExit, type ExitInput } from '../exits/record-exit.js'
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
 * the owner of a TRANSFER_REQUIRED group is refused (exitMembers enforces that). Returns the
 * exit to record at the end of the transaction.
 */
export async function leaveByOwnChoice(
  tx: Tx,
  group: Group,
  membership: GroupMember,
  operator: Actor,
  now: Date,
): Promise<{ group: Group; exit: ExitInput }> {
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
    const left = await leaveByOwnChoice(tx, group, membership, actor, deps.clock.now())
    const event = await recordExit(tx, left.exit)
    return { value: { group: left.group, event, message: `${guid} left successfully` }, events: [event] }
  })
}
