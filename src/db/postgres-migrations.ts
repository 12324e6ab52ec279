// Migrations on PostgreSQL run in a child process: Prisma's schema engine is a wasm module whose
// memory cannot shrink once grown, and what its thread allocated stays in that thread's malloc
// arena after it ends. In the server's process either would stay resident (some 40 MiB) for as
// long as the server runs; a child's memory goes when it exits.
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { PrismaPg } from '@prisma/adapter-pg'
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils'
import { applyMigrations } from './migration-engine.js'

function postgresMigrationTarget(url: string) {
  const pg = new PrismaPg({ connectionString: url })
  const opened: SqlDriverAdapter[] = []
  const factory: SqlMigrationAwareDriverAdapterFactory & { release(): Promise<void> } = {
    provider: 'postgres',
    adapterName: 'departures-pg',
    connect: async () => {
      const adapter = await pg.connect()
      opened.push(adapter)
      return adapter
    },
    // PrismaPg's own shadow connects to the main database, where replaying migrations would
    // touch real data. Nothing here needs a shadow on PostgreSQL (diffs run on PGlite).
    connectToShadowDb: () => Promise.reject(new Error('no shadow database on PostgreSQL; diff on PGlite')),
    release: async () => {
      await Promise.all(opened.splice(0).map((a) => a.dispose()))
    },
  }
  return factory
}

/** Applies pending migrations in this thread; returns their names. */
export async function applyPostgresMigrations(url: string): Promise<string[]> {
  const target = postgresMigrationTarget(url)
  try {
    return await applyMigrations(target)
  } finally {
    await target.release()
  }
}

/** Applies pending migrations in a child process; returns their names. */
export function applyPostgresMigrationsInChildProcess(url: string): Promise<string[]> {
  // Under tsx or vitest this module is TypeScript, and so is the child's entry.
  const typescript = import.meta.url.endsWith('.ts')
  const entry = fileURLToPath(new URL(`./postgres-migration-process.${typescript ? 'ts' : 'js'}`, import.meta.url))
  const child = fork(entry, [url], { execArgv: typescript ? ['--import', 'tsx'] : [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  return new Promise<string[]>((resolve, reject) => {
    child.once('message', (message: { applied: string[] }) => resolve(message.applied))
    child.once('error', reject)
    child.once('exit', (code, signal) => reject(new Error(`applying migrations failed (the child process exited with ${signal ?? `code ${code}`}; its error is above)`)))
  })
}
