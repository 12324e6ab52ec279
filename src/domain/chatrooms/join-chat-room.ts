import type { ChatRoom, ChatRoomMember } from '../../generated/prisma/client.js'
import type { Actor } from '../actor.js'
import type { DomainDeps } from '../deps.js'
import { AlreadyMemberError, BannedError } from '../errors.js'
import { requireCallerUser } from '../groups/caller.js'
import { inTransaction, type Outcome } from '../transaction.js'
import { requireId } from '../validation.js'
import { lockChatRoom } from './chat-room-lock.js'
import { isOnline, lockPresence } from './presence-state.js'

/**
 * The caller enters a room. It counts as online if it holds a graphql-ws connection now;
 * otherwise it is offline from this moment, and the kick-out rules count from here.
 */
export function joinChatRoom(deps: DomainDeps, actor: Actor, input: { id: string }): Promise<Outcome<{ chatRoom: ChatRoom; member: ChatRoomMember }>> {
  const id = requireId('id', input.id)
  return inTransaction(deps, async (tx) => {
    const chatRoom = await lockChatRoom(tx, id, 'read')
    const uid = await requireCallerUser(tx, actor)
    const now = deps.clock.now()
    const ban = await tx.chatRoomBan.findUnique({ where: { chatRoomId_uid: { chatRoomId: id, uid } } })
    if (ban && ban.bannedUntil > now) throw new BannedError(id, uid, 'chat room')
    await lockPresence(tx, [uid])
    const offlineSince = (await isOnline(tx, uid)) ? null : now
    // ON CONFLICT DO NOTHING: a second join (also a racing one) is refused without aborting.
    const created = await tx.chatRoomMember.createMany({ data: [{ chatRoomId: id, uid, joinedAt: now, offlineSince }], skipDuplicates: true })
    if (created.count === 0) throw new AlreadyMemberError(`${uid} is already a member of chat room ${id}`)
    const member = { chatRoomId: id, uid, joinedAt: now, offlineSince }
    return { value: { chatRoom, member }, events: [] }
  })
}
