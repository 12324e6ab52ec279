import type { Group, GroupMember, MemberScope } from '../../generated/prisma/client.js'
import type { Actor } from '../actor.js'
import type { DomainDeps } from '../deps.js'
import { AlreadyMemberError, BannedError, InsufficientScopeError, InvalidInputError, WrongPasswordError } from '../errors.js'
import { inTransaction, type Outcome, type Tx } from '../transaction.js'
import { requireId, requireStorable } from '../validation.js'
import { requireCallerUser } from './caller.js'
import { groupPasswordMatches } from './group-password.js'
import { lockGroup } from './group-lock.js'

/** Refuses banned users and current members among uids (read under the group lock). */
export async function assertMayEnter(tx: Tx, guid: string, uids: string[]): Promise<void> {
  const banned = await tx.groupBan.findFirst({ where: { groupGuid: guid, uid: { in: uids } }, select: { uid: true } })
  if (banned) throw new BannedError(guid, banned.uid)
  const member = await tx.groupMember.findFirst({ where: { groupGuid: guid, uid: { in: uids } }, select: { uid: true } })
  if (member) throw new AlreadyMemberError(`${member.uid} is already a member of ${guid}`)
}

/** Operator scopes that departed members get back, by uid; the records are used up. */
export async function takeRetainedScopes(tx: Tx, guid: string, uids: string[]): Promise<Map<string, MemberScope>> {
  const retained = await tx.retainedScope.findMany({ where: { groupGuid: guid, uid: { in: uids } } })
  if (retained.length > 0) await tx.retainedScope.deleteMany({ where: { groupGuid: guid, uid: { in: retained.map((r) => r.uid) } } })
  return new Map(retained.map((r) => [r.uid, r.scope]))
}

export function joinGroup(
  deps: DomainDeps,
  actor: Actor,
  input: { guid: string; password?: string | null },
): Promise<Outcome<{ group: Group; member: GroupMember }>> {
  const guid = requireId('guid', input.guid)
  if (input.password != null) requireStorable('password', input.password)
  if (input.password != null && input.password.length > 100) throw new InvalidInputError('password', 'must be at most 100 characters')
  return inTransaction(deps, async (tx) => {
    const group = await lockGroup(tx, guid)
    const uid = await requireCallerUser(tx, actor)
    await assertMayEnter(tx, guid, [uid])
    if (group.type === 'PRIVATE') throw new InsufficientScopeError(`${guid} is private: its operators add members`)
    if (group.type === 'PASSWORD' && !(input.password && group.passwordHash && (await groupPasswordMatches(input.password, group.passwordHash)))) {
      throw new WrongPasswordError()
    }
    const now = deps.clock.now()
    const scope = (await takeRetainedScopes(tx, guid, [uid])).get(uid) ?? 'PARTICIPANT'
    const member = await tx.groupMember.create({ data: { groupGuid: guid, uid, scope, joinedAt: now } })
    await tx.message.create({ data: { groupGuid: guid, kind: 'ACTION', action: 'JOINED', actionByUid: uid, sentAt: now } })
    return { value: { group, member }, events: [] }
  })
}
