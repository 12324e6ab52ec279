// Migrations on PostgreSQL run in a worker thread: Prisma's schema engine is a wasm module whose
// memory cannot shrink once grown, and in the server's own thread it would stay resident
// (some 20–40 MiB) for as long as the server runs. A worker's memory goes when it exits.
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
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

/** Applies pending migrations in a worker thread; returns their names. */
export function applyPostgresMigrationsInWorker(url: string): Promise<string[]> {
  const worker = new Worker(workerEntry, { eval: true, workerData: { url, ...workerModule() } })
  return new Promise<string[]>((resolve, reject) => {
    worker.once('message', resolve)
    worker.once('error', reject)
    worker.once('exit', (code) => reject(new Error(`the migration worker exited with code ${code} before it answered`)))
  }).finally(() => void worker.terminate())
}

// Under tsx or vitest this module is TypeScript, and so is the worker's: tsx loads it there.
function workerModule(): { module: string; tsx?: string } {
  const typescript = import.meta.url.endsWith('.ts')
  const module = new URL(`./postgres-migration-worker.${typescript ? 'ts' : 'js'}`, import.meta.url).href
  return typescript ? { module, tsx: pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href } : { module }
}

const workerEntry = `
const { workerData } = require('node:worker_threads')
void (workerData.tsx ? import(workerData.tsx).then(({ register }) => register()) : Promise.resolve()).then(() =>
  import(workerData.module),
)
`
