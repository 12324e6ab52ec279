import type { Tx } from '../transaction.js'

// Two-key advisory locks: this namespace keeps them apart from the exit-log lock.
const PRESENCE_LOCK_NAMESPACE = 0x50524553 // "PRES"

/**
 * Serializes one user's presence changes with its joins: whoever holds it sees the user's
 * connections and memberships as the last holder left them.
 */
export async function lockPresence(tx: Tx, uids: readonly string[]): Promise<void> {
  if (uids.length === 0) return
  // Sorted by the lock's key, so two holders of several users cannot deadlock, also when two
  // of their uids share a hash (a presence batch locks thousands).
  await tx.$queryRawUnsafe(
    `SELECT count(pg_advisory_xact_lock(${PRESENCE_LOCK_NAMESPACE}, key))::int AS n FROM (SELECT DISTINCT hashtext(uid) AS key FROM unnest($1::text[]) AS uid ORDER BY key) AS sorted`,
    [...uids],
  )
}

/** Whether the user holds a connection (call under lockPresence). */
export async function isOnline(tx: Tx, uid: string): Promise<boolean> {
  return (await tx.presenceConnection.count({ where: { uid } })) > 0
}

/**
 * The users came online (call under lockPresence, once their connections are written): their
 * memberships stop counting as offline. A user who was online already has none to change,
 * since a connection and an offline membership never coexist under the lock.
 */
export async function markOnline(tx: Tx, uids: readonly string[]): Promise<void> {
  if (uids.length === 0) return
  await tx.$executeRawUnsafe(`UPDATE "ChatRoomMember" SET "offlineSince" = NULL WHERE uid = ANY($1::text[]) AND "offlineSince" IS NOT NULL`, [...uids])
}

/**
 * The users without a remaining connection went offline, each at its moment (uid → when);
 * a membership begun later counts from its join (a reap can report a time from before the
 * user joined).
 */
export async function markOfflineUnlessConnected(tx: Tx, wentOffline: ReadonlyMap<string, Date>): Promise<void> {
  if (wentOffline.size === 0) return
  // Moments as ISO text: cast to timestamp (without time zone), "…Z" drops its zone and
  // leaves UTC, as Prisma writes DateTime.
  await tx.$executeRawUnsafe(
    `UPDATE "ChatRoomMember" m SET "offlineSince" = GREATEST(o.at, m."joinedAt")
       FROM unnest($1::text[], $2::timestamp(3)[]) AS o(uid, at)
      WHERE m.uid = o.uid AND m."offlineSince" IS NULL
        AND NOT EXISTS (SELECT 1 FROM "PresenceConnection" c WHERE c.uid = m.uid)`,
    [...wentOffline.keys()],
    [...wentOffline.values()].map((at) => at.toISOString()),
  )
}
