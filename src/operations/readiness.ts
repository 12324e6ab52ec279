import { readdir } from 'node:fs/promises'
import type { Redis } from 'ioredis'
import type { PrismaClient } from '../generated/prisma/client.js'
import { MIGRATIONS_DIR } from '../db/migration-engine.js'

export interface ReadinessReport {
  ready: boolean
  /** Each dependency: "ok", or what is wrong with it. */
  checks: Record<string, string>
}

export interface ReadinessOptions {
  prisma: PrismaClient
  /** Checked when instances share Redis. */
  redis?: Redis
  /** A check that has not answered by then fails. */
  timeoutMs?: number
  /** The migrations this build expects to be applied; default: the folders in prisma/migrations. */
  expectedMigrations?: () => Promise<string[]>
}

/**
 * What /readyz answers: whether this instance can serve, i.e. the database answers, every
 * migration of this build is applied, and Redis answers when it is configured. All checks run
 * on every call (each is one round trip), so a load balancer sees a recovery at once.
 */
export function readinessCheck({ prisma, redis, timeoutMs = 2000, expectedMigrations = migrationFolders }: ReadinessOptions): () => Promise<ReadinessReport> {
  let expected: Promise<string[]> | undefined
  const checks: Record<string, () => Promise<void>> = {
    database: async () => {
      await prisma.$queryRaw`SELECT 1`
    },
    migrations: async () => {
      expected ??= expectedMigrations()
      const rows = await prisma.$queryRaw<Array<{ migration_name: string }>>`
        SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`
      const applied = new Set(rows.map((row) => row.migration_name))
      const missing = (await expected).filter((name) => !applied.has(name))
      if (missing.length > 0) throw new Error(`not applied: ${missing.join(', ')}`)
    },
  }
  if (redis) {
    checks.redis = async () => {
      await redis.ping()
    }
  }
  return async () => {
    const entries = await Promise.all(
      Object.entries(checks).map(async ([name, check]) => [name, await outcome(check, timeoutMs)] as const),
    )
    return { ready: entries.every(([, result]) => result === 'ok'), checks: Object.fromEntries(entries) }
  }
}

async function outcome(check: () => Promise<void>, timeoutMs: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<string>((resolve) => (timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs)))
  try {
    return await Promise.race([check().then(() => 'ok', (error: unknown) => describe(error)), late])
  } finally {
    clearTimeout(timer)
  }
}

/** A short reason, never a whole driver error (it may hold connection details). */
function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  return message.split('\n').find((line) => line.trim() !== '')?.trim().slice(0, 200) ?? 'failed'
}

async function migrationFolders(): Promise<string[]> {
  const entries = await readdir(MIGRATIONS_DIR, { withFileTypes: true })
  return entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort()
}
