import type { Group, GroupMember, MemberScope } from '../../generated/prisma/client.js'
import type { Actor } from '../actor.js'
import type { DomainDeps } from '../deps.js'
import { InsufficientScopeError, InvalidInputError, UserNotFoundError } from '../errors.js'
import { inTransaction, type Outcome } from '../transaction.js'
import { requireIds } from '../validation.js'
import { requireId } from '../validation.js'
import { findMembership, lockGroup } from './group-lock.js'
import { assertMayEnter, takeRetainedScopes } from './join-group.js'
import { callerRank, outranks, rankOf } from './scopes.js'

export const MAX_ADD_MEMBERS = 1000

export interface MemberToAdd {
  uid: string
  scope?: MemberScope | null
}

/**
 * The owner, ADMINs or the app admin add users. A scope may be granted only below the caller's
 * own; without one, a returning operator gets its old scope back, others are PARTICIPANTs.
 */
export function addMembers(
  deps: DomainDeps,
  actor: Actor,
  input: { guid: string; members: MemberToAdd[] },
): Promise<Outcome<{ group: Group; added: GroupMember[] }>> {
  const guid = requireId('guid', input.guid)
  const uids = requireIds('members', input.members.map((m) => m.uid), { min: 1, max: MAX_ADD_MEMBERS })
  input.members.forEach((m, i) => {
    if (m.scope === 'OWNER') throw new InvalidInputError(`members[${i}].scope`, 'OWNER is granted only by transferGroupOwnership')
  })
  return inTransaction(deps, async (tx) => {
    const group = await lockGroup(tx, guid)
    const caller = actor.isAppAdmin ? null : await findMembership(tx, guid, actor.uid)
    const rank = callerRank(actor, caller?.scope ?? null)
    if (rank < rankOf('ADMIN')) throw new InsufficientScopeError(`only the owner and ADMINs of ${guid} may add members`)
    input.members.forEach((m, i) => {
      if (m.scope && !outranks(rank, m.scope)) {
        throw new InsufficientScopeError(`members[${i}].scope: you may grant only scopes lower than yours`)
      }
    })
    const users = await tx.user.findMany({ where: { uid: { in: uids }, deactivatedAt: null }, select: { uid: true } })
    if (users.length !== uids.length) {
      const known = new Set(users.map((u) => u.uid))
      throw new UserNotFoundError(uids.find((uid) => !known.has(uid))!)
    }
    await assertMayEnter(tx, guid, uids)
    const retained = await takeRetainedScopes(tx, guid, uids)
    const now = deps.clock.now()
    const rows = input.members.map((m) => ({
      groupGuid: guid,
      uid: m.uid,
      scope: m.scope ?? retained.get(m.uid) ?? ('PARTICIPANT' as const),
      joinedAt: now,
    }))
    const added = await tx.groupMember.createManyAndReturn({ data: rows })
    await tx.message.createMany({
      data: uids.map((uid) => ({ groupGuid: guid, kind: 'ACTION' as const, action: 'ADDED' as const, actionByUid: actor.uid, actionOnUid: uid, sentAt: now })),
    })
    return { value: { group, added }, events: [] }
  })
}
