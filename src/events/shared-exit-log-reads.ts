import type { ExitLog, ExitLogPosition, ExitLogReadOptions } from '../domain/exits/exit-log.js'
import type { MemberLeftEvent } from '../generated/prisma/client.js'

/** Cursor positions kept: a reconnecting crowd mostly resumes after the same few events. */
const positionCacheSize = 1_000

/**
 * The feed's exit log, with the reads that subscribers make together shared, so that a crowd
 * resuming at once (every socket of an instance that restarted, each with `after`) costs a few
 * statements rather than three per subscriber:
 * - horizon(): callers that arrive while one is being read share the next one, which starts
 *   after it (group commit), so each still gets a horizon taken after its call;
 * - read(): identical reads in flight together are one statement, their rows shared (rows are
 *   never modified once read);
 * - positionOfId(): an event's position never changes, so it is cached.
 */
export function sharedExitLogReads(log: ExitLog): ExitLog {
  let running: Promise<bigint> | null = null
  let queued: Promise<bigint> | null = null
  const startHorizon = (): Promise<bigint> => {
    const horizon = log.horizon()
    running = horizon
    const settled = () => {
      if (running === horizon) running = null
    }
    horizon.then(settled, settled)
    return horizon
  }

  const readsInFlight = new Map<string, Promise<MemberLeftEvent[]>>()
  const positions = new Map<bigint, Promise<ExitLogPosition | null>>()

  return {
    horizon: () => {
      if (queued) return queued
      if (!running) return startHorizon()
      const next = running.then(noop, noop).then(() => {
        queued = null
        return startHorizon()
      })
      queued = next
      return next
    },
    read: (options: ExitLogReadOptions) => {
      const key = readKey(options)
      let rows = readsInFlight.get(key)
      if (!rows) {
        rows = log.read(options)
        readsInFlight.set(key, rows)
        const settled = () => readsInFlight.delete(key)
        rows.then(settled, settled)
      }
      return rows
    },
    positionOfId: (id) => {
      let position = positions.get(id)
      if (!position) {
        position = log.positionOfId(id)
        positions.set(id, position)
        if (positions.size > positionCacheSize) positions.delete(positions.keys().next().value!)
        // A miss (no such event) or a failure is asked again next time.
        position.then(
          (found) => found ?? positions.delete(id),
          () => positions.delete(id),
        )
      }
      return position
    },
  }
}

function noop(): void {}

function readKey(options: ExitLogReadOptions): string {
  return JSON.stringify(options, (_key, value: unknown) => (typeof value === 'bigint' ? `${value}n` : value))
}
