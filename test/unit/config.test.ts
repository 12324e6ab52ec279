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
