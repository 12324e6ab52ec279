import type { ChatRoom } from '../../generated/prisma/client.js'
import { ChatRoomNotFoundError } from '../errors.js'
import type { Tx } from '../transaction.js'

/**
 * Locks a room for the rest of the transaction and reads it, in one statement. Bans and sends
 * (which may kick out) take the 'write' lock, so each send counts the messages before it
 * exactly and a ban cannot interleave with a join; joins take the 'read' lock.
 */
export async function lockChatRoom(tx: Tx, id: string, mode: 'write' | 'read' = 'write'): Promise<ChatRoom> {
  const clause = mode === 'write' ? 'FOR NO KEY UPDATE' : 'FOR SHARE'
  const [room] = await tx.$queryRawUnsafe<ChatRoom[]>(`SELECT * FROM "ChatRoom" WHERE id = $1 ${clause}`, id)
  if (!room) throw new ChatRoomNotFoundError(id)
  return room
}

/** lockChatRoom's write lock, and whether `uid` is a member, in one statement. */
export async function lockChatRoomAsMember(tx: Tx, id: string, uid: string | null): Promise<{ room: ChatRoom; isMember: boolean }> {
  const [row] = await tx.$queryRawUnsafe<(ChatRoom & { isMember: boolean })[]>(
    `SELECT r.*, EXISTS (SELECT 1 FROM "ChatRoomMember" m WHERE m."chatRoomId" = r.id AND m.uid = $2) AS "isMember"
       FROM "ChatRoom" r WHERE r.id = $1 FOR NO KEY UPDATE`,
    id,
    uid,
  )
  if (!row) throw new ChatRoomNotFoundError(id)
  const { isMember, ...room } = row
  return { room, isMember }
}

/** ERR_CHAT_ROOM_NOT_FOUND unless the room exists (for paths that found no membership). */
export async function requireChatRoom(tx: Tx, id: string): Promise<void> {
  const room = await tx.chatRoom.findUnique({ where: { id }, select: { id: true } })
  if (!room) throw new ChatRoomNotFoundError(id)
}
