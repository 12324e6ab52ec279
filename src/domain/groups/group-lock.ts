import type { Group, GroupMember, MemberScope } from '../../generated/prisma/client.js'
import { GroupNotFoundError } from '../errors.js'
import type { Tx } from '../transaction.js'

const groupColumns = `g.guid, g.name, g.type, g."passwordHash", g."ownerUid", g."ownerLeavePolicy", g."dissolvedAt", g."createdAt"`

/**
 * Locks a live group for the rest of the transaction and reads it, in one statement. Every
 * change to a group's membership takes the 'write' lock first, so concurrent changes to one
 * group queue up and each sees the committed result of the one before (a kick racing a leave:
 * the second finds no member). Sending takes the 'read' lock, which only waits for membership
 * changes.
 */
export async function lockGroup(tx: Tx, guid: string, mode: 'write' | 'read' = 'write'): Promise<Group> {
  const clause = mode === 'write' ? 'FOR NO KEY UPDATE' : 'FOR SHARE'
  const [group] = await tx.$queryRawUnsafe<Group[]>(
    `SELECT ${groupColumns} FROM "Group" g WHERE g.guid = $1 AND g."dissolvedAt" IS NULL ${clause}`,
    guid,
  )
  if (!group) throw new GroupNotFoundError(guid)
  return group
}

/**
 * lockGroup and the caller's membership in one statement, for the common case of a member
 * acting on itself. The membership row is locked too: a row that a transaction we waited for
 * has deleted is then dropped rather than read from our older snapshot. When no row comes back
 * (no such group, not a member, or a member added by a transaction we waited for), the group is
 * locked and the membership read again in statements of their own, which see every commit
 * before the lock.
 */
export async function lockGroupWithMembership(tx: Tx, guid: string, uid: string): Promise<{ group: Group; membership: GroupMember | null }> {
  const [row] = await tx.$queryRawUnsafe<(Group & { memberScope: MemberScope; memberJoinedAt: Date })[]>(
    `SELECT ${groupColumns}, m.scope AS "memberScope", m."joinedAt" AS "memberJoinedAt"
       FROM "Group" g JOIN "GroupMember" m ON m."groupGuid" = g.guid AND m.uid = $2
      WHERE g.guid = $1 AND g."dissolvedAt" IS NULL
        FOR NO KEY UPDATE OF g FOR UPDATE OF m`,
    guid,
    uid,
  )
  if (row) {
    const { memberScope, memberJoinedAt, ...group } = row
    return { group, membership: { groupGuid: guid, uid, scope: memberScope, joinedAt: memberJoinedAt } }
  }
  const group = await lockGroup(tx, guid)
  return { group, membership: await findMembership(tx, guid, uid) }
}

/** Locks several groups in one order (by guid), so two multi-group operations cannot deadlock. */
export async function lockGroups(tx: Tx, guids: string[]): Promise<Group[]> {
  if (guids.length === 0) return []
  const sorted = [...new Set(guids)].sort()
  return tx.$queryRawUnsafe<Group[]>(
    `SELECT ${groupColumns} FROM "Group" g WHERE g.guid = ANY($1::text[]) AND g."dissolvedAt" IS NULL ORDER BY g.guid FOR NO KEY UPDATE`,
    sorted,
  )
}

export function findMembership(tx: Tx, guid: string, uid: string | null): Promise<GroupMember | null> {
  if (!uid) return Promise.resolve(null)
  return tx.groupMember.findUnique({ where: { groupGuid_uid: { groupGuid: guid, uid } } })
}
