import { Prisma } from '../../generated/prisma/client.js'
import { ExitType } from '../../generated/prisma/enums.js'
import type { Actor } from '../actor.js'
import type { DomainDeps } from '../deps.js'
import { InvalidInputError } from '../errors.js'
import { authorizeMemberLeft, memberLeftSqlFilter, type MemberLeftAudience, type MemberLeftScopeInput } from './member-left-visibility.js'

export const MAX_EXIT_STATS_BUCKETS = 1440
export const DEFAULT_TOP_PLACES = 10
export const MAX_TOP_PLACES = 100

export interface ExitStatsInput extends MemberLeftScopeInput {
  from: Date
  to: Date
  bucketSeconds: number
}

/** Exits of one kind: how many events, and how many members left in them. */
export interface ExitTypeCount {
  exitType: ExitType
  events: number
  members: number
}

/** The exits in [start, start + bucketSeconds), cut at `to` for the last bucket. */
export interface ExitStatsBucket {
  start: Date
  events: number
  members: number
  /** Only the exit types that occurred in the bucket. */
  byExitType: ExitTypeCount[]
}

/** A group or chat room and its exits within the span. */
export interface PlaceExitCount {
  groupGuid: string | null
  chatRoomId: string | null
  events: number
  members: number
}

/** Which exits were counted: kept with the result, so topExitPlaces counts the same ones. */
export interface ExitStatsScope {
  from: Date
  to: Date
  audience: MemberLeftAudience
  isAppAdmin: boolean
}

export interface ExitStats {
  from: Date
  to: Date
  bucketSeconds: number
  /** Every bucket from `from` up to `to`, empty ones included, oldest first. */
  buckets: ExitStatsBucket[]
  /** Per exit type over the whole span, only the types that occurred. */
  totals: ExitTypeCount[]
  scope: ExitStatsScope
}

/** Checks the span and returns how many buckets it has. */
export function validateExitStatsSpan(input: Pick<ExitStatsInput, 'from' | 'to' | 'bucketSeconds'>): number {
  const { from, to, bucketSeconds } = input
  if (Number.isNaN(from.getTime())) throw new InvalidInputError('from', 'must be a valid instant')
  if (Number.isNaN(to.getTime())) throw new InvalidInputError('to', 'must be a valid instant')
  if (from.getTime() >= to.getTime()) throw new InvalidInputError('to', 'must be later than from')
  if (!Number.isInteger(bucketSeconds) || bucketSeconds < 1) throw new InvalidInputError('bucketSeconds', 'must be a whole number of seconds, at least 1')
  const count = Math.ceil((to.getTime() - from.getTime()) / (bucketSeconds * 1000))
  if (count > MAX_EXIT_STATS_BUCKETS) {
    throw new InvalidInputError(
      'bucketSeconds',
      `the span from \`from\` to \`to\` makes ${count} buckets of ${bucketSeconds} s; at most ${MAX_EXIT_STATS_BUCKETS} (use larger buckets or a shorter span)`,
    )
  }
  return count
}

/**
 * An instant as the column stores it (UTC wall-clock time, timestamp without time zone), by
 * integer milliseconds: exact, and independent of the session's time zone.
 */
const utc = (date: Date) => Prisma.sql`(TIMESTAMP '1970-01-01 00:00:00' + ${date.getTime()}::bigint * INTERVAL '1 millisecond')`

/** The visible exits of the span, as a condition on "MemberLeftEvent". */
function spanFilter(scope: ExitStatsScope): Prisma.Sql {
  return Prisma.sql`"occurredAt" >= ${utc(scope.from)} AND "occurredAt" < ${utc(scope.to)} AND (${memberLeftSqlFilter(scope.audience)})`
}

interface BucketRow {
  bucket: number
  exitType: ExitType | null
  events: number
  members: number
}

/**
 * Exits counted by time bucket, with memberLeftEvents' visibility (authorizeMemberLeft). The
 * buckets, empty ones included, come from one statement whatever the span: generate_series of
 * bucket numbers left-joined to the visible exits counted per bucket and exit type. Totals are
 * summed from the same rows.
 */
