import type { MemberLeftEvent } from '../../generated/prisma/client.js'
import type { Actor } from '../actor.js'
import type { DomainDeps } from '../deps.js'
import { NotAMemberError } from '../errors.js'
import { recordExit } from '../exits/record-exit.js'
import { inTransaction, type Outcome } from '../transaction.js'
import { requireId } from '../validation.js'
import { requireChatRoom } from './chat-room-lock.js'

/** The active exit: the caller leaves (QUIT). The guarded delete settles a race with a kick-out. */
export function leaveChatRoom(deps: DomainDeps, actor: Actor, input: { id: string }): Promise<Outcome<{ chatRoomId: string; event: MemberLeftEvent }>> {
  const id = requireId('id', input.id)
  return inTransaction(deps, async (tx) => {
    const removed = actor.uid ? await tx.chatRoomMember.deleteMany({ where: { chatRoomId: id, uid: actor.uid } }) : { count: 0 }
    if (removed.count === 0) {
      await requireChatRoom(tx, id)
      throw new NotAMemberError(`you are not a member of chat room ${id}`)
    }
    const event = await recordExit(tx, {
      exitType: 'QUIT',
      reason: 'LEFT_BY_OWN_CHOICE',
      chatRoomId: id,
      memberUids: [actor.uid!],
      operatorUid: actor.uid,
      operatorSub: actor.sub,
      occurredAt: deps.clock.now(),
    })
    return { value: { chatRoomId: id, event }, events: [event] }
  })
}
