import { z } from 'zod'
import type { DocumentLimits } from './limits/document-limits.js'

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  DATA_DIR: z.string().min(1).default('./data'),
  AUTH_SECRET: z.string().min(16, 'must be at least 16 characters').optional().or(z.literal('').transform(() => undefined)),
  AUTH_JWKS_URL: z.string().url().regex(/^https?:\/\//, 'must be an http:// or https:// URL').optional().or(z.literal('').transform(() => undefined)),
  AUTH_ISSUER: z.string().min(1).optional().or(z.literal('').transform(() => undefined)),
  AUTH_AUDIENCE: z.string().min(1).optional().or(z.literal('').transform(() => undefined)),
  AUTH_JWKS_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5000),
  AUTH_JWKS_COOLDOWN_MS: z.coerce.number().int().min(0).max(3_600_000).default(30_000),
  NODE_ENV: z.string().default('development'),
  APP_ID: z.string().min(1).max(100).default('departures'),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(1).max(60_000).default(5000),
  WEBHOOK_RETRY_DELAYS: z
    .string()
    .default('10,60,300,1800,7200,21600')
    .transform((value, ctx) => {
      const delays = value.split(',').map((part) => Number(part.trim()))
      if (value.trim() === '' || delays.some((d) => !Number.isFinite(d) || d < 0 || d > 7 * 24 * 3600)) {
        ctx.addIssue({ code: 'custom', message: 'must be comma-separated seconds, each from 0 to 604800 (7 days)' })
        return z.NEVER
      }
      return delays
    }),
  WEBHOOK_ALLOW_PRIVATE: z
    .enum(['true', 'false', ''])
    .default('false')
    .transform((value) => value === 'true'),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1 to 64 letters, digits, _ . : or -').default('departures'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  METRICS_TOKEN: z.string().min(1).optional().or(z.literal('').transform(() => undefined)),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  RATE_LIMIT_MUTATIONS: z.coerce.number().int().min(1).max(1_000_000).default(120),
  RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  RATE_LIMIT_REQUESTS_PER_MINUTE: z.coerce.number().int().min(1).max(10_000_000).default(1200),
  MAX_CONNECTIONS_PER_USER: z.coerce.number().int().min(1).max(100_000).default(20),
  MAX_SUBSCRIPTIONS_PER_CONNECTION: z.coerce.number().int().min(1).max(100_000).default(100),
  WS_MAX_MESSAGE_BYTES: z.coerce.number().int().min(1024).max(64 * 1024 * 1024).default(256 * 1024),
  GRAPHQL_INTROSPECTION: z.enum(['true', 'false', '']).default(''),
  MAX_QUERY_DEPTH: z.coerce.number().int().min(1).max(1000).default(10),
  MAX_ALIASES: z.coerce.number().int().min(0).max(100_000).default(30),
  MAX_DIRECTIVES: z.coerce.number().int().min(0).max(100_000).default(50),
  MAX_TOKENS: z.coerce.number().int().min(100).max(1_000_000).default(2000),
  MAX_QUERY_COST: z.coerce.number().int().min(1).max(100_000_000).default(5000),
})

