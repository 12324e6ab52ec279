import type { Group, MemberLeftEvent } from '../../generated/prisma/client.js'
import type { Actor } from '../actor.js'
import type { DomainDeps } from '../deps.js'
import { InsufficientScopeError, InvalidInputError, UserNotFoundError } from '../errors.js'
import { inTransaction, type Outcome, type Tx } from '../transaction.js'
import { requireId, requireStorable } from '../validation.js'
import { findMembership, lockGroup } from './group-lock.js'
import { removeByOperator } from './remove-members.js'
import { callerRank, rankOf } from './scopes.js'

/** Banning and unbanning need a scope above PARTICIPANT, or the app admin. */
async function assertMayBan(tx: Tx, group: Group, actor: Actor): Promise<void> {
  if (actor.isAppAdmin) return
  const caller = await findMembership(tx, group.guid, actor.uid)
  if (callerRank(actor, caller?.scope ?? null) <= rankOf('PARTICIPANT')) {
    throw new InsufficientScopeError(`only the owner, ADMINs and MODERATORs of ${group.guid} may ban or unban`)
  }
}

/**
 * Bans a user: a member is removed (BANNED) and loses any operator status it would get back;
 * a non-member is only kept out. Either way joinGroup and addMembers answer ERR_BANNED until
 * unbanned. Banning again updates the reason.
 */
export function banGroupMember(
  deps: DomainDeps,
  actor: Actor,
  input: { guid: string; uid: string; reason?: string | null },
): Promise<Outcome<{ group: Group; event: MemberLeftEvent | null }>> {
  const guid = requireId('guid', input.guid)
  const uid = requireId('uid', input.uid)
  const reason = input.reason ?? null
  if (reason !== null) requireStorable('reason', reason)
  if (reason !== null && [...reason].length > 500) throw new InvalidInputError('reason', 'must be at most 500 characters')
  return inTransaction(deps, async (tx) => {
    const group = await lockGroup(tx, guid)
    await assertMayBan(tx, group, actor)
    if (!(await tx.user.findUnique({ where: { uid }, select: { uid: true } }))) throw new UserNotFoundError(uid)
    const target = await findMembership(tx, guid, uid)
    let event: MemberLeftEvent | null = null
    let after = group
    // A member leaves through removeByOperator, which also forgets its operator status.
    if (!target) await tx.retainedScope.deleteMany({ where: { groupGuid: guid, uid } })
    await tx.groupBan.upsert({
      where: { groupGuid_uid: { groupGuid: guid, uid } },
      create: { groupGuid: guid, uid, reason, bannedByUid: actor.uid },
      update: { reason, bannedByUid: actor.uid },
    })
    if (target) {
      const removal = await removeByOperator(tx, group, actor, [target], { exitType: 'BANNED', keepOperatorStatus: false, now: deps.clock.now() })
      after = removal.group
      event = removal.event
    }
    return { value: { group: after, event }, events: event ? [event] : [] }
  })
}

/** Lifts a ban (an UNBANNED action message is recorded); unbanning a user who is not banned changes nothing. */
export function unbanGroupMember(
  deps: DomainDeps,
  actor: Actor,
  input: { guid: string; uid: string },
): Promise<Outcome<{ group: Group }>> {
  const guid = requireId('guid', input.guid)
  const uid = requireId('uid', input.uid)
  return inTransaction(deps, async (tx) => {
    const group = await lockGroup(tx, guid)
    await assertMayBan(tx, group, actor)
    const lifted = await tx.groupBan.deleteMany({ where: { groupGuid: guid, uid } })
    if (lifted.count > 0) {
      await tx.message.create({
        data: { groupGuid: guid, kind: 'ACTION', action: 'UNBANNED', actionByUid: actor.uid, actionOnUid: uid, sentAt: deps.clock.now() },
      })
    }
    return { value: { group }, events: [] }
  })
}
