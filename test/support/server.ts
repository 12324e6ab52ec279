import { randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'
import { print, type GraphQLFormattedError } from 'graphql'
import type { TypedDocumentNode } from '@graphql-typed-document-node/core'
import { buildApp, type BuildAppOptions, type LiveCounts } from '../../src/app.js'
import { signToken } from '../../src/auth/tokens.js'
import { loadConfig } from '../../src/config.js'
import type { AppDeps } from '../../src/context.js'
import type { Database } from '../../src/db/database.js'
import { createAppDeps, type AppDepsOptions } from '../../src/deps.js'
import type { Clock } from '../../src/domain/clock.js'
import { openTestDatabase } from './database.js'
import { openPrivateTestDatabase } from './private-database.js'

export interface TestServer {
  /** The server key (AUTH_SECRET), for a second instance over the same database. */
  authSecret: string
  /** The GraphQL endpoint, http://127.0.0.1:<port>/graphql. */
  url: string
  /** ws://127.0.0.1:<port>/graphql. */
  wsUrl: string
  deps: AppDeps
  db: Database
  /** Connections, unwritten bytes, subscriptions and their cohorts, now. */
  liveCounts(): LiveCounts
  /** A token signed with this server's secret. */
  token(uid: string, options?: { admin?: boolean; expiresIn?: string; issuedAt?: Date }): Promise<string>
  stop(): Promise<void>
}

/** The real server (Yoga + graphql-ws) on a free port, over a test database. */
export async function startTestServer(
  options: {
    clock?: Clock
    /** The realtime sweeper is off unless timings.offlineSweepMs is given: it acts on every room. */
    timings?: BuildAppOptions['timings']
    presence?: AppDepsOptions['presence']
    /** A database of this file's own, also on PostgreSQL (see openPrivateTestDatabase). */
    privateDatabase?: boolean
    /** Another server's database: a second instance of the service (left open by stop()). */
    database?: Database
    /** Environment settings (WEBHOOK_…, APP_ID, RATE_LIMIT_…); WEBHOOK_ALLOW_PRIVATE is true unless given. */
    env?: Record<string, string>
    /** Webhook dispatcher timings. */
    webhooks?: Partial<Pick<AppDepsOptions['webhooks'], 'pollMs' | 'perEndpointConcurrency' | 'claimLeaseMs'>>
    /** The server key (AUTH_SECRET); a second instance must share it to open sealed secrets. */
    authSecret?: string
    maxBufferedBytes?: BuildAppOptions['maxBufferedBytes']
    /** Several instances: a Redis client the test owns (left open by stop()); in process without it. */
    redis?: Redis
    /** Prefix of the Redis channels and rate-limit keys: instances that share them share it. Default: one of this server's own. */
    redisPrefix?: string
    /** With Redis: how often feeds read anyway (default 1000 ms). */
    crossInstancePollMs?: number
  } = {},
): Promise<TestServer> {
  const db = options.database ?? (options.privateDatabase ? await openPrivateTestDatabase() : await openTestDatabase())
  const secret = options.authSecret ?? randomBytes(32).toString('base64url')
  // Through loadConfig, so settings added later get their defaults here too.
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: 'memory',
    AUTH_SECRET: secret,
    NODE_ENV: 'test',
    WEBHOOK_ALLOW_PRIVATE: 'true',
    ...options.env,
  })
  const redisPrefix = options.redisPrefix ?? `departures-test:${randomBytes(8).toString('hex')}`
  const deps = createAppDeps({
    prisma: db.prisma,
    redis: options.redis,
    redisPrefix,
    crossInstancePollMs: options.crossInstancePollMs,
    clock: options.clock,
    presence: options.presence,
    webhooks: { ...config.webhooks, serverKey: secret, ...options.webhooks },
    rateLimits: config.rateLimits,
  })
  const app = await buildApp({
    config,
    deps,
    authSecret: secret,
    timings: { offlineSweepMs: 0, ...options.timings },
    maxBufferedBytes: options.maxBufferedBytes,
  })
  await app.start()
  return {
    authSecret: secret,
    url: app.url,
    wsUrl: app.wsUrl,
    deps,
    db,
    liveCounts: () => app.liveCounts(),
    token: (uid, tokenOptions = {}) => signToken(secret, { sub: uid, ...tokenOptions }),
    stop: async () => {
      await app.stop()
      if (!options.database) await db.close()
    },
  }
}

export interface GqlResponse<TData = Record<string, unknown>> {
  status: number
  data?: TData | null
  errors?: GraphQLFormattedError[]
}

/**
 * POSTs a typed document (from test/documents) to the server, with `Authorization: Bearer <token>`
 * when a token is given. Unlike remote.ts' request(), the answer keeps the HTTP status.
 */
export async function gql<TData, TVariables extends Record<string, unknown>>(
  server: Pick<TestServer, 'url'>,
  token: string | null,
  document: TypedDocumentNode<TData, TVariables>,
  variables?: TVariables,
): Promise<GqlResponse<TData>> {
  const query = print(document)
  const response = await fetch(server.url, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Accept: 'application/graphql-response+json, application/json',
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  })
  const body = (await response.json()) as Omit<GqlResponse<TData>, 'status'>
  return { status: response.status, ...body }
}

/**
 * Opens subscriptions with `open` and resolves once the server's feed has registered `count`
 * more of them: from then on every exit that commits reaches them (no sleeping and hoping).
 * Counts registrations, not live subscriptions, which other tests' streams may leave meanwhile.
 */
export async function whenFollowing<T>(server: { deps: AppDeps }, open: () => T, count = 1): Promise<T> {
  const feed = server.deps.memberLeft
  const target = feed.registrationCount + count
  const opened = open()
  const deadline = Date.now() + 10_000
  while (feed.registrationCount < target) {
    if (Date.now() > deadline) throw new Error(`the server registered ${target - feed.registrationCount} fewer subscriptions than expected within 10 s`)
    await new Promise((r) => setTimeout(r, 5))
  }
  return opened
}
