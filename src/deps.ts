import type { Redis } from 'ioredis'
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
import { MutationRateLimit } from './limits/mutation-rate-limit.js'
import { RequestFloodLimit } from './limits/request-flood-limit.js'

export interface AppDepsOptions {
  prisma: PrismaClient
  clock?: Clock
  presence?: Pick<DatabasePresenceOptions, 'heartbeatMs' | 'leaseMs' | 'instanceId'>
  webhooks: Config['webhooks'] & {
    /** The server's key: endpoint secrets are sealed with a key derived from it (AUTH_SECRET). */
    serverKey: string
  } & Partial<Pick<WebhookDispatcherOptions, 'pollMs' | 'perEndpointConcurrency' | 'claimLeaseMs'>>
  rateLimits: Config['rateLimits'] & {
    /** Prefix of the counters' keys in Redis; instances that share counters share it. Default 'departures:rate'. */
    keyPrefix?: string
  }
  /** REDIS_URL's client: rate-limit counters are shared by every instance using it. Absent: counted in memory. */
  redis?: Redis
}

// Measured with npm run bench:fanout (3,000 clients): connecting took 10 s instead of 31 on
// PGlite and 4.5 s instead of 5.5 on PostgreSQL with 20 ms rather than 4.
const connectBatchSpacingMs = 20

/** Wires the long-lived services once per process (or per test server). */
export function createAppDeps({ prisma, clock = systemClock, presence, webhooks, rateLimits, redis }: AppDepsOptions): AppDeps {
  const memberLeft = new MemberLeftFeed(sharedExitLogReads(prismaExitLog(prisma)))
  const secretBox = new SecretBox(webhooks.serverKey)
  const webhookDispatcher = new WebhookDispatcher({ prisma, clock, secretBox, ...webhooks })
  const connectLookups = new TurnBatchedLookups(prisma, { spacingMs: connectBatchSpacingMs })
  const keyPrefix = rateLimits.keyPrefix ?? 'departures:rate'
  return {
    prisma,
    clock,
    memberLeft,
    liveSessions: new LiveSessions(),
    presence: new DatabasePresence({ prisma, clock, ...presence }),
    users: new TurnBatchedLookups(prisma),
    connectLookups,
    memberships: connectLookups,
    webhookSecrets: { generate: generateWebhookSecret, seal: (secret) => secretBox.seal(secret) },
    checkWebhookHost: (hostname) => assertAllowedHost(hostname, webhooks.allowPrivate),
    webhookDispatcher,
    mutationLimit: new MutationRateLimit({ mutations: rateLimits.mutations, windowSeconds: rateLimits.windowSeconds, keyPrefix, redis }),
    requestFloods: new RequestFloodLimit({ requestsPerMinute: rateLimits.requestsPerMinute, keyPrefix, redis }),
    announceExits: (events) => {
      if (events.length === 0) return
      memberLeft.publish(events)
      if (events.some(wroteWebhookDeliveries)) webhookDispatcher.nudge()
    },
  }
}
