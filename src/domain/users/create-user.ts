import type { User } from '../../generated/prisma/client.js'
import type { Actor } from '../actor.js'
import type { DomainDeps } from '../deps.js'
import { InsufficientScopeError } from '../errors.js'
import { inTransaction, type Outcome } from '../transaction.js'
import { requireId, requireName } from '../validation.js'

export interface CreateUserInput {
  uid: string
  name: string
  leaveAllWhenDeactivated?: boolean | null
}

/**
 * The app admin creates or updates a user. Updating a deactivated user reactivates it; the
 * tokens issued before its deactivation stay refused.
 */
export function createUser(deps: DomainDeps, actor: Actor, input: CreateUserInput): Promise<Outcome<{ user: User }>> {
  if (!actor.isAppAdmin) throw new InsufficientScopeError('only the app admin may create users')
  const uid = requireId('input.uid', input.uid)
  const name = requireName('input.name', input.name)
  const leaveAll = input.leaveAllWhenDeactivated ?? undefined
  return inTransaction(deps, async (tx) => {
    const user = await tx.user.upsert({
      where: { uid },
      create: { uid, name, leaveAllWhenDeactivated: leaveAll ?? true, createdAt: deps.clock.now() },
      update: { name, leaveAllWhenDeactivated: leaveAll, deactivatedAt: null },
    })
    return { value: { user }, events: [] }
  })
}