export type Config = {
  port: number
  host: string
  databaseUrl: string | undefined
  /** Folder for PGlite's files and the generated auth secret; 'memory' keeps nothing. */
  dataDir: string
  /** Unset: generated once and kept in dataDir (refused in production). */
  authSecret: string | undefined
  production: boolean
  /** RS256/ES256 tokens from an identity provider, verified against its JWKS (beside HS256 with authSecret). */
  identityProvider:
    | {
        jwksUrl: string
        /** Checked against `iss` when set. */
        issuer: string | undefined
        /** Checked against `aud` when set. */
        audience: string | undefined
        /** How long one fetch of the key set may take. */
        timeoutMs: number
        /** At least this long between two fetches made for an unknown `kid`. */
        cooldownMs: number
      }
    | undefined
  /**
   * Introspection and field suggestions ("Did you mean …"): on unless production;
   * GRAPHQL_INTROSPECTION=true or false decides either way.
   */
  introspection: boolean
  /** Every operation (HTTP and graphql-ws) is refused before execution beyond these. */
  documentLimits: DocumentLimits
  /** Unset: one instance, everything in process. Set: events, sign-outs and rate-limit counters cross instances. */
  redisUrl: string | undefined
  /** Prefix of every Redis channel and key, so that deployments can share one Redis. */
  redisPrefix: string
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
  /** When set, GET /metrics needs `Authorization: Bearer <metricsToken>`. */
  metricsToken: string | undefined
  /** SIGTERM/SIGINT: the process exits within this, cutting what is still open. */
  shutdownTimeoutMs: number
  rateLimits: {
    /** Mutations a user may call per window. */
    mutations: number
    windowSeconds: number
    /** HTTP requests per minute per user, or per client address without a token. */
    requestsPerMinute: number
  }
  webSocketLimits: {
    /** Open graphql-ws connections one user may hold on one instance; the next is closed with 4429. */
    connectionsPerUser: number
    /** Operations one connection may have running; the next gets an error message. */
    subscriptionsPerConnection: number
    /** Largest message a client may send; a larger one closes the socket with 1009. */
    maxMessageBytes: number
  }
  webhooks: {
    /** Sent as the SdkAppid query value. */
    appId: string
    timeoutMs: number
    /** Seconds to wait after each failed attempt; one more attempt than delays, then DEAD. */
    retryDelaysSeconds: number[]
    /** Allows endpoints on loopback, private and link-local addresses. */
    allowPrivate: boolean
  }
}

export class ConfigError extends Error {}

/** Parses every setting at once and reports all bad ones together. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = schema.safeParse(env)
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`)
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`)
  }
  const e = parsed.data
  const production = e.NODE_ENV === 'production'
  if (production && !e.AUTH_SECRET) {
    throw new ConfigError('invalid configuration:\n  AUTH_SECRET: required when NODE_ENV=production')
  }
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR,
    authSecret: e.AUTH_SECRET,
    production,
    identityProvider: e.AUTH_JWKS_URL
      ? { jwksUrl: e.AUTH_JWKS_URL, issuer: e.AUTH_ISSUER, audience: e.AUTH_AUDIENCE, timeoutMs: e.AUTH_JWKS_TIMEOUT_MS, cooldownMs: e.AUTH_JWKS_COOLDOWN_MS }
      : undefined,
    introspection: e.GRAPHQL_INTROSPECTION === '' ? !production : e.GRAPHQL_INTROSPECTION === 'true',
    documentLimits: {
      depth: e.MAX_QUERY_DEPTH,
      aliases: e.MAX_ALIASES,
      directives: e.MAX_DIRECTIVES,
      tokens: e.MAX_TOKENS,
      cost: e.MAX_QUERY_COST,
    },
    redisUrl: e.REDIS_URL,
    redisPrefix: e.REDIS_PREFIX,
    logLevel: e.LOG_LEVEL,
    metricsToken: e.METRICS_TOKEN,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    rateLimits: {
      mutations: e.RATE_LIMIT_MUTATIONS,
      windowSeconds: e.RATE_LIMIT_WINDOW_SECONDS,
      requestsPerMinute: e.RATE_LIMIT_REQUESTS_PER_MINUTE,
    },
    webSocketLimits: {
      connectionsPerUser: e.MAX_CONNECTIONS_PER_USER,
      subscriptionsPerConnection: e.MAX_SUBSCRIPTIONS_PER_CONNECTION,
      maxMessageBytes: e.WS_MAX_MESSAGE_BYTES,
    },
    webhooks: {
      appId: e.APP_ID,
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      retryDelaysSeconds: e.WEBHOOK_RETRY_DELAYS,
      allowPrivate: e.WEBHOOK_ALLOW_PRIVATE,
    },
  }
}
