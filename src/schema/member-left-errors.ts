import { GraphQLError } from 'graphql'
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
