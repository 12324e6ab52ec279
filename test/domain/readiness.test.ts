import { afterAll, beforeAll, expect, test } from 'vitest'
import { openDatabase, type Database } from '../../src/db/database.js'
import { readinessCheck } from '../../src/operations/readiness.js'
import { openTestDatabase } from '../support/database.js'

let db: Database
beforeAll(async () => {
  db = await openTestDatabase()
})
afterAll(() => db?.close())

test('a migrated database that answers is ready', async () => {
  expect(await readinessCheck({ prisma: db.prisma })()).toEqual({ ready: true, checks: { database: 'ok', migrations: 'ok' } })
})

test('a migration of this build that the database lacks makes it not ready, named', async () => {
  const report = await readinessCheck({ prisma: db.prisma, expectedMigrations: async () => ['20261122050433_init', '29990101000000_from_the_future'] })()
  expect(report).toEqual({ ready: false, checks: { database: 'ok', migrations: 'not applied: 29990101000000_from_the_future' } })
})

test('a database that does not answer makes it not ready within the timeout, without connection details', async () => {
  // Nothing listens on port 1.
  const unreachable = await openDatabase({ databaseUrl: 'postgres://postgres:hunter2@127.0.0.1:1/nowhere', dataDir: 'memory' })
  try {
    const started = Date.now()
    const report = await readinessCheck({ prisma: unreachable.prisma, timeoutMs: 1000 })()
    expect(Date.now() - started).toBeLessThan(3000)
    expect(report.ready).toBe(false)
    expect(report.checks.database).not.toBe('ok')
    expect(report.checks.migrations).not.toBe('ok')
    expect(JSON.stringify(report)).not.toContain('hunter2')
  } finally {
    await unreachable.close()
  }
})
