// Creates fresh databases on the TEST_DATABASE_URL server for this run, one per vitest worker
// (copies of one migrated template), and drops them afterwards. Files in one worker run one
// after another, as they always did on one database; files in two workers at once would see
// each other's exits (the app admin's stream has all of them) and in-flight transactions (the
// read horizon). A set but unreachable server fails the run.
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import type { TestProject } from 'vitest/node'
import { openDatabase } from '../../src/db/database.js'

export default async function setup(project: TestProject) {
  const serverUrl = process.env.TEST_DATABASE_URL
  if (!serverUrl) throw new Error('TEST_DATABASE_URL is unset')
  const name = `departures_test_${randomBytes(5).toString('hex')}`
  const admin = new pg.Client({ connectionString: serverUrl })
  try {
    await admin.connect()
  } catch (error) {
    throw new Error(`TEST_DATABASE_URL is set but PostgreSQL is unreachable: ${(error as Error).message}`)
  }
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  const db = await openDatabase({ databaseUrl: url.toString(), dataDir: 'memory' })
  await db.migrate()
  await db.close()

  const workers = Math.max(1, project.globalConfig.maxWorkers ?? 1)
  const names = Array.from({ length: workers }, (_, i) => `${name}_w${i + 1}`)
  const copier = new pg.Client({ connectionString: serverUrl })
  await copier.connect()
  for (const copy of names) await copier.query(`CREATE DATABASE ${copy} TEMPLATE ${name}`)
  await copier.end()
  project.provide(
    'postgresUrls',
    names.map((copy) => Object.assign(new URL(url), { pathname: `/${copy}` }).toString()),
  )

  return async () => {
    const cleanup = new pg.Client({ connectionString: serverUrl })
    await cleanup.connect()
    for (const dropped of [...names, name]) await cleanup.query(`DROP DATABASE IF EXISTS ${dropped} WITH (FORCE)`)
    await cleanup.end()
  }
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** One per worker: see testPostgresUrl() in database.ts. */
    postgresUrls: string[]
  }
}
