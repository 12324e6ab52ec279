import { randomBytes } from 'node:crypto'
import pg from 'pg'

/** Runs one statement (CREATE or DROP DATABASE) on a PostgreSQL server, over a connection of its own. */
export async function onDatabaseServer(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query(sql)
  } finally {
    await client.end()
  }
}

/** Runs `work` on a database of its own (`<prefix>_<random>`) on the given server, dropped afterwards. */
export async function onThrowawayDatabase<T>(serverUrl: string, prefix: string, work: (url: string) => Promise<T>): Promise<T> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`
  await onDatabaseServer(serverUrl, `CREATE DATABASE ${name}`)
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  try {
    return await work(url.toString())
  } finally {
    await onDatabaseServer(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
  }
}
