import type { Database } from '../../src/db/database.js'
import { openTestDatabase } from './database.js'
import { openPrivateTestDatabase } from './private-database.js'

export interface StatementLog {
  /** Runs `work` and returns the SQL statements this database was sent meanwhile. */
  statementsOf<T>(work: () => Promise<T>): Promise<{ value: T; sql: string[] }>
  /** How many statements `work` sent. */
  countStatements(work: () => Promise<unknown>): Promise<number>
}

/**
 * A test database (openTestDatabase, or openPrivateTestDatabase with `private`) whose
 * statements can be collected around a piece of work.
 */
export async function openLoggedTestDatabase(options: { private?: boolean } = {}): Promise<{ db: Database } & StatementLog> {
  let collecting: string[] | null = null
  const onQuery = (sql: string) => void collecting?.push(sql)
  const db = options.private ? await openPrivateTestDatabase({ onQuery }) : await openTestDatabase({ onQuery })
  async function statementsOf<T>(work: () => Promise<T>): Promise<{ value: T; sql: string[] }> {
    const sql: string[] = []
    collecting = sql
    try {
      return { value: await work(), sql }
    } finally {
      collecting = null
    }
  }
  return { db, statementsOf, countStatements: async (work) => (await statementsOf(work)).sql.length }
}
