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
