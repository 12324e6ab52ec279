import type { PrismaClient } from './generated/prisma/client.js'
import type { Config } from './config.js'
import type { AppDeps } from './context.js'
import { systemClock, type Clock } from './domain/clock.js'
import { MemberLeftFeed } from './events/member-left-feed.js'
import { prismaExitLog } from './domain/exits/exit-log.js'
import { sharedExitLogReads } from './events/shared-exit-log-reads.js'
import { readPlaceMembers } from './domain/exits/joined-places.js'
import { wroteWebhookDeliveries } from './domain/exits/record-exit.js'
import { LiveSessions } from './auth/live-sessions.js'
import type { Redis } from 'ioredis'
import { RedisNotifier } from './events/redis-notifier.js'
import { RedisChannel } from './redis/redis-channel.js'
import { DatabasePresence, type DatabasePresenceOptions } from './presence/database-presence.js'
import { assertAllowedHost } from './webhooks/address-policy.js'
import { TurnBatchedLookups } from './db/turn-batched-lookups.js'
import { SecretBox } from './webhooks/secret-box.js'
import { generateWebhookSecret } from './webhooks/signing.js'
import { WebhookDispatcher, type WebhookDispatcherOptions } from './webhooks/webhook-dispatcher.js'
import { MutationRateLimit } from './limits/mutation-rate-limit.js'
import { RequestFloodLimit } from './limits/request-flood-limit.js'
import { countWebhookDeliveries } from './webhooks/delivery-counts.js'
import { fallbackLogger, type Logger } from './operations/logger.js'
import { AppMetrics } from './operations/metrics.js'

export interface AppDepsOptions {
  prisma: PrismaClient
  /** Several instances: events, sign-outs and rate-limit counters cross them through Redis (openRedis). */
  redis?: Redis
  /** Prefix of the Redis channels and keys (REDIS_PREFIX). */
  redisPrefix?: string
  /** With Redis: how often feeds read anyway, in case a message was lost (default 1000). */
  crossInstancePollMs?: number
  clock?: Clock
  presence?: Pick<DatabasePresenceOptions, 'heartbeatMs' | 'leaseMs' | 'instanceId'>
  webhooks: Config['webhooks'] & {
    /** The server's key: endpoint secrets are sealed with a key derived from it (AUTH_SECRET). */
    serverKey: string
  } & Partial<Pick<WebhookDispatcherOptions, 'pollMs' | 'perEndpointConcurrency' | 'claimLeaseMs'>>
  rateLimits: Config['rateLimits']
  /** Default: warnings and errors on stdout. */
  logger?: Logger
}

// With several instances a lost Redis message, or Redis down, delays live events by at most this.
const defaultCrossInstancePollMs = 1000

// Measured with npm run bench:fanout (3,000 clients): connecting took 10 s instead of 31 on
// PGlite and 4.5 s instead of 5.5 on PostgreSQL with 20 ms rather than 4. With 10,000 clients
// on PostgreSQL, back-to-back runs: 2.76x raw ws with 20 ms, 2.28x with 50 ms. A connect that
// comes alone is not delayed; in a storm each waits at most this long for its batch.
const connectBatchSpacingMs = 50

/** Wires the long-lived services once per process (or per test server). */
export function createAppDeps({ prisma, redis, redisPrefix = 'departures', crossInstancePollMs = defaultCrossInstancePollMs, clock = systemClock, presence, webhooks, rateLimits, logger = fallbackLogger() }: AppDepsOptions): AppDeps {
  const report = (message: string, error: unknown) => logger.warn({ err: error }, message)
  const notifier = redis ? new RedisNotifier(redis, { channel: `${redisPrefix}:exits`, onError: (error) => report('could not publish an exit through Redis', error) }) : undefined
  const memberLeft = new MemberLeftFeed(sharedExitLogReads(prismaExitLog(prisma)), {
    log: logger,
    placeMembers: (events, uids) => readPlaceMembers(prisma, events, uids),
    ...(notifier ? { notifier, pollIntervalMs: crossInstancePollMs } : {}),
  })
  const signOuts = redis ? new RedisChannel(redis, `${redisPrefix}:sign-outs`, { onError: (error) => report('could not publish a sign-out through Redis', error), onResubscribed: () => void closeRevokedSessions() }) : undefined
  const liveSessions = new LiveSessions(signOuts)
  // Sign-outs sent while this instance could not hear them.
  const closeRevokedSessions = () =>
    liveSessions
      .closeRevoked((uids) => prisma.user.findMany({ where: { uid: { in: uids } }, select: { uid: true, deactivatedAt: true, tokensValidAfter: true } }))
      .catch((error: unknown) => report('could not check open connections for sign-outs missed while Redis was away', error))
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
  const keyPrefix = `${redisPrefix}:rate`
  return {
    prisma,
    clock,
    memberLeft,
    liveSessions,
    redis,
    closeCrossInstance: async () => {
      await notifier?.close()
      await signOuts?.close()
    },
    presence: new DatabasePresence({ prisma, clock, log: logger, ...presence }),
    users: new TurnBatchedLookups(prisma),
    connectLookups,
    memberships: connectLookups,
    webhookSecrets: { generate: generateWebhookSecret, seal: (secret) => secretBox.seal(secret) },
    checkWebhookHost: (hostname) => assertAllowedHost(hostname, webhooks.allowPrivate),
    webhookDispatcher,
    mutationLimit: new MutationRateLimit({ mutations: rateLimits.mutations, windowSeconds: rateLimits.windowSeconds, keyPrefix, redis }),
    requestFloods: new RequestFloodLimit({ requestsPerMinute: rateLimits.requestsPerMinute, keyPrefix, redis }),
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