export async function exitStats(deps: DomainDeps, actor: Actor, input: ExitStatsInput): Promise<ExitStats> {
  const count = validateExitStatsSpan(input)
  const { from, to, bucketSeconds } = input
  const audience = await authorizeMemberLeft(deps.prisma, actor, { guid: input.guid, chatRoomId: input.chatRoomId, joined: input.joined })
  const scope: ExitStatsScope = { from, to, audience, isAppAdmin: actor.isAppAdmin }
  const rows = await deps.prisma.$queryRaw<BucketRow[]>`
    WITH counted AS (
      SELECT floor(extract(epoch FROM ("occurredAt" - ${utc(from)})) / ${bucketSeconds}::int)::int AS bucket,
             "exitType",
             count(*)::int AS events,
             coalesce(sum(coalesce(cardinality("memberUids"), 0)), 0)::int AS members
      FROM "MemberLeftEvent"
      WHERE ${spanFilter(scope)}
      GROUP BY 1, 2
    )
    SELECT b.bucket, c."exitType"::text AS "exitType", coalesce(c.events, 0) AS events, coalesce(c.members, 0) AS members
    FROM generate_series(0, ${count - 1}::int) AS b(bucket)
    LEFT JOIN counted c ON c.bucket = b.bucket
    ORDER BY b.bucket, c."exitType"`
  return { from, to, bucketSeconds, ...bucketsOf(rows, { from, bucketSeconds, count }), scope }
}

function bucketsOf(rows: BucketRow[], span: { from: Date; bucketSeconds: number; count: number }): Pick<ExitStats, 'buckets' | 'totals'> {
  const buckets: ExitStatsBucket[] = Array.from({ length: span.count }, (_, i) => ({
    start: new Date(span.from.getTime() + i * span.bucketSeconds * 1000),
    events: 0,
    members: 0,
    byExitType: [],
  }))
  const totals = new Map<ExitType, ExitTypeCount>()
  for (const row of rows) {
    if (row.exitType === null) continue
    const bucket = buckets[row.bucket]
    bucket.events += row.events
    bucket.members += row.members
    bucket.byExitType.push({ exitType: row.exitType, events: row.events, members: row.members })
    const total = totals.get(row.exitType) ?? { exitType: row.exitType, events: 0, members: 0 }
    total.events += row.events
    total.members += row.members
    totals.set(row.exitType, total)
  }
  // In the enum's order, as byExitType comes from SQL.
  const order = Object.values(ExitType)
  return { buckets, totals: [...totals.values()].sort((a, b) => order.indexOf(a.exitType) - order.indexOf(b.exitType)) }
}

/**
 * The places with the most departed members among the exits an exitStats result counted, most
 * first (then most events). App admin only: anyone else gets an empty list, without a statement.
 */
export async function topExitPlaces(deps: DomainDeps, scope: ExitStatsScope, input: { first?: number | null }): Promise<PlaceExitCount[]> {
  const first = input.first ?? DEFAULT_TOP_PLACES
  if (!Number.isInteger(first) || first < 1 || first > MAX_TOP_PLACES) throw new InvalidInputError('first', `must be between 1 and ${MAX_TOP_PLACES}`)
  if (!scope.isAppAdmin) return []
  return deps.prisma.$queryRaw<PlaceExitCount[]>`
    SELECT "groupGuid", "chatRoomId", count(*)::int AS events, coalesce(sum(coalesce(cardinality("memberUids"), 0)), 0)::int AS members
    FROM "MemberLeftEvent"
    WHERE ${spanFilter(scope)} AND ("groupGuid" IS NOT NULL OR "chatRoomId" IS NOT NULL)
    GROUP BY "groupGuid", "chatRoomId"
    ORDER BY members DESC, events DESC, "groupGuid" NULLS LAST, "chatRoomId" NULLS LAST
    LIMIT ${first}::int`
}
