import { randomInt } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { Database } from '../../src/db/database.js'
import type { Actor } from '../../src/domain/actor.js'
import type { DomainDeps } from '../../src/domain/deps.js'
import { exitStats, topExitPlaces, type ExitStatsInput } from '../../src/domain/exits/exit-stats.js'
import { listMemberLeftEvents } from '../../src/domain/exits/list-member-left-events.js'
import { readPlaceMembers } from '../../src/domain/exits/joined-places.js'
import { memberLeftSqlFilter, memberLeftView, type MemberLeftAudience } from '../../src/domain/exits/member-left-visibility.js'
import type { ExitType } from '../../src/generated/prisma/enums.js'
import { Prisma } from '../../src/generated/prisma/client.js'
import { testDatabaseKind, uniqueId } from '../support/database.js'
import { appAdmin, domainDeps, seedGroup, userActor } from '../support/domain-fixtures.js'
import { expectDomainError } from '../support/expect-domain-error.js'
import { openLoggedTestDatabase, type StatementLog } from '../support/statement-log.js'

// Exits are written directly with occurredAt in a window of each test's own, a random minute
// of the 19th century: on PostgreSQL other files write exits at the same time, "now".

let db: Database
let deps: DomainDeps
let statementsOf: StatementLog['statementsOf']
beforeAll(async () => {
  ;({ db, statementsOf } = await openLoggedTestDatabase())
  deps = domainDeps(db)
})
afterAll(() => db?.close())

const MINUTE = 60_000

/** The start of a window no other test writes into. */
function ownWindow(): Date {
  return new Date(Date.UTC(1800, 0, 1) + randomInt(0, 100 * 365 * 24 * 60) * MINUTE)
}

const at = (start: Date, ms: number) => new Date(start.getTime() + ms)

interface Exit {
  exitType?: ExitType
  groupGuid?: string | null
  chatRoomId?: string | null
  memberUids: string[]
  occurredAt: Date
}

async function writeExits(exits: Exit[]): Promise<void> {
  await db.prisma.memberLeftEvent.createMany({
    data: exits.map((e) => ({ exitType: e.exitType ?? 'QUIT', groupGuid: e.groupGuid ?? null, chatRoomId: e.chatRoomId ?? null, memberUids: e.memberUids, occurredAt: e.occurredAt })),
  })
}

async function chatRoomWith(uids: string[]): Promise<string> {
  const id = uniqueId('room')
  await db.prisma.chatRoom.create({ data: { id, name: id } })
  await db.prisma.chatRoomMember.createMany({ data: uids.map((uid) => ({ chatRoomId: id, uid, joinedAt: new Date() })) })
  return id
}

const someone = () => uniqueId('gone')

/** Buckets as plain values, for toEqual. */
async function statsOf(actor: Actor, input: ExitStatsInput) {
  const stats = await exitStats(deps, actor, input)
  return {
    buckets: stats.buckets.map((b) => ({ ...b, start: b.start.toISOString() })),
    totals: stats.totals,
    stats,
  }
}

