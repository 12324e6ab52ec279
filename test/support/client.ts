// Runs operations against the Pothos schema in process (no HTTP), as a given viewer.
import { execute, print, type ExecutionResult, type GraphQLFormattedError } from 'graphql'
import type { TypedDocumentNode } from '@graphql-typed-document-node/core'
import { schema } from '../../src/schema/index.js'
import { systemClock } from '../../src/domain/clock.js'
import { loadConfig } from '../../src/config.js'
import { createAppDeps } from '../../src/deps.js'
import type { AppDeps, GraphQLContext, Viewer } from '../../src/context.js'
import type { Database } from '../../src/db/database.js'
import type { MemberLeftEvent, User } from '../../src/generated/prisma/client.js'

/** A member-left feed that only records what was published (schema tests run no pub/sub). */
export interface RecordingFeed {
  published: MemberLeftEvent[]
  publish(events: readonly MemberLeftEvent[]): void
  close(): Promise<void>
}

export function recordingFeed(): RecordingFeed {
  const published: MemberLeftEvent[] = []
  return {
    published,
    publish: (events) => void published.push(...events),
    close: async () => {},
  }
}

/**
 * Deps for schema tests: the database's client, the system clock, a recording feed. Nothing
 * is started (no dispatcher, no presence heartbeats); webhook hosts on loopback are allowed.
 */
export function testDeps(db: Database, overrides: Partial<AppDeps> = {}): AppDeps {
  const defaults = loadConfig({})
  const base = createAppDeps({
    prisma: db.prisma,
    clock: overrides.clock ?? systemClock,
    webhooks: { ...defaults.webhooks, allowPrivate: true, serverKey: 'schema-tests-server-key' },
    rateLimits: defaults.rateLimits,
  })
  const idle: AppDeps['webhookDispatcher'] = { start: () => {}, stop: async () => {}, nudge: () => {} }
  const deps: AppDeps = { ...base, memberLeft: recordingFeed() as unknown as AppDeps['memberLeft'], webhookDispatcher: idle, ...overrides }
  return { ...deps, announceExits: overrides.announceExits ?? ((events) => events.length > 0 && deps.memberLeft.publish(events)) }
}

/** A signed-in user, as the auth layer would build it. */
export function userViewer(user: User | string): Viewer {
  const uid = typeof user === 'string' ? user : user.uid
  return { uid, sub: uid, isAppAdmin: false, user: typeof user === 'string' ? null : user }
}

/** The app admin; with `uid`, an admin token whose `sub` is also a user. */
export function adminViewer(uid: string | null = null): Viewer {
  return { uid, sub: uid ?? 'backend', isAppAdmin: true, user: null }
}

/** An execution result that remembers what produced it, for failure messages. */
export interface GqlResult<TData> extends ExecutionResult<TData> {
  document: string
  variables: Record<string, unknown> | undefined
}

type Vars<TVariables> = TVariables extends Record<string, never> ? [variables?: TVariables] : [variables: TVariables]

/**
 * Executes `document` on the schema with the context the server would build for `viewer`.
 * Pass a Database (deps are made from it) or full AppDeps.
 */
export async function executeAs<TData, TVariables extends Record<string, unknown>>(
  depsOrDb: AppDeps | Database,
  viewer: Viewer | null,
  document: TypedDocumentNode<TData, TVariables>,
  ...[variables]: Vars<TVariables>
): Promise<GqlResult<TData>> {
  const deps = 'clock' in depsOrDb ? depsOrDb : testDeps(depsOrDb)
  const contextValue: GraphQLContext = { viewer, deps }
  const result = (await execute({
    schema,
    document,
    variableValues: variables,
    contextValue,
  })) as ExecutionResult<TData>
  return { ...result, document: print(document), variables }
}

function describe(result: GqlResult<unknown>): string {
  const response = { data: result.data, errors: result.errors?.map(formatted) }
  return [
    '--- document',
    result.document.trim(),
    '--- variables',
    json(result.variables ?? {}),
    '--- response',
    json(response),
  ].join('\n')
}

function formatted(error: GraphQLFormattedError | Error): GraphQLFormattedError & { stack?: string } {
  const e = error as Error & GraphQLFormattedError & { originalError?: Error }
  return {
    message: e.message,
    path: e.path,
    extensions: e.extensions,
    // An unexpected exception keeps its origin, or the failure says nothing useful.
    ...(e.originalError && !(e.extensions && 'code' in e.extensions) ? { stack: e.originalError.stack } : {}),
  }
}

function json(value: unknown): string {
  return JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? `${v}n` : v), 2)
}

function fail(message: string, result: GqlResult<unknown>): never {
  throw new Error(`${message}\n${describe(result)}`)
}

/** The data of a result that has no errors. */
export function expectData<TData>(result: GqlResult<TData>): TData {
  if (result.errors?.length) fail(`expected no errors, got ${result.errors.length}`, result)
  if (result.data == null) fail('expected data', result)
  return result.data
}

/** A top-level GraphQL error with `extensions.code` (UNAUTHENTICATED, FORBIDDEN, ERR_INVALID_INPUT…). */
export function expectGraphQLError(result: GqlResult<unknown>, code: string, messageIncludes?: string): GraphQLFormattedError {
  const error = result.errors?.find((e) => e.extensions?.code === code)
  if (!error) fail(`expected a GraphQL error with extensions.code ${code}`, result)
  if (messageIncludes && !error.message.includes(messageIncludes)) {
    fail(`expected the ${code} error's message to include ${JSON.stringify(messageIncludes)}`, result)
  }
  return error
}

type Typed = { __typename?: string }
type FieldOf<TData> = Extract<keyof TData, string>

/**
 * The payload of a mutation field whose result is a union (`... on SomePayload` selected with
 * `__typename`). Fails, printing everything, on an error result or a top-level error.
 */
export function expectPayload<TData, F extends FieldOf<TData>, N extends string>(
  result: GqlResult<TData>,
  field: F,
  typename: N,
): Extract<NonNullable<TData[F]>, { __typename: N }> {
  const data = expectData(result)
  const value = data[field] as (Typed & { code?: string; message?: string }) | null | undefined
  if (value == null) fail(`expected ${field} to be a ${typename}, got null`, result)
  if (value.__typename === undefined) fail(`select __typename on ${field} to use expectPayload`, result)
  if (value.__typename !== typename) {
    fail(`expected ${field} to be a ${typename}, got ${value.__typename}${value.code ? ` (${value.code}: ${value.message})` : ''}`, result)
  }
  return value as Extract<NonNullable<TData[F]>, { __typename: N }>
}

/** The error a mutation returned as data (`... on Error { code message }`), with the given code. */
export function expectError<TData, F extends FieldOf<TData>>(
  result: GqlResult<TData>,
  field: F,
  code: string,
): Extract<NonNullable<TData[F]>, { code: unknown }> {
  const data = expectData(result)
  const value = data[field] as (Typed & { code?: string }) | null | undefined
  if (value == null) fail(`expected ${field} to be an error ${code}, got null`, result)
  if (value.code === undefined) fail(`expected ${field} to be an error ${code}, got ${value.__typename ?? 'a payload'} (select ... on Error { code message })`, result)
  if (value.code !== code) fail(`expected ${field} to be an error ${code}, got ${value.code}`, result)
  return value as Extract<NonNullable<TData[F]>, { code: unknown }>
}
