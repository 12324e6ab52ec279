import type { PrismaClient } from '../../src/generated/prisma/client.js'
import type { DomainDeps } from '../../src/domain/deps.js'
import { DatabasePresence } from '../../src/presence/database-presence.js'
import { manualClock } from './domain-fixtures.js'

/** Where presence tests' clocks stand at first. */
export const T = new Date('2026-03-01T12:00:00Z')
/** T + ms. */
export const at = (ms: number) => new Date(T.getTime() + ms)

/** Deps on a clock the test moves by hand, standing at T; setTime(ms) moves it to T + ms. */
export function onManualClock(prisma: PrismaClient) {
  const clock = manualClock(T)
  const deps: DomainDeps = { prisma, clock }
  const setTime = (ms: number) => clock.advance(T.getTime() + ms - clock.now().getTime())
  return { clock, deps, setTime }
}

/**
 * A started presence on the test's clock that never ticks by itself (the test calls what it
 * needs), added to `started` for the file's afterEach to stop.
 */
export async function startManualPresence(deps: DomainDeps, started: DatabasePresence[]): Promise<DatabasePresence> {
  const presence = new DatabasePresence({ prisma: deps.prisma, clock: deps.clock, heartbeatMs: 3_600_000 })
  started.push(presence)
  await presence.start()
  return presence
}
