import type { PrismaClient } from './generated/prisma/client.js'
import type { AppDeps } from './context.js'
import { systemClock, type Clock } from './domain/clock.js'
import { MemberLeftFeed } from './events/member-left-feed.js'
import { LiveSessions } from './auth/live-sessions.js'
import { DatabasePresence, type DatabasePresenceOptions } from './presence/database-presence.js'

export interface AppDepsOptions {
  prisma: PrismaClient
  clock?: Clock
  presence?: Pick<DatabasePresenceOptions, 'heartbeatMs' | 'leaseMs' | 'instanceId'>
}

/** Wires the long-lived services once per process (or per test server). */
export function createAppDeps({ prisma, clock = systemClock, presence }: AppDepsOptions): AppDeps {
  return {
    prisma,
    clock,
    memberLeft: new MemberLeftFeed(prisma),
    liveSessions: new LiveSessions(),
    presence: new DatabasePresence({ prisma, clock, ...presence }),
  }
}
