// npm run db:migration -- <name>: writes prisma/migrations/<timestamp>_<name>/migration.sql
// with the SQL that brings the migrations up to prisma/schema.prisma (diffed on an in-memory PGlite).
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { pgliteMigrationTarget } from '../src/db/database.js'
import { diffMigrationsToSchema, MIGRATIONS_DIR } from '../src/db/migration-engine.js'

const name = process.argv[2]
if (!name || !/^[a-z0-9_]+$/.test(name)) {
  console.error('usage: npm run db:migration -- <name>   (name: lowercase letters, digits, _)')
  process.exit(2)
}
const pglite = new PGlite()
const target = pgliteMigrationTarget(pglite)
try {
  const sql = await diffMigrationsToSchema(target)
  if (!sql.trim()) {
    console.log('schema.prisma and the migrations agree: nothing to write')
  } else {
    const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14)
    const dir = join(MIGRATIONS_DIR, `${stamp}_${name}`)
    await mkdir(dir, { recursive: true })
    await writeFile(join(dir, 'migration.sql'), sql)
    console.log(`wrote ${join(dir, 'migration.sql')}`)
  }
} finally {
  await target.release()
  await pglite.close()
}
