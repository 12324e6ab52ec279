import type { Group, GroupMember, MemberLeftEvent, User } from '../../generated/prisma/client.js'
import type { Actor } from '../actor.js'
import type { DomainDeps } from '../deps.js'
import { InsufficientScopeError, UserNotFoundError } from '../errors.js'
import { recordExits, type ExitInput } from '../exits/record-exit.js'
import { inTransaction, type Outcome, type Tx } from '../transaction.js'
import { requireId } from '../validation.js'
import { dissolveGroup } from '../groups/dissolve-group.js'
import { exitMembers } from '../groups/exit-members.js'
import { lockGroups } from '../groups/group-lock.js'
import { passOwnership } from '../groups/transfer-ownership.js'

const SUCCESSION_ORDER = ['ADMIN', 'MODERATOR', 'PARTICIPANT'] as const

/** The longest-standing ADMIN, else MODERATOR, else member: who inherits a departing owner's group. */
export async function findSuccessor(tx: Tx, guid: string, ownerUid: string): Promise<GroupMember | null> {
  const candidates = await tx.groupMember.findMany({
    where: { groupGuid: guid, uid: { not: ownerUid } },
    orderBy: [{ joinedAt: 'asc' }, { uid: 'asc' }],
  })
  for (const scope of SUCCESSION_ORDER) {
    const found = candidates.find((c) => c.scope === scope)
    if (found) return found
  }
  return null
}

/**
 * The app admin deactivates a user: its tokens stop working at once and, when its
 * leaveAllWhenDeactivated is true, it leaves every group and chat room (one DEACTIVATED event
 * for each).
 * Groups it owns follow their policy: DISSOLVE groups are dissolved; TRANSFER_REQUIRED groups
 * pass to findSuccessor's choice first, or are dissolved when nobody else is in them.
 */
export function deactivateUser(
  deps: DomainDeps,
  actor: Actor,
  input: { uid: string },
): Promise<Outcome<{ user: User; events: MemberLeftEvent[] }>> {
  if (!actor.isAppAdmin) throw new InsufficientScopeError('only the app admin may deactivate users')
  const uid = requireId('uid', input.uid)
  return inTransaction(deps, async (tx) => {
    const existing = await tx.user.findUnique({ where: { uid } })
    if (!existing) throw new UserNotFoundError(uid)
    const now = deps.clock.now()
    const user = await tx.user.update({
      where: { uid },
      data: { deactivatedAt: existing.deactivatedAt ?? now, tokensValidAfter: now },
    })
    if (!user.leaveAllWhenDeactivated) return { value: { user, events: [] }, events: [], signedOut: [uid] }

    const memberships = await tx.groupMember.findMany({ where: { uid } })
    const groups = await lockGroups(tx, memberships.map((m) => m.groupGuid))
    const current = new Map((await tx.groupMember.findMany({ where: { uid } })).map((m) => [m.groupGuid, m]))
    const events: MemberLeftEvent[] = []
    for (const group of groups) {
      const membership = current.get(group.guid)
      if (!membership) continue
      events.push(await leaveOnDeactivation(tx, group, membership, actor, now))
    }
    events.push(...(await recordExits(tx, await leaveChatRoomsOnDeactivation(tx, uid, actor, now))))
    return { value: { user, events }, events, signedOut: [uid] }
  })
}

async function leaveOnDeactivation(tx: Tx, group: Group, membership: GroupMember, operator: Actor, now: Date): Promise<MemberLeftEvent> {
  let departing = { group, scope: membership.scope }
  if (group.ownerUid === membership.uid) {
    const successor = group.ownerLeavePolicy === 'TRANSFER_REQUIRED' ? await findSuccessor(tx, group.guid, membership.uid) : null
    if (!successor) return (await dissolveGroup(tx, group, { operator, reason: 'ADMIN_DEACTIVATED', now })).event
    // passOwnership makes the old owner an ADMIN, which is the scope it leaves with.
    departing = { group: await passOwnership(tx, group, successor.uid, operator, now), scope: 'ADMIN' }
  }
  const { event } = await exitMembers(tx, {
    group: departing.group,
    members: [{ uid: membership.uid, scope: departing.scope }],
    exitType: 'DEACTIVATED',
    reason: 'ADMIN_DEACTIVATED',
    action: 'KICKED',
    operator,
    keepOperatorStatus: true,
    ownerMayLeave: false,
    now,
  })
  return event
}

/** Chat rooms have no owner: the user simply leaves each one (one DEACTIVATED event per room). */
async function leaveChatRoomsOnDeactivation(tx: Tx, uid: string, operator: Actor, now: Date): Promise<ExitInput[]> {
  const left = await tx.$queryRawUnsafe<{ chatRoomId: string }[]>(`DELETE FROM "ChatRoomMember" WHERE uid = $1 RETURNING "chatRoomId"`, uid)
  return left
    .map((row) => row.chatRoomId)
    .sort()
    .map((chatRoomId) => ({
      exitType: 'DEACTIVATED' as const,
      reason: 'ADMIN_DEACTIVATED' as const,
      chatRoomId,
      memberUids: [uid],
      operatorUid: operator.uid,
      operatorSub: operator.sub,
      occurredAt: now,
    }))
}
