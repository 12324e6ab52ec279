import { randomBytes } from 'node:crypto'
import { inject } from 'vitest'
import { openDatabase, type Database } from '../../src/db/database.js'

export type TestDatabaseKind = 'pglite' | 'postgres'

export function testDatabaseKind(): TestDatabaseKind {
  return process.env.DEPARTURES_TEST_DB === 'postgres' ? 'postgres' : 'pglite'
}

/**
 * A migrated database for one test file: an in-memory PGlite, or the run's PostgreSQL
 * database (shared by files running in parallel, so tests create their own unique rows).
 */
export async function openTestDatabase(
  options: { onQuery?: (sql: string) => void; onRoundTrip?: (sql: string) => void } = {},
): Promise<Database> {
  if (testDatabaseKind() === 'postgres') {
    return openDatabase({ databaseUrl: testPostgresUrl(), dataDir: 'memory', onQuery: options.onQuery, onRoundTrip: options.onRoundTrip })
  }
  const db = await openDatabase({ dataDir: 'memory', onQuery: options.onQuery })
  await db.migrate()
  return db
}

/** This worker's database of the run (postgres-global-setup.ts makes one per worker). */
export function testPostgresUrl(): string {
  const urls = inject('postgresUrls')
  return urls[(Number(process.env.VITEST_POOL_ID ?? '1') - 1) % urls.length]!
}

/** A fresh id, so tests never collide with each other's rows. */
export function uniqueId(prefix: string): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`
}
