import { GraphQLError } from 'graphql'

/** The close code for a connection beyond MAX_CONNECTIONS_PER_USER (the contract's). */
export const TOO_MANY_CONNECTIONS_CLOSE_CODE = 4429

/**
 * graphql-ws reserves an operation's id in `subscriptions` before onSubscribe runs and frees it
 * when the operation ends (also when it is refused), so the count includes the one asking.
 */
export function tooManyOperations(subscriptions: Record<string, unknown>, limit: number): GraphQLError | undefined {
  let running = 0
  for (const _ in subscriptions) running++
  if (running <= limit) return undefined
  return new GraphQLError(`too many operations on this connection: at most ${limit} at a time (MAX_SUBSCRIPTIONS_PER_CONNECTION); complete one first`, {
    extensions: { code: 'TOO_MANY_SUBSCRIPTIONS', limit },
  })
}
