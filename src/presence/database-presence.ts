import { randomUUID } from 'node:crypto'
import type { PrismaClient } from '../generated/prisma/client.js'
import type { Clock } from '../domain/clock.js'
import { lockPresence, markOfflineUnlessConnected, markOnline } from '../domain/chatrooms/presence-state.js'
import { TRANSACTION_TIMEOUT_MS, type Tx } from '../domain/transaction.js'
import type { Presence } from './presence.js'
import { fallbackLogger, type Logger } from '../operations/logger.js'

export interface DatabasePresenceOptions {
  prisma: PrismaClient
  clock: Clock
  /** How often this instance renews its lease and looks for lapsed instances. */
  heartbeatMs?: number
  /** How long after its last heartbeat an instance counts as gone. */
  leaseMs?: number
  instanceId?: string
  onError?: (error: unknown) => void
  /** Where failures are logged when there is no onError. */
  log?: Logger
}

/** At most this many opens and closes go into one transaction; the rest wait for the next. */
export const MAX_PRESENCE_BATCH = 5_000

interface Connection {
  id: string
  uid: string
  /** When it opened or closed, on the service clock. */
  at: Date
}

interface Change extends Connection {
  opened: boolean
  resolve(): void
  reject(error: unknown): void
}

/**
 * Presence kept in the database, so every instance sees the same, and a restart does not
 * leave anyone online forever: each instance holds a lease renewed by heartbeats. When a
 * lease lapses (the instance died), another instance deletes its connections and takes their
 * users offline as of the lapsed instance's last heartbeat, the moment it was last heard from.
 *
 * Opens and closes are written in batches, group-commit style: those of one turn of the event
 * loop, and those that arrive while a batch is being written, go into the next transaction
 * together, with the same few statements whatever its size, so a reconnect storm of thousands
 * of sockets is a few transactions rather than one each.
 */
export class DatabasePresence implements Presence {
  readonly instanceId: string
  private readonly prisma: PrismaClient
  private readonly clock: Clock
  private readonly heartbeatMs: number
  private readonly leaseMs: number
  private readonly onError: (error: unknown) => void
  /** This instance's open connections (id → uid), to announce again if its lease lapsed. */
  private readonly local = new Map<string, string>()
  private readonly inFlight = new Set<Promise<unknown>>()
  private readonly queued: Change[] = []
  private draining: Promise<void> | undefined
  private timer: NodeJS.Timeout | undefined
  private stopped = false

  constructor(options: DatabasePresenceOptions) {
    this.prisma = options.prisma
    this.clock = options.clock
    this.heartbeatMs = options.heartbeatMs ?? 10_000
    this.leaseMs = options.leaseMs ?? 30_000
    this.instanceId = options.instanceId ?? randomUUID()
    this.onError = options.onError ?? ((error) => (options.log ?? fallbackLogger()).error({ err: error }, 'presence heartbeat failed'))
  }

  async start(): Promise<void> {
    await this.heartbeat()
    await this.reapLapsedInstances()
    this.timer = setInterval(() => void this.track(this.tick()), this.heartbeatMs)
    this.timer.unref()
  }

