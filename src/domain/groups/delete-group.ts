import type { MemberLeftEvent } from '../../generated/prisma/client.js'
import type { Actor } from '../actor.js'
import type { DomainDeps } from '../deps.js'
import { InsufficientScopeError } from '../errors.js'
import { inTransaction, type Outcome } from '../transaction.js'
import { requireId } from '../validation.js'
import { dissolveGroup } from './dissolve-group.js'
import { lockGroup } from './group-lock.js'
import { isOwnerOrAppAdmin } from './scopes.js'

/** The owner or the app admin dissolves the group: every member exits (DISSOLVED, ADMIN_DELETED). */
export function deleteGroup(deps: DomainDeps, actor: Actor, input: { guid: string }): Promise<Outcome<{ guid: string; event: MemberLeftEvent }>> {
  const guid = requireId('guid', input.guid)
  return inTransaction(deps, async (tx) => {
    const group = await lockGroup(tx, guid)
    if (!isOwnerOrAppAdmin(actor, group)) {
      throw new InsufficientScopeError(`only the owner of ${guid} or the app admin may delete it`)
    }
    const { event } = await dissolveGroup(tx, group, { operator: actor, reason: 'ADMIN_DELETED', now: deps.clock.now() })
    return { value: { guid, event }, events: [event] }
  })
}
