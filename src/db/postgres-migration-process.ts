// Entry of the child process that applies migrations on PostgreSQL (postgres-migrations.ts).
import { applyPostgresMigrations } from './postgres-migrations.js'

const url = process.argv[2]
if (!url) throw new Error('usage: postgres-migration-process <postgres url>')
const applied = await applyPostgresMigrations(url)
process.send!({ applied }, () => process.disconnect())
