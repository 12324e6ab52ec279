import type { GraphQLContext, Viewer } from '../context.js'
import type { DomainDeps } from '../domain/deps.js'
import type { Outcome } from '../domain/transaction.js'

/**
 * Runs one domain operation for the caller and, once it has committed, announces its exits
 * and ends the sessions of users it signed out. A refused operation throws before either.
 *
 * Every mutation goes through here, so this is where a user's mutations are counted: beyond
 * the limit RateLimitedError is thrown before the operation starts its transaction. Only the
 * app admin may call the mutations whose unions lack RateLimitedError, and it is not limited.
 */
export async function perform<T>(ctx: GraphQLContext, operation: (deps: DomainDeps, actor: Viewer) => Promise<Outcome<T>>): Promise<T> {
  // The field's authScopes have already refused callers without a viewer.
  const actor = ctx.viewer!
  await ctx.deps.mutationLimit.check(actor)
  const { value, events, signedOut } = await operation(ctx.deps, actor)
  ctx.deps.announceExits(events)
  if (signedOut?.length) ctx.deps.liveSessions.signOut(signedOut)
  return value
}
