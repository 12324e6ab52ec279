import type { ChatRoom } from '../../generated/prisma/client.js'
import type { ExitInput } from '../exits/record-exit.js'
import type { Tx } from '../transaction.js'

const NOT_WHITELISTED = `NOT EXISTS (SELECT 1 FROM "ChatRoomWhitelist" w WHERE w."chatRoomId" = m."chatRoomId" AND w.uid = m.uid)`

/**
 * The message-triggered rules, applied by the send that has just been written (call under the
 * room's write lock): a member offline since T is removed by the (messageLimit + 1)-th message
 * sent at or after T within graceSeconds, or by any message later than graceSeconds after T.
 * One statement, whatever the number of members: only offline rows are read (by index), and
 * each one counts at most messageLimit + 1 messages.
 */
export async function kickOutByMessage(tx: Tx, room: ChatRoom, senderUid: string, now: Date): Promise<ExitInput | null> {
  const removed = await tx.$queryRawUnsafe<{ uid: string }[]>(
    `DELETE FROM "ChatRoomMember" m
      WHERE m."chatRoomId" = $1 AND m."offlineSince" IS NOT NULL AND m.uid <> $2 AND ${NOT_WHITELISTED}
        AND (m."offlineSince" < $3::timestamp - make_interval(secs => $4::int)
             OR (SELECT count(*) FROM (SELECT 1 FROM "ChatRoomMessage" msg
                                        WHERE msg."chatRoomId" = m."chatRoomId" AND msg."sentAt" >= m."offlineSince"
                                        LIMIT $5::int + 1) AS counted) > $5::int)
      RETURNING m.uid`,
    room.id,
    senderUid,
    now,
    room.graceSeconds,
    room.messageLimit,
  )
  return offlineKickedExit(room.id, removed.map((r) => r.uid).sort(), now)
}

/**
 * The realtime rule, for every realtime room at once: members offline for longer than the
 * room's realtimeWithinSeconds are removed. The DELETE is its own guard: two sweeps racing
 * remove each member once.
 */
export async function kickOutLongOffline(tx: Tx, now: Date): Promise<ExitInput[]> {
  const removed = await tx.$queryRawUnsafe<{ chatRoomId: string; uid: string }[]>(
    `DELETE FROM "ChatRoomMember" m USING "ChatRoom" r
      WHERE r.id = m."chatRoomId" AND r.realtime AND m."offlineSince" IS NOT NULL AND ${NOT_WHITELISTED}
        AND m."offlineSince" < $1::timestamp - make_interval(secs => r."realtimeWithinSeconds")
      RETURNING m."chatRoomId", m.uid`,
    now,
  )
  const byRoom = new Map<string, string[]>()
  for (const { chatRoomId, uid } of removed) byRoom.set(chatRoomId, [...(byRoom.get(chatRoomId) ?? []), uid])
  return [...byRoom.keys()].sort().flatMap((chatRoomId) => offlineKickedExit(chatRoomId, byRoom.get(chatRoomId)!.sort(), now) ?? [])
}

function offlineKickedExit(chatRoomId: string, memberUids: string[], now: Date): ExitInput | null {
  if (memberUids.length === 0) return null
  return { exitType: 'OFFLINE_KICKED', reason: null, chatRoomId, memberUids, operatorUid: null, occurredAt: now }
}
