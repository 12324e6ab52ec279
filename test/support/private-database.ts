import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { openDatabase, type Database } from '../../src/db/database.js'
import { openTestDatabase, testDatabaseKind, testPostgresUrl } from './database.js'

/**
 * A migrated database that only this test file uses, on PostgreSQL too (PGlite's is private
 * anyway). For tests of operations that act on every row rather than on the test's own:
 * the realtime sweep (all rooms) and presence reaping (all lapsed instances). On the run's
 * shared database another file's sweeper or presence would do that work first.
 * close() drops it.
 */
export async function openPrivateTestDatabase(options: { onQuery?: (sql: string) => void } = {}): Promise<Database> {
  if (testDatabaseKind() === 'pglite') return openTestDatabase(options)
  const shared = new URL(testPostgresUrl())
  const name = `${shared.pathname.slice(1)}_${randomBytes(4).toString('hex')}`
  await onServer(shared, `CREATE DATABASE ${name}`)
  const url = new URL(shared)
  url.pathname = `/${name}`
  const db = await openDatabase({ databaseUrl: url.toString(), dataDir: 'memory', onQuery: options.onQuery })
  await db.migrate()
  return {
    ...db,
    close: async () => {
      await db.close()
      await onServer(shared, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    },
  }
}

async function onServer(url: URL, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url.toString() })
  await client.connect()
  try {
    await client.query(sql)
  } finally {
    await client.end()
  }
}
