import { PGlite } from '@electric-sql/pglite'
import { expect, test } from 'vitest'
import { pgliteMigrationTarget } from '../../src/db/database.js'
import { diffMigrationsToSchema } from '../../src/db/migration-engine.js'

test('prisma/schema.prisma and prisma/migrations describe the same database', async () => {
  const pglite = new PGlite()
  const target = pgliteMigrationTarget(pglite)
  try {
    const sql = await diffMigrationsToSchema(target)
    expect(sql, 'schema.prisma changed without a migration: run `npm run db:migration -- <name>`').toBe('')
  } finally {
    await target.release()
    await pglite.close()
  }
}, 60_000)
