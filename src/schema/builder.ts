import SchemaBuilder from '@pothos/core'
import ScopeAuthPlugin from '@pothos/plugin-scope-auth'
import ErrorsPlugin from '@pothos/plugin-errors'
import PrismaPlugin from '@pothos/plugin-prisma'
import RelayPlugin from '@pothos/plugin-relay'
import { GraphQLError, GraphQLScalarType, Kind } from 'graphql'
import type PrismaTypes from '../generated/pothos-prisma-types.js'
import { getDatamodel } from '../generated/pothos-prisma-types.js'
import type { GraphQLContext } from '../context.js'
import { DomainError } from '../domain/errors.js'

export const builder = new SchemaBuilder<{
  Context: GraphQLContext
  PrismaTypes: PrismaTypes
  AuthScopes: { authenticated: boolean; appAdmin: boolean }
  Scalars: { DateTime: { Input: Date; Output: Date } }
  DefaultFieldNullability: false
  DefaultEdgesNullability: { list: false; items: true }
  DefaultNodeNullability: false
}>({
  plugins: [ScopeAuthPlugin, ErrorsPlugin, PrismaPlugin, RelayPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    // Subscriptions are authorized once, when they start; each event is then filtered by visibility.
    authorizeOnSubscribe: true,
    authScopes: (ctx) => ({
      authenticated: ctx.viewer !== null,
      appAdmin: ctx.viewer?.isAppAdmin ?? false,
    }),
    unauthorizedError: (_parent, ctx) =>
      ctx.viewer
        ? new GraphQLError('not allowed for this caller', { extensions: { code: 'FORBIDDEN' } })
        : new GraphQLError('authentication required', { extensions: { code: 'UNAUTHENTICATED' } }),
  },
  errors: {
    defaultTypes: [DomainError],
    directResult: true,
    defaultUnionOptions: {
      name: ({ fieldName }) => `${fieldName[0].toUpperCase()}${fieldName.slice(1)}Result`,
    },
  },
  prisma: {
    // The client itself comes from the request context (PGlite or PostgreSQL, chosen at start).
    client: (ctx) => ctx.deps.prisma,
    dmmf: getDatamodel(),
    exposeDescriptions: false,
    filterConnectionTotalCount: true,
    onUnusedQuery: null,
  },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    edgesFieldOptions: { nullable: { list: false, items: true } },
    nodeFieldOptions: { nullable: false },
  },
})

builder.addScalarType(
  'DateTime',
  new GraphQLScalarType<Date, string>({
    name: 'DateTime',
    description: 'An instant, as an ISO-8601 string in UTC.',
    serialize: (value) => {
      const date = value instanceof Date ? value : new Date(value as string)
      if (Number.isNaN(date.getTime())) throw new GraphQLError('DateTime cannot represent an invalid date')
      return date.toISOString()
    },
    parseValue: (value) => {
      const date = new Date(value as string)
      if (typeof value !== 'string' || Number.isNaN(date.getTime())) throw new GraphQLError('DateTime must be an ISO-8601 string')
      return date
    },
    parseLiteral: (ast) => {
      if (ast.kind !== Kind.STRING || Number.isNaN(new Date(ast.value).getTime())) {
        throw new GraphQLError('DateTime must be an ISO-8601 string')
      }
      return new Date(ast.value)
    },
  }),
  {},
)

builder.queryType({})
builder.mutationType({})
builder.subscriptionType({})
