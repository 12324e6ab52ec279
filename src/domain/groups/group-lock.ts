import type { Group, GroupMember } from '../../generated/prisma/client.js'
import { GroupNotFoundError } from '../errors.js'
import type { Tx } from '../transaction.js'

/**
 * Locks a live group for the rest of the transaction and reads it. Every change to a group's
 * membership takes the 'write' lock first, so concurrent changes to one group queue up and
 * each sees the committed result of the one before (a kick racing a leave: the second finds
 * no member). Sending takes the 'read' lock, which only waits for membership changes.
 */
export async function lockGroup(tx: Tx, guid: string, mode: 'write' | 'read' = 'write'): Promise<Group> {
  const clause = mode === 'write' ? 'FOR NO KEY UPDATE' : 'FOR SHARE'
  const locked = await tx.$queryRawUnsafe<{ guid: string }[]>(
    `SELECT guid FROM "Group" WHERE guid = $1 AND "dissolvedAt" IS NULL ${clause}`,
    guid,
  )
  if (locked.length === 0) throw new GroupNotFoundError(guid)
  return tx.group.findUniqueOrThrow({ where: { guid } })
}

/** Locks several groups in one order (by guid), so two multi-group operations cannot deadlock. */
export async function lockGroups(tx: Tx, guids: string[]): Promise<Group[]> {
  if (guids.length === 0) return []
  const sorted = [...new Set(guids)].sort()
  await tx.$queryRawUnsafe(
    `SELECT guid FROM "Group" WHERE guid = ANY($1::text[]) AND "dissolvedAt" IS NULL ORDER BY guid FOR NO KEY UPDATE`,
    sorted,
  )
  return tx.group.findMany({ where: { guid: { in: sorted }, dissolvedAt: null }, orderBy: { guid: 'asc' } })
}

export function findMembership(tx: Tx, guid: string, uid: string | null): Promise<GroupMember | null> {
  if (!uid) return Promise.resolve(null)
  return tx.groupMember.findUnique({ where: { groupGuid_uid: { groupGuid: guid, uid } } })
}