describe('buckets and totals', () => {
  test('counts events and departed members per bucket and exit type, empty buckets included, an exit at a bucket’s start in that bucket', async () => {
    const g = await seedGroup(db)
    const start = ownWindow()
    const inGroup = (exitType: ExitType, ms: number, members: number): Exit => ({
      exitType,
      groupGuid: g.guid,
      memberUids: Array.from({ length: members }, someone),
      occurredAt: at(start, ms),
    })
    await writeExits([
      inGroup('QUIT', -1, 7), // before `from`
      inGroup('QUIT', 0, 1),
      inGroup('KICKED', MINUTE - 1, 3),
      inGroup('QUIT', MINUTE, 2),
      inGroup('DISSOLVED', 3 * MINUTE + 30_000, 4),
      inGroup('BANNED', 4 * MINUTE - 1, 1),
      inGroup('QUIT', 4 * MINUTE, 5), // at `to`: outside [from, to)
    ])
    const { buckets, totals, stats } = await statsOf(appAdmin, { from: start, to: at(start, 4 * MINUTE), bucketSeconds: 60, guid: g.guid })
    expect(stats.bucketSeconds).toBe(60)
    expect(buckets).toEqual([
      {
        start: start.toISOString(),
        events: 2,
        members: 4,
        byExitType: [
          { exitType: 'QUIT', events: 1, members: 1 },
          { exitType: 'KICKED', events: 1, members: 3 },
        ],
      },
      { start: at(start, MINUTE).toISOString(), events: 1, members: 2, byExitType: [{ exitType: 'QUIT', events: 1, members: 2 }] },
      { start: at(start, 2 * MINUTE).toISOString(), events: 0, members: 0, byExitType: [] },
      {
        start: at(start, 3 * MINUTE).toISOString(),
        events: 2,
        members: 5,
        byExitType: [
          { exitType: 'BANNED', events: 1, members: 1 },
          { exitType: 'DISSOLVED', events: 1, members: 4 },
        ],
      },
    ])
    expect(totals).toEqual([
      { exitType: 'QUIT', events: 2, members: 3 },
      { exitType: 'KICKED', events: 1, members: 3 },
      { exitType: 'BANNED', events: 1, members: 1 },
      { exitType: 'DISSOLVED', events: 1, members: 4 },
    ])
  })

  test('a span that is not a whole number of buckets ends with a bucket cut at `to`', async () => {
    const g = await seedGroup(db)
    const start = ownWindow()
    await writeExits([
      { groupGuid: g.guid, memberUids: [someone()], occurredAt: at(start, 89_999) },
      { groupGuid: g.guid, memberUids: [someone()], occurredAt: at(start, 90_000) },
    ])
    const { buckets, totals } = await statsOf(appAdmin, { from: start, to: at(start, 90_000), bucketSeconds: 60, guid: g.guid })
    expect(buckets.map((b) => [b.start, b.events])).toEqual([
      [start.toISOString(), 0],
      [at(start, MINUTE).toISOString(), 1],
    ])
    expect(totals).toEqual([{ exitType: 'QUIT', events: 1, members: 1 }])
  })

  test('a span without exits has every bucket, empty, and no totals', async () => {
    const start = ownWindow()
    const { buckets, totals } = await statsOf(userActor(uniqueId('u')), { from: start, to: at(start, 24 * MINUTE), bucketSeconds: 1 })
    expect(buckets).toHaveLength(1440)
    expect(buckets[1439].start).toBe(at(start, 24 * MINUTE - 1000).toISOString())
    expect(buckets.every((b) => b.events === 0 && b.members === 0 && b.byExitType.length === 0)).toBe(true)
    expect(totals).toEqual([])
  })
})

