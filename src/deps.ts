import type { PrismaClient } from './generated/prisma/client.js'
import type { Config } from './config.js'
import type { AppDeps } from './context.js'
import { systemClock, type Clock } from './domain/clock.js'
import { MemberLeftFeed } from './events/member-left-feed.js'
import { prismaExitLog } from './domain/exits/exit-log.js'
import { sharedExitLogReads } from './events/shared-exit-log-reads.js'
import { wroteWebhookDeliveries } from './domain/exits/record-exit.js'
import { LiveSessions } from './auth/live-sessions.js'
import { DatabasePresence, type DatabasePresenceOptions } from './presence/database-presence.js'
import { assertAllowedHost } from './webhooks/address-policy.js'
import { TurnBatchedLookups } from './db/turn-batched-lookups.js'
import { SecretBox } from './webhooks/secret-box.js'
import { generateWebhookSecret } from './webhooks/signing.js'
import { WebhookDispatcher, type WebhookDispatcherOptions } from './webhooks/webhook-dispatcher.js'
import { countWebhookDeliveries } from './webhooks/delivery-counts.js'
import { fallbackLogger, type Logger } from './operations/logger.js'
import { AppMetrics } from './operations/metrics.js'

export interface AppDepsOptions {
  prisma: PrismaClient
  clock?: Clock
  presence?: Pick<DatabasePresenceOptions, 'heartbeatMs' | 'leaseMs' | 'instanceId'>
  webhooks: Config['webhooks'] & {
    /** The server's key: endpoint secrets are sealed with a key derived from it (AUTH_SECRET). */
    serverKey: string
  } & Partial<Pick<WebhookDispatcherOptions, 'pollMs' | 'perEndpointConcurrency' | 'claimLeaseMs'>>
  /** Default: warnings and errors on stdout. */
  logger?: Logger
}

// Measured with npm run bench:fanout (3,000 clients): connecting took 10 s instead of 31 on
// PGlite and 4.5 s instead of 5.5 on PostgreSQL with 20 ms rather than 4.
const connectBatchSpacingMs = 20

/** Wires the long-lived services once per process (or per test server). */
export function createAppDeps({ prisma, clock = systemClock, presence, webhooks, logger = fallbackLogger() }: AppDepsOptions): AppDeps {
  const memberLeft = new MemberLeftFeed(sharedExitLogReads(prismaExitLog(prisma)), { log: logger })
  const secretBox = new SecretBox(webhooks.serverKey)
  const webhookDispatcher = new WebhookDispatcher({
    prisma,
    clock,
    secretBox,
    log: logger,
    ...webhooks,
  })
  const metrics = new AppMetrics({ webhookDeliveryCounts: () => countWebhookDeliveries(prisma), log: logger })
  const connectLookups = new TurnBatchedLookups(prisma, { spacingMs: connectBatchSpacingMs })
  return {
    prisma,
    clock,
    memberLeft,
    liveSessions: new LiveSessions(),
    presence: new DatabasePresence({ prisma, clock, log: logger, ...presence }),
    users: new TurnBatchedLookups(prisma),
    connectLookups,
    memberships: connectLookups,
    webhookSecrets: { generate: generateWebhookSecret, seal: (secret) => secretBox.seal(secret) },
    checkWebhookHost: (hostname) => assertAllowedHost(hostname, webhooks.allowPrivate),
    webhookDispatcher,
    logger,
    metrics,
    announceExits: (events) => {
      if (events.length === 0) return
      metrics.countExits(events)
      memberLeft.publish(events)
      if (events.some(wroteWebhookDeliveries)) webhookDispatcher.nudge()
    },
  }
}
