import type { ChatRoom } from '../../generated/prisma/client.js'
import type { Actor } from '../actor.js'
import type { DomainDeps } from '../deps.js'
import { InsufficientScopeError, InvalidInputError } from '../errors.js'
import { inTransaction, type Outcome } from '../transaction.js'
import { requireId, requireName } from '../validation.js'
import { kickoutPolicy, type KickoutPolicyInput } from './kickout-policy.js'

export interface CreateChatRoomInput extends KickoutPolicyInput {
  id: string
  name: string
}

/** The app admin opens a room with its kick-out policy. */
export function createChatRoom(deps: DomainDeps, actor: Actor, input: CreateChatRoomInput): Promise<Outcome<{ chatRoom: ChatRoom }>> {
  if (!actor.isAppAdmin) throw new InsufficientScopeError('only the app admin may create chat rooms')
  const id = requireId('input.id', input.id)
  const name = requireName('input.name', input.name)
  const policy = kickoutPolicy(input)
  return inTransaction(deps, async (tx) => {
    const created = await tx.chatRoom.createMany({
      data: [{ id, name, ...policy, createdAt: deps.clock.now() }],
      skipDuplicates: true,
    })
    if (created.count === 0) throw new InvalidInputError('input.id', `a chat room with id ${id} already exists`)
    return { value: { chatRoom: await tx.chatRoom.findUniqueOrThrow({ where: { id } }) }, events: [] }
  })
}
