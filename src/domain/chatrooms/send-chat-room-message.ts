import type { ChatRoomMessage, User } from '../../generated/prisma/client.js'
import type { Actor } from '../actor.js'
import type { DomainDeps } from '../deps.js'
import { NotAMemberError } from '../errors.js'
import { recordExits } from '../exits/record-exit.js'
import { inTransaction, type Outcome } from '../transaction.js'
import { requireId, requireText } from '../validation.js'
import { lockChatRoomAsMember } from './chat-room-lock.js'
import { kickOutByMessage } from './offline-kickout.js'

export interface SendChatRoomMessageResult {
  sentMessage: ChatRoomMessage
  /** The members this message removed under the offline kick-out rules. */
  kickedOut: User[]
}

/** A member sends; the message and the removals it triggers commit together. */
export function sendChatRoomMessage(
  deps: DomainDeps,
  actor: Actor,
  input: { id: string; text: string },
): Promise<Outcome<SendChatRoomMessageResult>> {
  const id = requireId('id', input.id)
  const text = requireText('text', input.text)
  return inTransaction(deps, async (tx) => {
    const { room, isMember } = await lockChatRoomAsMember(tx, id, actor.uid)
    if (!isMember || !actor.uid) throw new NotAMemberError(`you are not a member of chat room ${id}`)
    const now = deps.clock.now()
    const sentMessage = await tx.chatRoomMessage.create({ data: { chatRoomId: id, senderUid: actor.uid, text, sentAt: now } })
    const kick = await kickOutByMessage(tx, room, actor.uid, now)
    if (!kick) return { value: { sentMessage, kickedOut: [] }, events: [] }
    const kickedOut = await tx.user.findMany({ where: { uid: { in: kick.memberUids } }, orderBy: { uid: 'asc' } })
    const events = await recordExits(tx, [kick])
    return { value: { sentMessage, kickedOut }, events }
  })
}
