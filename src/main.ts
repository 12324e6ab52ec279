// npm start: configuration → database (migrated) → secret → server. The only place that exits.
// Everything it says is a JSON line on stdout (src/operations/logger.ts).
import { ConfigError, loadConfig, type Config } from './config.js'
import { openDatabase, type Database } from './db/database.js'
import { resolveAuthSecret, type AuthSecret } from './auth/auth-secret.js'
import { createAppDeps } from './deps.js'
import { buildApp, type App } from './app.js'
import type { Redis } from 'ioredis'
import { openRedis } from './redis/redis-client.js'
import { createLogger, type Logger } from './operations/logger.js'

// The process must be gone by SHUTDOWN_TIMEOUT_MS; exiting itself takes a moment.
const exitMarginMs = 100

async function main(): Promise<void> {
  let config: Config
  try {
    config = loadConfig()
  } catch (error) {
    if (error instanceof ConfigError) {
      createLogger({ level: 'info' }).fatal({ problems: error.message.split('\n').slice(1).map((line) => line.trim()) }, 'invalid configuration')
      process.exit(1)
    }
    throw error
  }
  const log = createLogger({ level: config.logLevel })

  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir })
  let app: App | undefined
  let redis: Redis | undefined
  installShutdown(() => app, db, () => redis, log, config.shutdownTimeoutMs)

  const applied = await db.migrate()
  if (applied.length > 0) log.info({ migrations: applied }, 'applied migrations')
  else log.info('database schema is up to date')

  const secret = await resolveAuthSecret(config)
  redis = config.redisUrl ? openRedis(config.redisUrl, (message, error) => log.warn({ err: error }, message)) : undefined
  const deps = createAppDeps({
    prisma: db.prisma,
    redis,
    redisPrefix: config.redisPrefix,
    webhooks: { ...config.webhooks, serverKey: secret.secret },
    rateLimits: config.rateLimits,
    logger: log,
  })
  app = await buildApp({ config, deps, authSecret: secret.secret })
  await app.start()

  // One line with everything a reader (and scripts/server-output.ts) needs, whatever LOG_LEVEL
  // says: the contract has the chosen URL printed.
  const announce = log.isLevelEnabled('info') ? log : log.child({}, { level: 'info' })
  announce.info(
    {
      url: app.url,
      wsUrl: app.wsUrl,
      database: db.kind === 'pglite' ? describePglite(config) : 'PostgreSQL',
      redis: redis ? `instances share Redis (prefix ${config.redisPrefix})` : 'none: one instance',
      tokens: describeSecret(secret),
      tokenCommand: 'npm run token -- <uid> [--admin], then send "Authorization: Bearer <token>"',
      metrics: config.metricsToken ? 'GET /metrics with "Authorization: Bearer <METRICS_TOKEN>"' : 'GET /metrics',
    },
    'Departures is listening (GraphiQL and GraphQL over HTTP: url; graphql-ws: wsUrl)',
  )
}

function describePglite(config: Config): string {
  return config.dataDir === 'memory' ? 'embedded PGlite in memory' : `embedded PGlite in ${config.dataDir}/pglite`
}

function describeSecret(secret: AuthSecret): string {
  switch (secret.source) {
    case 'config':
      return 'signed with AUTH_SECRET'
    case 'created':
      return `signed with a secret generated now and kept in ${secret.path} (npm run token uses it too)`
    case 'kept':
      return `signed with the secret kept in ${secret.path}`
    case 'memory':
      return 'signed with a per-process secret (DATA_DIR=memory): set AUTH_SECRET to use npm run token'
  }
}

/**
 * SIGTERM or SIGINT: stop() drains (see App.stop), then the database closes and the process
 * exits 0. Whatever is still open at SHUTDOWN_TIMEOUT_MS is cut: the process exits 0 anyway,
 * since stopping was asked for and done. A second signal exits at once with 1.
 */
function installShutdown(currentApp: () => App | undefined, db: Database, currentRedis: () => Redis | undefined, log: Logger, timeoutMs: number): void {
  let shuttingDown = false
  const onSignal = (signal: NodeJS.Signals) => {
    if (shuttingDown) {
      log.warn({ signal }, 'signal again: exiting without waiting')
      process.exit(1)
    }
    shuttingDown = true
    log.info({ signal, timeoutMs }, 'stopping (send the signal again to exit at once)')
    setTimeout(() => {
      log.warn({ timeoutMs }, 'still stopping at SHUTDOWN_TIMEOUT_MS: exiting, cutting what is left')
      process.exit(0)
    }, Math.max(0, timeoutMs - exitMarginMs)).unref()
    void (async () => {
      try {
        await currentApp()?.stop()
        await db.close()
        const redis = currentRedis()
        await redis?.quit().catch(() => redis.disconnect())
        log.info('stopped')
        process.exit(0)
      } catch (error) {
        log.error({ err: error }, 'could not stop cleanly')
        process.exit(1)
      }
    })()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
}

main().catch((error: unknown) => {
  createLogger({ level: 'info' }).fatal({ err: error }, 'Departures could not start')
  process.exit(1)
})
