import type { MemberLeftEvent, PrismaClient } from '../generated/prisma/client.js'

/**
 * PLACEHOLDER interface: the events helper replaces this file with the real feed.
 * Committed exits are announced with `publish`; `subscribe` replays stored events after a
 * cursor and then follows live ones, in commit order, with no gap and no duplicate.
 */
export class MemberLeftFeed {
  constructor(readonly prisma: PrismaClient) {}
  publish(_events: MemberLeftEvent[]): void {}
  async close(): Promise<void> {}
}
