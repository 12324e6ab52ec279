import { GraphQLError } from 'graphql'
import { DomainError, InvalidInputError } from '../domain/errors.js'

/**
 * memberLeft and memberLeftEvents have no result union (the contract returns the events
 * themselves), so a domain refusal becomes a GraphQL error carrying its code, and for a
 * malformed argument (InvalidInputError) the argument's name, as exitStats gives it.
 */
export function asGraphQLError(error: unknown): unknown {
  if (error instanceof InvalidInputError) return new GraphQLError(error.message, { extensions: { code: error.code, argument: error.field } })
  if (error instanceof DomainError) {
    return new GraphQLError(error.message, { extensions: { code: error.code } })
  }
  return error
}
