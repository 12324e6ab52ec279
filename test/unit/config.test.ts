import { expect, test } from 'vitest'
import { ConfigError, loadConfig } from '../../src/config.js'

function configError(env: Record<string, string>): string {
  try {
    loadConfig(env)
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    return (error as ConfigError).message
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`)
}

test('an empty environment gives the documented defaults', () => {
  expect(loadConfig({})).toMatchObject({
    port: 4000,
    host: '127.0.0.1',
    databaseUrl: undefined,
    dataDir: './data',
    authSecret: undefined,
    production: false,
  })
})

test('PORT=0 is accepted, to pick a free port', () => {
  expect(loadConfig({ PORT: '0' }).port).toBe(0)
})

test('empty DATABASE_URL and AUTH_SECRET count as unset', () => {
  const config = loadConfig({ DATABASE_URL: '', AUTH_SECRET: '' })
  expect(config.databaseUrl).toBeUndefined()
  expect(config.authSecret).toBeUndefined()
})

test('a bad PORT is reported by name', () => {
  expect(configError({ PORT: 'eighty' })).toMatch(/PORT/)
  expect(configError({ PORT: '70000' })).toMatch(/PORT/)
})

test('every bad setting is reported at once', () => {
  const message = configError({ PORT: '-1', DATABASE_URL: 'mysql://db', AUTH_SECRET: 'short' })
  expect(message).toMatch(/PORT/)
  expect(message).toMatch(/DATABASE_URL/)
  expect(message).toMatch(/AUTH_SECRET/)
})

test('production refuses to start without AUTH_SECRET', () => {
  expect(configError({ NODE_ENV: 'production' })).toMatch(/AUTH_SECRET/)
  expect(loadConfig({ NODE_ENV: 'production', AUTH_SECRET: 'a'.repeat(32) }).production).toBe(true)
})

test('webhook settings default as the contract README says', () => {
  expect(loadConfig({}).webhooks).toEqual({
    appId: 'departures',
    timeoutMs: 5000,
    retryDelaysSeconds: [10, 60, 300, 1800, 7200, 21600],
    allowPrivate: false,
  })
})

test('webhook settings are read from APP_ID, WEBHOOK_TIMEOUT_MS, WEBHOOK_RETRY_DELAYS and WEBHOOK_ALLOW_PRIVATE', () => {
  expect(loadConfig({ APP_ID: '1400000000', WEBHOOK_TIMEOUT_MS: '250', WEBHOOK_RETRY_DELAYS: '0.1, 2,5', WEBHOOK_ALLOW_PRIVATE: 'true' }).webhooks).toEqual({
    appId: '1400000000',
    timeoutMs: 250,
    retryDelaysSeconds: [0.1, 2, 5],
    allowPrivate: true,
  })
})

test('bad webhook settings are refused, naming the variable', () => {
  expect(configError({ WEBHOOK_RETRY_DELAYS: '10,soon' })).toMatch(/WEBHOOK_RETRY_DELAYS/)
  expect(configError({ WEBHOOK_RETRY_DELAYS: '' })).toMatch(/WEBHOOK_RETRY_DELAYS/)
  expect(configError({ WEBHOOK_TIMEOUT_MS: '0' })).toMatch(/WEBHOOK_TIMEOUT_MS/)
  expect(configError({ WEBHOOK_ALLOW_PRIVATE: 'yes' })).toMatch(/WEBHOOK_ALLOW_PRIVATE/)
})

test('operating settings default as the contract README says', () => {
  expect(loadConfig({})).toMatchObject({
    redisUrl: undefined,
    redisPrefix: 'departures',
    logLevel: 'info',
    metricsToken: undefined,
    shutdownTimeoutMs: 10_000,
    rateLimits: { mutations: 120, windowSeconds: 60, requestsPerMinute: 1200 },
    webSocketLimits: { connectionsPerUser: 20, subscriptionsPerConnection: 100, maxMessageBytes: 262144 },
  })
})

test('operating settings are read and bad ones named', () => {
  expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379/2', RATE_LIMIT_MUTATIONS: '5', METRICS_TOKEN: 'm' })).toMatchObject({
    redisUrl: 'redis://127.0.0.1:6379/2',
    metricsToken: 'm',
    rateLimits: { mutations: 5 },
  })
  const message = configError({ REDIS_URL: 'http://redis', LOG_LEVEL: 'loud', RATE_LIMIT_WINDOW_SECONDS: '0' })
  expect(message).toMatch(/REDIS_URL/)
  expect(message).toMatch(/LOG_LEVEL/)
  expect(message).toMatch(/RATE_LIMIT_WINDOW_SECONDS/)
})

test('introspection is on outside production, off in production, and GRAPHQL_INTROSPECTION decides either way', () => {
  const secret = 'a'.repeat(32)
  expect(loadConfig({}).introspection).toBe(true)
  expect(loadConfig({ NODE_ENV: 'production', AUTH_SECRET: secret }).introspection).toBe(false)
  expect(loadConfig({ NODE_ENV: 'production', AUTH_SECRET: secret, GRAPHQL_INTROSPECTION: 'true' }).introspection).toBe(true)
  expect(loadConfig({ GRAPHQL_INTROSPECTION: 'false' }).introspection).toBe(false)
  expect(configError({ GRAPHQL_INTROSPECTION: 'yes' })).toMatch(/GRAPHQL_INTROSPECTION/)
})

test('document limits default as the contract README says, and are read from MAX_…', () => {
  expect(loadConfig({}).documentLimits).toEqual({ depth: 10, aliases: 30, directives: 50, tokens: 2000, cost: 5000 })
  expect(
    loadConfig({ MAX_QUERY_DEPTH: '12', MAX_ALIASES: '5', MAX_DIRECTIVES: '7', MAX_TOKENS: '3000', MAX_QUERY_COST: '100000' }).documentLimits,
  ).toEqual({ depth: 12, aliases: 5, directives: 7, tokens: 3000, cost: 100000 })
  const message = configError({ MAX_QUERY_DEPTH: '0', MAX_TOKENS: 'many' })
  expect(message).toMatch(/MAX_QUERY_DEPTH/)
  expect(message).toMatch(/MAX_TOKENS/)
})