describe('visibility, as memberLeftEvents', () => {
  test('a user without guid or chatRoomId counts only the exits that include itself', async () => {
    const g = await seedGroup(db, { scopes: ['PARTICIPANT'] })
    const [bob] = g.uids
    const start = ownWindow()
    await writeExits([
      { groupGuid: g.guid, memberUids: [bob, someone()], occurredAt: at(start, 1000), exitType: 'KICKED' },
      { groupGuid: g.guid, memberUids: [someone()], occurredAt: at(start, 2000) },
      { chatRoomId: uniqueId('room'), memberUids: [bob], occurredAt: at(start, 3000), exitType: 'OFFLINE_KICKED' },
    ])
    const { totals } = await statsOf(userActor(bob), { from: start, to: at(start, MINUTE), bucketSeconds: 60 })
    expect(totals).toEqual([
      { exitType: 'KICKED', events: 1, members: 2 },
      { exitType: 'OFFLINE_KICKED', events: 1, members: 1 },
    ])
  })

  test('a member counts every exit of its group, and of its chat room', async () => {
    const g = await seedGroup(db, { scopes: ['PARTICIPANT'] })
    const [bob] = g.uids
    const room = await chatRoomWith([bob])
    const start = ownWindow()
    await writeExits([
      { groupGuid: g.guid, memberUids: [someone(), someone()], occurredAt: at(start, 1000) },
      { groupGuid: uniqueId('g'), memberUids: [bob], occurredAt: at(start, 2000) },
      { chatRoomId: room, memberUids: [someone()], occurredAt: at(start, 3000), exitType: 'OFFLINE_KICKED' },
    ])
    const window = { from: start, to: at(start, MINUTE), bucketSeconds: 60 }
    expect((await statsOf(userActor(bob), { ...window, guid: g.guid })).totals).toEqual([{ exitType: 'QUIT', events: 1, members: 2 }])
    expect((await statsOf(userActor(bob), { ...window, chatRoomId: room })).totals).toEqual([{ exitType: 'OFFLINE_KICKED', events: 1, members: 1 }])
  })

  test('with joined, a user counts the exits of its groups and chat rooms and its own, and nothing else, in one statement whatever the span', async () => {
    const g = await seedGroup(db, { scopes: ['PARTICIPANT'] })
    const [bob] = g.uids
    const other = await seedGroup(db, { scopes: ['PARTICIPANT'] })
    const room = await chatRoomWith([bob])
    const start = ownWindow()
    await writeExits([
      { groupGuid: g.guid, memberUids: [someone(), someone()], occurredAt: at(start, 1000) },
      { chatRoomId: room, memberUids: [someone()], occurredAt: at(start, 2000), exitType: 'OFFLINE_KICKED' },
      { groupGuid: uniqueId('g'), memberUids: [bob], occurredAt: at(start, 3000), exitType: 'KICKED' },
      { groupGuid: other.guid, memberUids: [someone()], occurredAt: at(start, 4000) },
      { chatRoomId: uniqueId('room'), memberUids: [someone()], occurredAt: at(start, 5000) },
      { groupGuid: g.guid, memberUids: [someone()], occurredAt: at(start, 1439 * MINUTE) },
    ])
    for (const [to, quits] of [[MINUTE, { events: 1, members: 2 }], [1440 * MINUTE, { events: 2, members: 3 }]] as const) {
      const { value, sql } = await statementsOf(() => exitStats(deps, userActor(bob), { from: start, to: at(start, to), bucketSeconds: 60, joined: true }))
      expect(sql).toHaveLength(1)
      expect(value.totals).toEqual([
        { exitType: 'QUIT', ...quits },
        { exitType: 'KICKED', events: 1, members: 1 },
        { exitType: 'OFFLINE_KICKED', events: 1, members: 1 },
      ])
    }
  })

  test('joined is refused with guid or chatRoomId, and for a caller that is not a user', async () => {
    const from = ownWindow()
    const window = { from, to: at(from, MINUTE), bucketSeconds: 60 }
    const user = userActor(uniqueId('u'))
    for (const scope of [{ guid: 'g1' }, { chatRoomId: 'r1' }]) {
      const error = await expectDomainError(exitStats(deps, user, { ...window, ...scope, joined: true }), 'ERR_INVALID_INPUT')
      expect(error.message).toMatch(/^joined: cannot be combined with/)
    }
    const noUser = await expectDomainError(exitStats(deps, appAdmin, { ...window, joined: true }), 'ERR_INVALID_INPUT')
    expect(noUser.message).toMatch(/^joined: .*names no user/)
  })

  test('the joined SQL filter selects the events decide delivers with the memberships readPlaceMembers reads', async () => {
    const g = await seedGroup(db, { scopes: ['PARTICIPANT'] })
    const [bob] = g.uids
    const room = await chatRoomWith([bob])
    const start = ownWindow()
    await writeExits([
      { groupGuid: g.guid, memberUids: [someone()], occurredAt: start },
      { groupGuid: uniqueId('g'), memberUids: [someone()], occurredAt: start },
      { groupGuid: uniqueId('g'), memberUids: [bob, someone()], occurredAt: start },
      { chatRoomId: room, memberUids: [someone()], occurredAt: start },
      { chatRoomId: uniqueId('room'), memberUids: [someone()], occurredAt: start },
      { memberUids: [bob], occurredAt: start, exitType: 'DEACTIVATED' },
    ])
    const ours = await db.prisma.memberLeftEvent.findMany({ where: { occurredAt: start } })
    const audience: MemberLeftAudience = { kind: 'joined', uid: bob }
    const bySql = await db.prisma.$queryRaw<{ id: bigint }[]>`
      SELECT "id" FROM "MemberLeftEvent" WHERE "id" IN (${Prisma.join(ours.map((e) => e.id))}) AND (${memberLeftSqlFilter(audience)})`
    const members = await readPlaceMembers(db.prisma, ours, [bob, someone()])
    const byDecide = ours.filter((e) => memberLeftView(audience).decide(e, members) === 'deliver')
    const sorted = (ids: bigint[]) => ids.map(String).sort()
    expect(sorted(bySql.map((r) => r.id))).toEqual(sorted(byDecide.map((e) => e.id)))
    expect(bySql).toHaveLength(4)
  })

  test('a non-member asking for a group or chat room is refused as memberLeftEvents refuses it', async () => {
    const g = await seedGroup(db)
    const room = await chatRoomWith([])
    const stranger = userActor(uniqueId('u'))
    const start = ownWindow()
    const window = { from: start, to: at(start, MINUTE), bucketSeconds: 60 }
    for (const scope of [{ guid: g.guid }, { chatRoomId: room }, { guid: uniqueId('nog') }, { chatRoomId: uniqueId('noroom') }]) {
      const listed = await listMemberLeftEvents(deps, stranger, scope).then(
        () => null,
        (error: Error & { code?: string }) => error.code,
      )
      expect(listed).not.toBeNull()
      await expectDomainError(exitStats(deps, stranger, { ...window, ...scope }), listed as never)
    }
  })

  test('the app admin counts every exit of the span; topPlaces lists the places with the most departed members first', async () => {
    const [a, b, c] = [uniqueId('g'), uniqueId('g'), uniqueId('room')]
    const start = ownWindow()
    await writeExits([
      { groupGuid: a, memberUids: [someone()], occurredAt: at(start, 1000) },
      { groupGuid: a, memberUids: [someone()], occurredAt: at(start, 2000), exitType: 'KICKED' },
      { groupGuid: b, memberUids: [someone(), someone(), someone()], occurredAt: at(start, 3000), exitType: 'DISSOLVED' },
      { chatRoomId: c, memberUids: [someone(), someone()], occurredAt: at(start, 4000), exitType: 'OFFLINE_KICKED' },
      { memberUids: [someone()], occurredAt: at(start, 5000), exitType: 'DEACTIVATED' },
    ])
    const { totals, stats } = await statsOf(appAdmin, { from: start, to: at(start, 2 * MINUTE), bucketSeconds: 60 })
    expect(totals).toEqual([
      { exitType: 'QUIT', events: 1, members: 1 },
      { exitType: 'KICKED', events: 1, members: 1 },
      { exitType: 'DISSOLVED', events: 1, members: 3 },
      { exitType: 'DEACTIVATED', events: 1, members: 1 },
      { exitType: 'OFFLINE_KICKED', events: 1, members: 2 },
    ])
    expect(stats.buckets.map((x) => x.events)).toEqual([5, 0])
    // Ties in members are broken by events: a (2 members, 2 events) before c (2 members, 1 event).
    expect(await topExitPlaces(deps, stats.scope, {})).toEqual([
      { groupGuid: b, chatRoomId: null, events: 1, members: 3 },
      { groupGuid: a, chatRoomId: null, events: 2, members: 2 },
      { groupGuid: null, chatRoomId: c, events: 1, members: 2 },
    ])
    expect(await topExitPlaces(deps, stats.scope, { first: 1 })).toEqual([{ groupGuid: b, chatRoomId: null, events: 1, members: 3 }])
  })

  test('topPlaces is empty for a user and for a member asking for its group', async () => {
    const g = await seedGroup(db, { scopes: ['PARTICIPANT'] })
    const [bob] = g.uids
    const start = ownWindow()
    await writeExits([{ groupGuid: g.guid, memberUids: [bob, someone()], occurredAt: at(start, 1000) }])
    const window = { from: start, to: at(start, MINUTE), bucketSeconds: 60 }
    for (const input of [window, { ...window, guid: g.guid }]) {
      const { stats, totals } = await statsOf(userActor(bob), input)
      expect(totals).toEqual([{ exitType: 'QUIT', events: 1, members: 2 }])
      expect(await topExitPlaces(deps, stats.scope, {})).toEqual([])
    }
  })

  test('the SQL filter selects the same events as memberLeftView’s where, for every kind of audience', async () => {
    const [guid, room, uid] = [uniqueId('g'), uniqueId('room'), uniqueId('u')]
    const start = ownWindow()
    await writeExits([
      { groupGuid: guid, memberUids: [uid], occurredAt: start },
      { groupGuid: guid, memberUids: [someone()], occurredAt: start },
      { chatRoomId: room, memberUids: [uid, someone()], occurredAt: start },
      { chatRoomId: room, memberUids: [someone()], occurredAt: start },
      { memberUids: [uid], occurredAt: start, exitType: 'DEACTIVATED' },
    ])
    const ours = await db.prisma.memberLeftEvent.findMany({ where: { occurredAt: start }, orderBy: [{ txid: 'asc' }, { id: 'asc' }] })
    const ids = ours.map((e) => e.id)
    const third = ours[2]
    const audiences: MemberLeftAudience[] = [
      { kind: 'all' },
      { kind: 'own', uid },
      { kind: 'place', place: { groupGuid: guid }, leaverUid: null, until: null },
      { kind: 'place', place: { chatRoomId: room }, leaverUid: uid, until: null },
      { kind: 'place', place: { chatRoomId: room }, leaverUid: uid, until: { txid: third.txid, id: third.id } },
    ]
    for (const audience of audiences) {
      const byPrisma = await db.prisma.memberLeftEvent.findMany({ where: { AND: [{ id: { in: ids } }, memberLeftView(audience).where as Prisma.MemberLeftEventWhereInput] }, select: { id: true } })
      const bySql = await db.prisma.$queryRaw<{ id: bigint }[]>`
        SELECT "id" FROM "MemberLeftEvent" WHERE "id" IN (${Prisma.join(ids)}) AND (${memberLeftSqlFilter(audience)})`
      const sorted = (rows: { id: bigint }[]) => rows.map((r) => r.id.toString()).sort()
      expect(sorted(bySql), JSON.stringify(audience, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).toEqual(sorted(byPrisma))
    }
  })
})

describe('arguments', () => {
  const from = new Date('2026-01-01T00:00:00Z')

  test('refuses more than 1,440 buckets, bucketSeconds below 1, and from not before to, naming the argument', async () => {
    const user = userActor(uniqueId('u'))
    const tooMany = await expectDomainError(exitStats(deps, user, { from, to: at(from, 1441 * MINUTE), bucketSeconds: 60 }), 'ERR_INVALID_INPUT')
    expect(tooMany.message).toMatch(/^bucketSeconds: .*1441 buckets.*at most 1440/)
    const zero = await expectDomainError(exitStats(deps, user, { from, to: at(from, MINUTE), bucketSeconds: 0 }), 'ERR_INVALID_INPUT')
    expect(zero.message).toMatch(/^bucketSeconds: /)
    const same = await expectDomainError(exitStats(deps, user, { from, to: from, bucketSeconds: 60 }), 'ERR_INVALID_INPUT')
    expect(same.message).toMatch(/^to: must be later than from/)
    const reversed = await expectDomainError(exitStats(deps, user, { from, to: at(from, -MINUTE), bucketSeconds: 60 }), 'ERR_INVALID_INPUT')
    expect(reversed.message).toMatch(/^to: /)
    const both = await expectDomainError(exitStats(deps, user, { from, to: at(from, MINUTE), bucketSeconds: 60, guid: 'g', chatRoomId: 'r' }), 'ERR_INVALID_INPUT')
    expect(both.message).toMatch(/^chatRoomId: /)
  })

  test('accepts exactly 1,440 buckets, and a last bucket that only starts before `to`', async () => {
    const user = userActor(uniqueId('u'))
    expect((await exitStats(deps, user, { from, to: at(from, 1440 * MINUTE), bucketSeconds: 60 })).buckets).toHaveLength(1440)
    expect((await exitStats(deps, user, { from, to: at(from, 1439 * MINUTE + 1), bucketSeconds: 60 })).buckets).toHaveLength(1440)
  })

  test('topPlaces takes first between 1 and 100', async () => {
    const { scope } = await exitStats(deps, appAdmin, { from, to: at(from, MINUTE), bucketSeconds: 60, guid: uniqueId('g') })
    for (const first of [0, 101]) {
      const error = await expectDomainError(topExitPlaces(deps, scope, { first }), 'ERR_INVALID_INPUT')
      expect(error.message).toMatch(/^first: /)
    }
  })
})

describe('statements', () => {
  test('the buckets are one statement whatever the span: 1 bucket and 1,440 buckets cost the same', async () => {
    const g = await seedGroup(db, { scopes: ['PARTICIPANT'] })
    const [bob] = g.uids
    const start = ownWindow()
    await writeExits([
      { groupGuid: g.guid, memberUids: [bob], occurredAt: at(start, 1000) },
      { groupGuid: g.guid, memberUids: [someone()], occurredAt: at(start, 1439 * MINUTE) },
    ])
    const measure = async (actor: Actor, input: ExitStatsInput) => {
      const { value, sql } = await statementsOf(() => exitStats(deps, actor, input))
      expect(sql.filter((s) => s.includes('generate_series'))).toHaveLength(1)
      return { count: sql.length, events: value.totals.reduce((n, t) => n + t.events, 0) }
    }
    const one = { from: start, to: at(start, MINUTE), bucketSeconds: 60 }
    const many = { from: start, to: at(start, 1440 * MINUTE), bucketSeconds: 60 }
    const own = [await measure(userActor(bob), one), await measure(userActor(bob), many)]
    const member = [await measure(userActor(bob), { ...one, guid: g.guid }), await measure(userActor(bob), { ...many, guid: g.guid })]
    const admin = [await measure(appAdmin, one), await measure(appAdmin, many)]
    console.log(
      `[${testDatabaseKind()}] exitStats statements, 1 bucket → 1,440 buckets: own exits ${own[0].count} → ${own[1].count}, ` +
        `a member's group ${member[0].count} → ${member[1].count}, the app admin ${admin[0].count} → ${admin[1].count}`,
    )
    expect(own.map((m) => m.events)).toEqual([1, 1])
    expect(member.map((m) => m.events)).toEqual([1, 2])
    expect(own.map((m) => m.count)).toEqual([1, 1])
    // The membership check (group, then member) and the buckets.
    expect(member.map((m) => m.count)).toEqual([3, 3])
    expect(admin.map((m) => m.count)).toEqual([1, 1])
    const { sql } = await statementsOf(async () => topExitPlaces(deps, (await exitStats(deps, appAdmin, many)).scope, {}))
    expect(sql).toHaveLength(2)
  })
})