  async stop(): Promise<void> {
    this.stopped = true
    clearInterval(this.timer)
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight])
    const uids = [...new Set(this.local.values())]
    this.local.clear()
    await this.prisma.$transaction(async (tx) => {
      await lockPresence(tx, uids)
      await tx.presenceInstance.deleteMany({ where: { id: this.instanceId } })
      const now = this.clock.now()
      await markOfflineUnlessConnected(tx, new Map(uids.map((uid) => [uid, now] as const)))
    })
  }

  async connect(uid: string): Promise<() => Promise<void>> {
    const id = flatUuid()
    this.local.set(id, uid)
    try {
      await this.enqueue({ opened: true, id, uid, at: this.clock.now() })
    } catch (error) {
      this.local.delete(id)
      throw error
    }
    let closed: Promise<void> | undefined
    return () => (closed ??= this.track(this.recordClose(id, uid)))
  }

  /** Renews this instance's lease; announces it and its connections again if it had lapsed. */
  async heartbeat(): Promise<void> {
    const heardAt = this.clock.now()
    const renewed = await this.prisma.$executeRawUnsafe(
      `UPDATE "PresenceInstance" SET "heardAt" = $2, "leaseExpiresAt" = now() + make_interval(secs => $3::float8) WHERE id = $1`,
      this.instanceId,
      heardAt,
      this.leaseMs / 1000,
    )
    if (renewed > 0) return
    const connections = [...this.local].map(([id, uid]) => ({ id, uid, at: heardAt }))
    await this.prisma.$transaction(
      async (tx) => {
        await tx.$executeRawUnsafe(
          `INSERT INTO "PresenceInstance" (id, "heardAt", "leaseExpiresAt") VALUES ($1, $2, now() + make_interval(secs => $3::float8))
           ON CONFLICT (id) DO NOTHING`,
          this.instanceId,
          heardAt,
          this.leaseMs / 1000,
        )
        await lockPresence(tx, connections.map((c) => c.uid))
        await this.open(tx, connections)
      },
      { maxWait: 10_000, timeout: TRANSACTION_TIMEOUT_MS },
    )
  }

  /** Takes the connections of every instance whose lease has lapsed offline; returns how many instances. */
  async reapLapsedInstances(): Promise<number> {
    const lapsed = await this.prisma.$queryRawUnsafe<{ id: string }[]>(
      `SELECT id FROM "PresenceInstance" WHERE "leaseExpiresAt" < now() AND id <> $1`,
      this.instanceId,
    )
    let reaped = 0
    for (const { id } of lapsed) {
      await this.prisma.$transaction(async (tx) => {
        const uids = (await tx.presenceConnection.findMany({ where: { instanceId: id }, select: { uid: true }, distinct: ['uid'] })).map((c) => c.uid)
        await lockPresence(tx, uids)
        // Guarded: of two instances reaping at once, one deletes the row (and, by cascade, its connections).
        const [gone] = await tx.$queryRawUnsafe<{ heardAt: Date }[]>(
          `DELETE FROM "PresenceInstance" WHERE id = $1 AND "leaseExpiresAt" < now() RETURNING "heardAt"`,
          id,
        )
        if (!gone) return
        await markOfflineUnlessConnected(tx, new Map(uids.map((uid) => [uid, gone.heardAt] as const)))
        reaped++
      })
    }
    return reaped
  }

  private async tick(): Promise<void> {
    if (this.stopped) return
    try {
      await this.heartbeat()
      await this.reapLapsedInstances()
    } catch (error) {
      this.onError(error)
    }
  }

  private recordClose(id: string, uid: string): Promise<void> {
    // Once stopping, stop() takes every remaining connection offline in one go.
    if (this.stopped) return Promise.resolve()
    this.local.delete(id)
    return this.enqueue({ opened: false, id, uid, at: this.clock.now() })
  }

  /** Settles once the batch holding the change has committed (or failed). */
  private enqueue(change: Omit<Change, 'resolve' | 'reject'>): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queued.push({ ...change, resolve, reject })
      this.draining ??= this.track(this.drain())
    })
  }

  private async drain(): Promise<void> {
    try {
      // The opens and closes of this turn of the event loop go into the first batch together.
      await new Promise((resolve) => setImmediate(resolve))
      while (this.queued.length > 0) await this.write(this.queued.splice(0, MAX_PRESENCE_BATCH))
    } finally {
      this.draining = undefined
    }
  }

  /** Writes one batch and settles its callers: all resolve, or all reject with its error. */
  private async write(batch: Change[]): Promise<void> {
    const opened = batch.filter((c) => c.opened)
    const closed = batch.filter((c) => !c.opened)
    const transaction = () =>
      this.prisma.$transaction(
        async (tx) => {
          await lockPresence(tx, batch.map((c) => c.uid))
          if (closed.length > 0) await tx.$executeRawUnsafe(`DELETE FROM "PresenceConnection" WHERE id = ANY($1::text[])`, closed.map((c) => c.id))
          await this.open(tx, opened)
          // After the opens: a user closing one connection while opening another stays online.
          // The last close of a user that is left without any is when it went offline.
          await markOfflineUnlessConnected(tx, new Map(closed.map((c) => [c.uid, c.at] as const)))
        },
        { maxWait: 10_000, timeout: TRANSACTION_TIMEOUT_MS },
      )
    try {
      try {
        await transaction()
      } catch (error) {
        // Reaped while alive (a long pause): announce the instance again, then the batch.
        if (await this.prisma.presenceInstance.findUnique({ where: { id: this.instanceId }, select: { id: true } })) throw error
        await this.heartbeat()
        await transaction()
      }
    } catch (error) {
      for (const change of batch) change.reject(error)
      return
    }
    for (const change of batch) change.resolve()
  }

  /** Writes connections of this instance, under lockPresence; their users come online. */
  private async open(tx: Tx, connections: readonly Connection[]): Promise<void> {
    if (connections.length === 0) return
    // ON CONFLICT: a heartbeat that announced this instance again may have written some already.
    // Times as ISO text, as in markOfflineUnlessConnected.
    await tx.$executeRawUnsafe(
      `INSERT INTO "PresenceConnection" (id, uid, "instanceId", "openedAt")
       SELECT c.id, c.uid, $4, c."openedAt" FROM unnest($1::text[], $2::text[], $3::timestamp(3)[]) AS c(id, uid, "openedAt")
       ON CONFLICT (id) DO NOTHING`,
      connections.map((c) => c.id),
      connections.map((c) => c.uid),
      connections.map((c) => c.at.toISOString()),
      this.instanceId,
    )
    await markOnline(tx, [...new Set(connections.map((c) => c.uid))])
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work)
    void work.finally(() => this.inFlight.delete(work)).catch(() => {})
    return work
  }
}

/**
 * A random UUID as one flat string. randomUUID() builds it by concatenation, and V8 keeps that as
 * a rope of some twenty strings (490 bytes instead of 66) for as long as the connection is open.
 */
function flatUuid(): string {
  return Buffer.from(randomUUID(), 'latin1').toString('latin1')
}
