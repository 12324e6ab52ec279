import type { MemberLeftEvent, User } from './generated/prisma/client.js'
import type { Actor } from './domain/actor.js'
import type { WebhookEndpointDeps } from './domain/webhooks/webhook-deps.js'
import type { WebhookDispatcher } from './webhooks/webhook-dispatcher.js'
import type { MemberLeftFeed } from './events/member-left-feed.js'
import type { LiveSessions } from './auth/live-sessions.js'
import type { Redis } from 'ioredis'
import type { Presence } from './presence/presence.js'
import type { MembershipLookup } from './domain/exits/member-left-visibility.js'
import type { MutationRateLimit } from './limits/mutation-rate-limit.js'
import type { RequestFloodLimit } from './limits/request-flood-limit.js'
import type { Logger } from './operations/logger.js'
import type { AppMetrics } from './operations/metrics.js'

/** Reads a user row for an incoming token (batched across connections; see TurnBatchedLookups). */
export interface UserLookup {
  user(uid: string): Promise<User | null>
}

/** Everything the server wires together once and hands to every request. */
export interface AppDeps extends WebhookEndpointDeps {
  memberLeft: MemberLeftFeed
  liveSessions: LiveSessions
  /** Set when instances share Redis (REDIS_URL). */
  redis: Redis | undefined
  /** Stops hearing the other instances (Redis channels); the Redis client stays open. */
  closeCrossInstance(): Promise<void>
  presence: Presence
  /** For HTTP requests: batched per turn of the event loop. */
  users: UserLookup
  /** For WebSocket connects and subscriptions: batched and spaced, so a storm shares batches. */
  connectLookups: UserLookup & MembershipLookup
  memberships: MembershipLookup
  webhookDispatcher: Pick<WebhookDispatcher, 'start' | 'stop' | 'nudge'>
  /** Every mutation a user may call goes through it (in perform()) before its transaction. */
  mutationLimit: Pick<MutationRateLimit, 'check'>
  /** Every HTTP request but /healthz goes through it before Yoga reads it. */
  requestFloods: Pick<RequestFloodLimit, 'admit'>
  /** The service's log (JSON lines); requests and operations log through child loggers of it. */
  logger: Logger
  /** This instance's /metrics. */
  metrics: AppMetrics
  /** After commit: live subscribers and the webhook dispatcher learn of the exits. */
  announceExits(events: MemberLeftEvent[]): void
}

/** The authenticated caller. */
export interface Viewer extends Actor {
  /** The caller's user row, null for an app admin whose `sub` is not a user. */
  user: User | null
}

export interface GraphQLContext {
  /** Null when the request carried no token. */
  viewer: Viewer | null
  deps: AppDeps
}
