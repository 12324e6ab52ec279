import type { ChatRoom, User } from '../../generated/prisma/client.js'
import type { Actor } from '../actor.js'
import type { DomainDeps } from '../deps.js'
import { InsufficientScopeError, UserNotFoundError } from '../errors.js'
import { inTransaction, type Outcome, type Tx } from '../transaction.js'
import { requireId, requireIds } from '../validation.js'
import { requireChatRoom } from './chat-room-lock.js'

export interface ChatRoomWhitelistResult {
  chatRoom: ChatRoom
  /** Everyone on the room's whitelist after the change, in the order they were added. */
  whitelist: User[]
}

/** The app admin exempts users from the offline kick-out (members or not yet). Adding twice is a no-op. */
export function addChatRoomWhitelist(deps: DomainDeps, actor: Actor, input: { id: string; uids: readonly string[] }): Promise<Outcome<ChatRoomWhitelistResult>> {
  return changeWhitelist(deps, actor, input, async (tx, id, uids) => {
    const found = new Set((await tx.user.findMany({ where: { uid: { in: uids } }, select: { uid: true } })).map((u) => u.uid))
    const missing = uids.find((uid) => !found.has(uid))
    if (missing) throw new UserNotFoundError(missing)
    const addedAt = deps.clock.now()
    await tx.chatRoomWhitelist.createMany({ data: uids.map((uid) => ({ chatRoomId: id, uid, addedAt })), skipDuplicates: true })
  })
}

/** The app admin takes users off the whitelist; uids that are not on it are ignored. */
export function removeChatRoomWhitelist(deps: DomainDeps, actor: Actor, input: { id: string; uids: readonly string[] }): Promise<Outcome<ChatRoomWhitelistResult>> {
  return changeWhitelist(deps, actor, input, async (tx, id, uids) => {
    await tx.chatRoomWhitelist.deleteMany({ where: { chatRoomId: id, uid: { in: uids } } })
  })
}

function changeWhitelist(
  deps: DomainDeps,
  actor: Actor,
  input: { id: string; uids: readonly string[] },
  change: (tx: Tx, id: string, uids: string[]) => Promise<void>,
): Promise<Outcome<ChatRoomWhitelistResult>> {
  if (!actor.isAppAdmin) throw new InsufficientScopeError('only the app admin may change a chat room whitelist')
  const id = requireId('id', input.id)
  const uids = requireIds('uids', input.uids, { min: 1, max: 100 })
  return inTransaction(deps, async (tx) => {
    await requireChatRoom(tx, id)
    await change(tx, id, uids)
    const chatRoom = await tx.chatRoom.findUniqueOrThrow({ where: { id } })
    const entries = await tx.chatRoomWhitelist.findMany({ where: { chatRoomId: id }, orderBy: [{ addedAt: 'asc' }, { uid: 'asc' }], include: { user: true } })
    return { value: { chatRoom, whitelist: entries.map((e) => e.user) }, events: [] }
  })
}
