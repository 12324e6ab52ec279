import { GraphQLError } from 'graphql'
import type { GraphQLContext, Viewer } from '../context.js'
import { DomainError } from '../domain/errors.js'

/**
 * memberLeft and memberLeftEvents have no result union (the contract returns the events
 * themselves), so a domain refusal becomes a GraphQL error carrying its code.
 */
export function asGraphQLError(error: unknown): unknown {
  if (error instanceof DomainError) {
    return new GraphQLError(error.message, { extensions: { code: error.code } })
  }
  return error
}

/** The authScopes check already ran; this narrows the type (and guards a subscribe without it). */
export function requireViewer(ctx: GraphQLContext): Viewer {
  if (!ctx.viewer) throw new GraphQLError('authentication required', { extensions: { code: 'UNAUTHENTICATED' } })
  return ctx.viewer
}
