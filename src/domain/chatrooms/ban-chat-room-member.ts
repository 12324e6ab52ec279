import type { MemberLeftEvent } from '../../generated/prisma/client.js'
import type { Actor } from '../actor.js'
import type { DomainDeps } from '../deps.js'
import { InsufficientScopeError, InvalidInputError, UserNotFoundError } from '../errors.js'
import { recordExit } from '../exits/record-exit.js'
import { inTransaction, type Outcome } from '../transaction.js'
import { requireId } from '../validation.js'
import { lockChatRoom, requireChatRoom } from './chat-room-lock.js'

/** RongCloud's range for a chat-room ban: one minute to 30 days. */
const MAX_BAN_MINUTES = 43_200

export interface BanChatRoomMemberResult {
  chatRoomId: string
  /** Null when the user was not in the room. */
  event: MemberLeftEvent | null
  bannedUntil: Date
}

/** The app admin removes the user (BANNED) and keeps it out for `minutes` (a new ban replaces the old). */
export function banChatRoomMember(
  deps: DomainDeps,
  actor: Actor,
  input: { id: string; uid: string; minutes: number },
): Promise<Outcome<BanChatRoomMemberResult>> {
  if (!actor.isAppAdmin) throw new InsufficientScopeError('only the app admin may ban chat room members')
  const id = requireId('id', input.id)
  const uid = requireId('uid', input.uid)
  if (!Number.isInteger(input.minutes) || input.minutes < 1 || input.minutes > MAX_BAN_MINUTES) {
    throw new InvalidInputError('minutes', `must be a whole number from 1 to ${MAX_BAN_MINUTES}`)
  }
  return inTransaction<BanChatRoomMemberResult>(deps, async (tx) => {
    await lockChatRoom(tx, id)
    if (!(await tx.user.findUnique({ where: { uid }, select: { uid: true } }))) throw new UserNotFoundError(uid)
    const now = deps.clock.now()
    const bannedUntil = new Date(now.getTime() + input.minutes * 60_000)
    const ban = { bannedUntil, bannedByUid: actor.uid }
    await tx.chatRoomBan.upsert({ where: { chatRoomId_uid: { chatRoomId: id, uid } }, create: { chatRoomId: id, uid, ...ban }, update: ban })
    const removed = await tx.chatRoomMember.deleteMany({ where: { chatRoomId: id, uid } })
    if (removed.count === 0) return { value: { chatRoomId: id, event: null, bannedUntil }, events: [] }
    const event = await recordExit(tx, {
      exitType: 'BANNED',
      reason: 'ADMIN_REMOVED',
      chatRoomId: id,
      memberUids: [uid],
      operatorUid: actor.uid,
      operatorSub: actor.sub,
      occurredAt: now,
    })
    return { value: { chatRoomId: id, event, bannedUntil }, events: [event] }
  })
}

/** The app admin lifts a ban; lifting one that is not there succeeds. */
export function unbanChatRoomMember(deps: DomainDeps, actor: Actor, input: { id: string; uid: string }): Promise<Outcome<{ chatRoomId: string }>> {
  if (!actor.isAppAdmin) throw new InsufficientScopeError('only the app admin may lift chat room bans')
  const id = requireId('id', input.id)
  const uid = requireId('uid', input.uid)
  return inTransaction(deps, async (tx) => {
    await requireChatRoom(tx, id)
    await tx.chatRoomBan.deleteMany({ where: { chatRoomId: id, uid } })
    return { value: { chatRoomId: id }, events: [] }
  })
}
