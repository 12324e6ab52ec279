import type { GraphQLContext, Viewer } from '../context.js'
import type { DomainDeps } from '../domain/deps.js'
import type { Outcome } from '../domain/transaction.js'

/**
 * Runs one domain operation for the caller and, once it has committed, announces its exits
 * and ends the sessions of users it signed out. A refused operation throws before either.
 */
export async function perform<T>(ctx: GraphQLContext, operation: (deps: DomainDeps, actor: Viewer) => Promise<Outcome<T>>): Promise<T> {
  // The field's authScopes have already refused callers without a viewer.
  const { value, events, signedOut } = await operation(ctx.deps, ctx.viewer!)
  ctx.deps.announceExits(events)
  if (signedOut?.length) ctx.deps.liveSessions.signOut(signedOut)
  return value
}
