import type { Message } from '../../generated/prisma/client.js'
import type { Actor } from '../actor.js'
import type { DomainDeps } from '../deps.js'
import { NotAMemberError } from '../errors.js'
import { inTransaction, type Outcome } from '../transaction.js'
import { requireId, requireText } from '../validation.js'
import { findMembership, lockGroup } from './group-lock.js'

export function sendGroupMessage(deps: DomainDeps, actor: Actor, input: { guid: string; text: string }): Promise<Outcome<{ sentMessage: Message }>> {
  const guid = requireId('guid', input.guid)
  const text = requireText('text', input.text)
  return inTransaction(deps, async (tx) => {
    await lockGroup(tx, guid, 'read')
    if (!(await findMembership(tx, guid, actor.uid))) throw new NotAMemberError()
    const sentMessage = await tx.message.create({
      data: { groupGuid: guid, kind: 'TEXT', senderUid: actor.uid, text, sentAt: deps.clock.now() },
    })
    return { value: { sentMessage }, events: [] }
  })
}
