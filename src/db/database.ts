import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { PrismaPGlite } from 'pglite-prisma-adapter'
import { PrismaPg } from '@prisma/adapter-pg'
import pg from 'pg'
import { createHash } from 'node:crypto'
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils'
import { PrismaClient } from '../generated/prisma/client.js'
import { applyMigrations } from './migration-engine.js'
import { applyPostgresMigrationsInChildProcess } from './postgres-migrations.js'

export type Prisma = PrismaClient

// PGlite's files live in its own memory (or are cached by the OS), so PostgreSQL's default
// 128 MB of shared buffers would mostly hold a second copy: 16 MB saves some 100 MB of RSS.
const pgliteStartParams = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB']

export interface DatabaseOptions {
  /** postgres:// URL of a real server; unset means embedded PGlite. */
  databaseUrl?: string
  /** Where PGlite keeps its files; 'memory' keeps nothing. */
  dataDir: string
  /** Called with each SQL statement the client sends (tests count them). */
  onQuery?: (sql: string) => void
  /**
   * PostgreSQL only: called with every query the driver sends, BEGIN included (Prisma's
   * query log leaves BEGIN out). Each is one round trip.
   */
  onRoundTrip?: (sql: string) => void
}

/**
 * Every connection of the service says who it is: the exit log's read horizon counts only the
 * open transactions of connections with the reader's own application_name (exit-log.ts), so
 * another client's long transaction does not hold live delivery back. A session left idle
 * inside a transaction (a stalled or partitioned server) is ended, which bounds how long one
 * of our own transactions can hold the horizon.
 */
export const APPLICATION_NAME = 'departures'
export const IDLE_IN_TRANSACTION_TIMEOUT_MS = 5000

/**
 * Names statements so that each connection prepares them once: PostgreSQL then skips parsing
 * (and, once a generic plan is chosen, planning) on every later use, which matters on the
 * exit path where the database shares the machine's cores with the server. Only the first
 * `limit` distinct statement texts are named, so statements whose text varies (IN lists of any
 * length) cannot grow the prepared statements of a connection without bound.
 */
export function boundedStatementNames(limit = 500): (query: { sql: string }) => string {
  const names = new Map<string, string>()
  return ({ sql }) => {
    let name = names.get(sql)
    if (name === undefined && names.size < limit) {
      name = `d_${createHash('sha1').update(sql).digest('base64url')}`
      names.set(sql, name)
    }
    // pg runs a statement without a name unprepared.
    return name as string
  }
}

function postgresPool(url: string, onRoundTrip?: (sql: string) => void): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    application_name: APPLICATION_NAME,
    options: `-c idle_in_transaction_session_timeout=${IDLE_IN_TRANSACTION_TIMEOUT_MS}`,
  })
  if (onRoundTrip) {
    pool.on('connect', (client) => {
      const query = client.query.bind(client) as (...args: unknown[]) => unknown
      ;(client as { query: unknown }).query = (...args: unknown[]) => {
        const first = args[0]
        onRoundTrip(typeof first === 'string' ? first : String((first as { text?: string }).text))
        return query(...args)
      }
    })
  }
  return pool
}

export interface Database {
  prisma: PrismaClient
  kind: 'pglite' | 'postgres'
  /** Applies pending migrations; returns the names applied. */
  migrate(): Promise<string[]>
  close(): Promise<void>
}

/**
 * A migration-aware factory over an embedded PGlite. Its shadow databases are in-memory
 * PGlites closed by `release()`, since the adapter's own shadow is never closed.
 */
export function pgliteMigrationTarget(main: PGlite) {
  const shadows: PGlite[] = []
  const factory: SqlMigrationAwareDriverAdapterFactory & { release(): Promise<void> } = {
    provider: 'postgres',
    adapterName: 'departures-pglite',
    connect: () => new PrismaPGlite(main).connect(),
    connectToShadowDb: async (): Promise<SqlDriverAdapter> => {
      const shadow = new PGlite()
      shadows.push(shadow)
      return new PrismaPGlite(shadow).connect()
    },
    release: async () => {
      await Promise.all(shadows.splice(0).map((s) => s.close()))
    },
  }
  return factory
}

async function migrateWith(target: SqlMigrationAwareDriverAdapterFactory & { release(): Promise<void> }) {
  try {
    return await applyMigrations(target)
  } finally {
    await target.release()
  }
}

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const log = options.onQuery ? ([{ emit: 'event', level: 'query' }] as const) : undefined
  if (options.databaseUrl) {
    const url = options.databaseUrl
    const adapter = new PrismaPg(postgresPool(url, options.onRoundTrip), {
      disposeExternalPool: true,
      statementNameGenerator: boundedStatementNames(),
    })
    const prisma = new PrismaClient({ adapter, log: log ? [...log] : [] })
    if (options.onQuery) prisma.$on('query' as never, (e: { query: string }) => options.onQuery!(e.query))
    return {
      prisma,
      kind: 'postgres',
      migrate: () => applyPostgresMigrationsInChildProcess(url),
      close: () => prisma.$disconnect(),
    }
  }
  let pglite: PGlite
  if (options.dataDir === 'memory') {
    pglite = new PGlite({ startParams: pgliteStartParams })
  } else {
    await mkdir(options.dataDir, { recursive: true })
    pglite = new PGlite(join(options.dataDir, 'pglite'), { startParams: pgliteStartParams })
  }
  await pglite.waitReady
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite), log: log ? [...log] : [] })
  if (options.onQuery) prisma.$on('query' as never, (e: { query: string }) => options.onQuery!(e.query))
  return {
    prisma,
    kind: 'pglite',
    migrate: () => migrateWith(pgliteMigrationTarget(pglite)),
    close: async () => {
      await prisma.$disconnect()
      await pglite.close()
    },
  }
}
