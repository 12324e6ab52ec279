import type { Tx } from '../transaction.js'

// Two-key advisory locks: this namespace keeps them apart from the exit-log lock.
const PRESENCE_LOCK_NAMESPACE = 0x50524553 // "PRES"

/**
 * Serializes one user's presence changes with its joins: whoever holds it sees the user's
 * connections and memberships as the last holder left them.
 */
export async function lockPresence(tx: Tx, uids: readonly string[]): Promise<void> {
  if (uids.length === 0) return
  // Sorted, so two holders of several users cannot deadlock.
  await tx.$queryRawUnsafe(
    `SELECT count(pg_advisory_xact_lock(${PRESENCE_LOCK_NAMESPACE}, hashtext(uid)))::int AS n FROM (SELECT DISTINCT uid FROM unnest($1::text[]) AS uid ORDER BY uid) AS sorted`,
    [...uids],
  )
}

/** Whether the user holds a connection (call under lockPresence). */
export async function isOnline(tx: Tx, uid: string): Promise<boolean> {
  return (await tx.presenceConnection.count({ where: { uid } })) > 0
}

/** The user came online: its memberships stop counting as offline. */
export async function markOnline(tx: Tx, uid: string): Promise<void> {
  await tx.chatRoomMember.updateMany({ where: { uid, offlineSince: { not: null } }, data: { offlineSince: null } })
}

/**
 * The users without a remaining connection went offline at `at`; a membership begun later
 * counts from its join (a reap can report a time from before the user joined).
 */
export async function markOfflineUnlessConnected(tx: Tx, uids: readonly string[], at: Date): Promise<void> {
  if (uids.length === 0) return
  await tx.$executeRawUnsafe(
    `UPDATE "ChatRoomMember" m SET "offlineSince" = GREATEST($2, m."joinedAt")
      WHERE m.uid = ANY($1::text[]) AND m."offlineSince" IS NULL
        AND NOT EXISTS (SELECT 1 FROM "PresenceConnection" c WHERE c.uid = m.uid)`,
    [...uids],
    at,
  )
}
