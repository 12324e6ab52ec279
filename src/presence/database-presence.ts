import { randomUUID } from 'node:crypto'
import type { PrismaClient } from '../generated/prisma/client.js'
import type { Clock } from '../domain/clock.js'
import { isOnline, lockPresence, markOfflineUnlessConnected, markOnline } from '../domain/chatrooms/presence-state.js'
import type { Tx } from '../domain/transaction.js'
import type { Presence } from './presence.js'

export interface DatabasePresenceOptions {
  prisma: PrismaClient
  clock: Clock
  /** How often this instance renews its lease and looks for lapsed instances. */
  heartbeatMs?: number
  /** How long after its last heartbeat an instance counts as gone. */
  leaseMs?: number
  instanceId?: string
  onError?: (error: unknown) => void
}

/**
 * Presence kept in the database, so every instance sees the same, and a restart does not
 * leave anyone online forever: each instance holds a lease renewed by heartbeats. When a
 * lease lapses (the instance died), another instance deletes its connections and takes their
 * users offline as of the lapsed instance's last heartbeat, the moment it was last heard from.
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
  private timer: NodeJS.Timeout | undefined
  private stopped = false

  constructor(options: DatabasePresenceOptions) {
    this.prisma = options.prisma
    this.clock = options.clock
    this.heartbeatMs = options.heartbeatMs ?? 10_000
    this.leaseMs = options.leaseMs ?? 30_000
    this.instanceId = options.instanceId ?? randomUUID()
    this.onError = options.onError ?? ((error) => console.error('presence heartbeat failed', error))
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
      await markOfflineUnlessConnected(tx, uids, this.clock.now())
    })
  }

  async connect(uid: string): Promise<() => Promise<void>> {
    const id = randomUUID()
    this.local.set(id, uid)
    try {
      await this.track(this.announce(id, uid))
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
    await this.prisma.$transaction(async (tx) => {
      await tx.$executeRawUnsafe(
        `INSERT INTO "PresenceInstance" (id, "heardAt", "leaseExpiresAt") VALUES ($1, $2, now() + make_interval(secs => $3::float8))
         ON CONFLICT (id) DO NOTHING`,
        this.instanceId,
        heardAt,
        this.leaseMs / 1000,
      )
      for (const [id, uid] of this.local) await this.recordConnection(tx, id, uid)
    })
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
        await markOfflineUnlessConnected(tx, uids, gone.heardAt)
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

  private async announce(id: string, uid: string): Promise<void> {
    try {
      await this.prisma.$transaction((tx) => this.recordConnection(tx, id, uid))
    } catch (error) {
      // Reaped while alive (a long pause): announce the instance again, then the connection.
      if (await this.prisma.presenceInstance.findUnique({ where: { id: this.instanceId }, select: { id: true } })) throw error
      await this.heartbeat()
      await this.prisma.$transaction((tx) => this.recordConnection(tx, id, uid))
    }
  }

  private async recordConnection(tx: Tx, id: string, uid: string): Promise<void> {
    await lockPresence(tx, [uid])
    const wasOnline = await isOnline(tx, uid)
    // skipDuplicates: a heartbeat that announced this instance again may have written it already.
    await tx.presenceConnection.createMany({ data: [{ id, uid, instanceId: this.instanceId, openedAt: this.clock.now() }], skipDuplicates: true })
    if (!wasOnline) await markOnline(tx, uid)
  }

  private async recordClose(id: string, uid: string): Promise<void> {
    // Once stopping, stop() takes every remaining connection offline in one go.
    if (this.stopped) return
    this.local.delete(id)
    await this.prisma.$transaction(async (tx) => {
      await lockPresence(tx, [uid])
      await tx.presenceConnection.deleteMany({ where: { id } })
      await markOfflineUnlessConnected(tx, [uid], this.clock.now())
    })
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work)
    void work.finally(() => this.inFlight.delete(work)).catch(() => {})
    return work
  }
}
