import { GraphQLError } from 'graphql'
import { parsePrismaCursor } from '@pothos/plugin-prisma'
import { InvalidInputError } from '../../domain/errors.js'
import { requireId, unstorableText } from '../../domain/validation.js'
import { asGraphQLError } from '../member-left-errors.js'

export const MAX_PAGE_SIZE = 100
export const MAX_SEARCH_LENGTH = 100

/** A malformed argument: a top-level error naming it, as clients cannot get a union from a query. */
export function invalidArgument(argument: string, problem: string): GraphQLError {
  return new GraphQLError(`${argument}: ${problem}`, { extensions: { code: 'ERR_INVALID_INPUT', argument } })
}

/**
 * A domain refusal of a query as a top-level error carrying its code, and for a malformed
 * argument (InvalidInputError) the argument's name; anything else unchanged (Yoga masks it).
 */
export function asQueryError(error: unknown): unknown {
  if (error instanceof InvalidInputError) return new GraphQLError(error.message, { extensions: { code: error.code, argument: error.field } })
  return asGraphQLError(error)
}

/** The domain's id rule (uid, guid), reported as a top-level error naming the argument. */
export function checkId(argument: string, value: string): string {
  try {
    return requireId(argument, value)
  } catch (error) {
    throw asQueryError(error)
  }
}

export function checkSearch(argument: string, value: string | null | undefined): string | null {
  if (value == null || value === '') return null
  if (value.length > MAX_SEARCH_LENGTH) throw invalidArgument(argument, `at most ${MAX_SEARCH_LENGTH} characters`)
  const problem = unstorableText(value)
  if (problem) throw invalidArgument(argument, problem)
  return value
}

/** What a connection's cursor decodes to, so a cursor from another connection is refused. */
const cursorShapes = {
  /** A single string column (a guid). */
  string: (value: unknown) => typeof value === 'string',
  /** A BigInt id. */
  bigint: (value: unknown) => typeof value === 'bigint',
  /** A compound key of two strings (groupGuid, uid). */
  stringPair: (value: unknown) => Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'string'),
}
export type CursorShape = keyof typeof cursorShapes

export interface PageArgs {
  first?: number | null
  last?: number | null
  after?: string | null
  before?: string | null
}

/**
 * Checks connection arguments before Pothos plans the query: Pothos itself would clamp a page
 * size over its maximum silently, and refuse a negative one or an unsupported combination with
 * an error that carries no code. `field` prefixes the argument names of nested connections.
 */
export function checkPageArgs(args: PageArgs, cursor: CursorShape, field?: string): void {
  const name = (argument: string) => (field ? `${field}.${argument}` : argument)
  for (const argument of ['first', 'last'] as const) {
    const size = args[argument]
    if (size != null && (size < 1 || size > MAX_PAGE_SIZE)) {
      throw invalidArgument(name(argument), `must be between 1 and ${MAX_PAGE_SIZE}`)
    }
  }
  if (args.first != null && args.last != null) throw invalidArgument(name('last'), 'cannot be combined with first')
  if (args.after != null && args.before != null) throw invalidArgument(name('before'), 'cannot be combined with after')
  if (args.first != null && args.before != null) throw invalidArgument(name('before'), 'cannot be combined with first')
  if (args.last != null && args.after != null) throw invalidArgument(name('after'), 'cannot be combined with last')
  for (const argument of ['after', 'before'] as const) {
    if (args[argument] == null) continue
    let value: unknown
    try {
      value = parsePrismaCursor(args[argument])
    } catch {
      value = undefined
    }
    if (!cursorShapes[cursor](value)) throw invalidArgument(name(argument), 'not a cursor returned by this connection')
  }
}
