// npm run db:migrate: applies pending migrations to the configured database
// (DATABASE_URL, else the embedded PGlite in DATA_DIR), as `prisma migrate deploy` would.
import { ConfigError, loadConfig } from '../src/config.js'
import { openDatabase } from '../src/db/database.js'

try {
  const config = loadConfig()
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir })
  try {
    const applied = await db.migrate()
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'no pending migrations')
  } finally {
    await db.close()
  }
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error)
  process.exit(1)
}
