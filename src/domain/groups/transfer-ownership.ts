import type { Group } from '../../generated/prisma/client.js'
import type { Actor } from '../actor.js'
import type { DomainDeps } from '../deps.js'
import { InsufficientScopeError, InvalidInputError, NotAMemberError, UserNotFoundError } from '../errors.js'
import { inTransaction, type Outcome, type Tx } from '../transaction.js'
import { requireId } from '../validation.js'
import { findMembership, lockGroup } from './group-lock.js'
import { isOwnerOrAppAdmin } from './scopes.js'

/** Makes a member the OWNER of a locked group; the old owner, if any, becomes ADMIN. */
export async function passOwnership(tx: Tx, group: Group, toUid: string, operator: Actor, now: Date): Promise<Group> {
  if (group.ownerUid) {
    await tx.groupMember.update({ where: { groupGuid_uid: { groupGuid: group.guid, uid: group.ownerUid } }, data: { scope: 'ADMIN' } })
  }
  await tx.groupMember.update({ where: { groupGuid_uid: { groupGuid: group.guid, uid: toUid } }, data: { scope: 'OWNER' } })
  await tx.message.create({
    data: { groupGuid: group.guid, kind: 'ACTION', action: 'OWNERSHIP_TRANSFERRED', actionByUid: operator.uid, actionOnUid: toUid, sentAt: now },
  })
  return tx.group.update({ where: { guid: group.guid }, data: { ownerUid: toUid } })
}

export function transferGroupOwnership(
  deps: DomainDeps,
  actor: Actor,
  input: { guid: string; uid: string },
): Promise<Outcome<{ group: Group }>> {
  const guid = requireId('guid', input.guid)
  const uid = requireId('uid', input.uid)
  return inTransaction(deps, async (tx) => {
    const group = await lockGroup(tx, guid)
    if (!isOwnerOrAppAdmin(actor, group)) {
      throw new InsufficientScopeError(`only the owner of ${guid} or the app admin may transfer ownership`)
    }
    if (group.ownerUid === uid) throw new InvalidInputError('uid', `${uid} already owns ${guid}`)
    if (!(await findMembership(tx, guid, uid))) {
      if (!(await tx.user.findUnique({ where: { uid }, select: { uid: true } }))) throw new UserNotFoundError(uid)
      throw new NotAMemberError(`${uid} is not a member of ${guid}`)
    }
    return { value: { group: await passOwnership(tx, group, uid, actor, deps.clock.now()) }, events: [] }
  })
}
