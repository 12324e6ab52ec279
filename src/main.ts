// npm start: configuration → database (migrated) → secret → server. The only place that exits.
import { ConfigError, loadConfig, type Config } from './config.js'
import { openDatabase, type Database } from './db/database.js'
import { resolveAuthSecret, type AuthSecret } from './auth/auth-secret.js'
import { createAppDeps } from './deps.js'
import { buildApp, type App } from './app.js'
import type { Redis } from 'ioredis'
import { openRedis } from './redis/redis-client.js'

async function main(): Promise<void> {
  let config: Config
  try {
    config = loadConfig()
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message)
      process.exit(1)
    }
    throw error
  }

  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir })
  let app: App | undefined
  let redis: Redis | undefined
  installShutdown(() => app, db, () => redis)

  const applied = await db.migrate()
  console.log(applied.length > 0 ? `applied migrations: ${applied.join(', ')}` : 'database schema is up to date')

  const secret = await resolveAuthSecret(config)
  redis = config.redisUrl ? openRedis(config.redisUrl, (message, error) => console.error(message, error instanceof Error ? error.message : '')) : undefined
  const deps = createAppDeps({ prisma: db.prisma, redis, redisPrefix: config.redisPrefix, webhooks: { ...config.webhooks, serverKey: secret.secret }, rateLimits: config.rateLimits })
  app = await buildApp({ config, deps, authSecret: secret.secret })
  await app.start()

  console.log(`Departures is listening (${db.kind === 'pglite' ? describePglite(config) : 'PostgreSQL'}${redis ? ', with Redis' : ''})`)
  console.log(`  GraphiQL and GraphQL over HTTP: ${app.url}`)
  console.log(`  GraphQL over WebSocket (graphql-ws): ${app.wsUrl}`)
  console.log(`  a token: npm run token -- <uid> [--admin]   then send "Authorization: Bearer <token>"`)
  console.log(`  ${describeSecret(secret)}`)
}

function describePglite(config: Config): string {
  return config.dataDir === 'memory' ? 'embedded PGlite in memory' : `embedded PGlite in ${config.dataDir}/pglite`
}

function describeSecret(secret: AuthSecret): string {
  switch (secret.source) {
    case 'config':
      return 'tokens are signed with AUTH_SECRET'
    case 'created':
      return `tokens are signed with a secret generated now and kept in ${secret.path} (npm run token uses it too)`
    case 'kept':
      return `tokens are signed with the secret kept in ${secret.path}`
    case 'memory':
      return 'tokens are signed with a per-process secret (DATA_DIR=memory): set AUTH_SECRET to use npm run token'
  }
}

function installShutdown(currentApp: () => App | undefined, db: Database, currentRedis: () => Redis | undefined): void {
  let shuttingDown = false
  const onSignal = (signal: NodeJS.Signals) => {
    if (shuttingDown) {
      console.error(`${signal} again: exiting without waiting`)
      process.exit(1)
    }
    shuttingDown = true
    console.log(`${signal}: stopping (send it again to exit at once)`)
    void (async () => {
      try {
        await currentApp()?.stop()
        await db.close()
        const redis = currentRedis()
        await redis?.quit().catch(() => redis.disconnect())
        process.exit(0)
      } catch (error) {
        console.error('could not stop cleanly', error)
        process.exit(1)
      }
    })()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
}

main().catch((error: unknown) => {
  console.error('Departures could not start:', error)
  process.exit(1)
})
