import { Prisma, type MemberLeftEvent, type PrismaClient } from '../../generated/prisma/client.js'

/**
 * Where an event stands in the one order every reader agrees on: its writing transaction's id,
 * then its own id. Events written before transaction ids were kept have txid 0 (they committed
 * in id order under the old exit-log lock), so they come first, in id order.
 */
export interface ExitLogPosition {
  readonly txid: bigint
  readonly id: bigint
}

/** Before every event. */
export const EXIT_LOG_START: ExitLogPosition = { txid: 0n, id: 0n }

export function positionOf(event: Pick<MemberLeftEvent, 'txid' | 'id'>): ExitLogPosition {
  return { txid: event.txid, id: event.id }
}

export function comparePositions(a: ExitLogPosition, b: ExitLogPosition): number {
  if (a.txid !== b.txid) return a.txid < b.txid ? -1 : 1
  return a.id === b.id ? 0 : a.id < b.id ? -1 : 1
}

export function isAfter(a: ExitLogPosition, b: ExitLogPosition): boolean {
  return comparePositions(a, b) > 0
}

/** The later of two positions. */
export function laterOf(a: ExitLogPosition, b: ExitLogPosition): ExitLogPosition {
  return isAfter(b, a) ? b : a
}

/** Events after `position` (strictly), as a Prisma filter that keeps to the (txid, id) index. */
export function afterPosition(position: ExitLogPosition): Prisma.MemberLeftEventWhereInput {
  // txid >= p.txid narrows the index range; the OR then excludes (p.txid, ≤ p.id).
  return { txid: { gte: position.txid }, OR: [{ txid: { gt: position.txid } }, { id: { gt: position.id } }] }
}

/** Events at or before `position`. */
export function upToPosition(position: ExitLogPosition): Prisma.MemberLeftEventWhereInput {
  return { txid: { lte: position.txid }, OR: [{ txid: { lt: position.txid } }, { id: { lte: position.id } }] }
}

export const exitLogOrder: Prisma.MemberLeftEventOrderByWithRelationInput[] = [{ txid: 'asc' }, { id: 'asc' }]

const newestFirst: Prisma.MemberLeftEventOrderByWithRelationInput[] = [{ txid: 'desc' }, { id: 'desc' }]

/**
 * Which stored events a reader may see: a Prisma filter, or raw SQL on "MemberLeftEvent" rows
 * for a rule Prisma cannot say (a subquery on memberships, see joined-places.ts).
 */
export type StoredEventFilter = Prisma.MemberLeftEventWhereInput | Prisma.Sql

export interface ExitLogReadOptions {
  /** Only events after this position. */
  after: ExitLogPosition
  /** Only events whose txid is below this read horizon (see ExitLog.horizon). */
  below: bigint
  /** Narrows the read further (visibility). */
  where?: StoredEventFilter
  take: number
}

export interface ExitLogLatestOptions {
  /** Only events whose txid is below this read horizon (see ExitLog.horizon). */
  below: bigint
  where?: StoredEventFilter
  take: number
}

/** The newest events, for a reader that starts from the end of the log (memberLeftEvents' `last`). */
export interface ExitLogTail {
  /** The newest `take` events below a horizon, in the log's order (oldest first). */
  latest(options: ExitLogLatestOptions): Promise<MemberLeftEvent[]>
}

/** Reads of the committed exits in their one order. */
export interface ExitLog {
  /**
   * A transaction id below which no event can still appear: every transaction of this service
   * with a smaller id has ended. Events are read only below it, so a cursor never passes a
   * position that a slower writer could still take. It only grows.
   */
  horizon(): Promise<bigint>
  /** Events after a position and below a horizon taken before this read, oldest first. */
  read(options: ExitLogReadOptions): Promise<MemberLeftEvent[]>
  /** The position of the event with this id (a cursor), or null when there is none. */
  positionOfId(id: bigint): Promise<ExitLogPosition | null>
}

type Db = Pick<PrismaClient, '$queryRawUnsafe' | '$queryRaw' | 'memberLeftEvent'>

/**
 * The horizon is the smallest transaction id still running among this service's own
 * connections (same database, same application_name as the reader's), or the snapshot's xmax
 * when none is. Transactions of other clients of the database never write events, so a long
 * one there does not hold delivery back. xids are compared on their low 32 bits because
 * pg_stat_activity shows 32-bit xids; the snapshot's xid8 list gives the full ones.
 *
 * It must be taken in a statement of its own before the events are read: a writer seen
 * running here may commit before the read's snapshot is taken, and is then visible to it.
 */
const horizonSql = `
SELECT least(
         pg_snapshot_xmax(s)::text::bigint,
         (SELECT min(x::text::bigint) FROM pg_snapshot_xip(s) AS x
           WHERE (x::text::bigint % 4294967296)::text::xid IN (
             SELECT backend_xid FROM pg_stat_activity
              WHERE datname = current_database()
                AND application_name = current_setting('application_name')
                AND backend_xid IS NOT NULL))
       )::text AS horizon
  FROM pg_current_snapshot() AS s`

export function prismaExitLog(db: Db): ExitLog & ExitLogTail {
  return {
    horizon: async () => {
      const [row] = await db.$queryRawUnsafe<{ horizon: string }[]>(horizonSql)
      return BigInt(row.horizon)
    },
    read: ({ after, below, where, take }) => {
      if (where instanceof Prisma.Sql) {
        // The same range and order as afterPosition/exitLogOrder, on the (txid, id) index.
        return db.$queryRaw<MemberLeftEvent[]>`
          SELECT * FROM "MemberLeftEvent"
           WHERE "txid" >= ${after.txid}::bigint AND ("txid" > ${after.txid}::bigint OR "id" > ${after.id}::bigint)
             AND "txid" < ${below}::bigint AND (${where})
           ORDER BY "txid", "id" LIMIT ${take}::int`
      }
      const range: Prisma.MemberLeftEventWhereInput = { AND: [afterPosition(after), { txid: { lt: below } }] }
      return db.memberLeftEvent.findMany({ where: where ? { AND: [where, range] } : range, orderBy: exitLogOrder, take })
    },
    latest: async ({ below, where, take }) => {
      // Backwards on the (txid, id) index from the horizon, so the cost is `take` rows, not the log.
      const newest =
        where instanceof Prisma.Sql
          ? await db.$queryRaw<MemberLeftEvent[]>`
              SELECT * FROM "MemberLeftEvent"
               WHERE "txid" < ${below}::bigint AND (${where})
               ORDER BY "txid" DESC, "id" DESC LIMIT ${take}::int`
          : await db.memberLeftEvent.findMany({
              where: where ? { AND: [where, { txid: { lt: below } }] } : { txid: { lt: below } },
              orderBy: newestFirst,
              take,
            })
      return newest.reverse()
    },
    positionOfId: async (id) => {
      const row = await db.memberLeftEvent.findUnique({ where: { id }, select: { id: true, txid: true } })
      return row && positionOf(row)
    },
  }
}
