import type { Group, MemberLeftEvent } from '../../generated/prisma/client.js'
import type { Actor } from '../actor.js'
import type { DomainDeps } from '../deps.js'
import { InsufficientScopeError, UserNotFoundError } from '../errors.js'
import { inTransaction, type Outcome } from '../transaction.js'
import { requireId } from '../validation.js'
import { lockGroups } from './group-lock.js'
import { leaveByOwnChoice } from './leave-group.js'

export interface LeaveAllGroupsResult {
  events: MemberLeftEvent[]
  left: Group[]
  /** Groups the user owns under TRANSFER_REQUIRED: it stays until it transfers ownership. */
  skipped: Group[]
}

/** The user leaves every group it may leave, in one transaction: one event per group. */
export function leaveAllGroups(deps: DomainDeps, actor: Actor, input: { uid?: string | null }): Promise<Outcome<LeaveAllGroupsResult>> {
  const uid = input.uid == null ? actor.uid : requireId('uid', input.uid)
  if (!uid) throw new UserNotFoundError(actor.sub || '(none)')
  if (uid !== actor.uid && !actor.isAppAdmin) throw new InsufficientScopeError('only the app admin may make another user leave')
  return inTransaction(deps, async (tx) => {
    if (!(await tx.user.findUnique({ where: { uid }, select: { uid: true } }))) throw new UserNotFoundError(uid)
    const memberships = await tx.groupMember.findMany({ where: { uid } })
    const groups = await lockGroups(tx, memberships.map((m) => m.groupGuid))
    // Re-read under the locks: a membership may have ended while we waited.
    const current = new Map((await tx.groupMember.findMany({ where: { uid } })).map((m) => [m.groupGuid, m]))
    const left: Group[] = []
    const skipped: Group[] = []
    const events: MemberLeftEvent[] = []
    const now = deps.clock.now()
    for (const group of groups) {
      const membership = current.get(group.guid)
      if (!membership) continue
      if (group.ownerUid === uid && group.ownerLeavePolicy === 'TRANSFER_REQUIRED') {
        skipped.push(group)
        continue
      }
      const departure = await leaveByOwnChoice(tx, group, membership, actor, now)
      events.push(departure.event)
      left.push(departure.group)
    }
    return { value: { events, left, skipped }, events }
  })
}
