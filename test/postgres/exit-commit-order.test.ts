// Runs only in the postgres project: PGlite has one connection, so two transactions cannot
// be open at once there, and the races shown here cannot happen.
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { afterAll, beforeAll, expect, test } from 'vitest'
import type { Database } from '../../src/db/database.js'
import { comparePositions, EXIT_LOG_START, positionOf, prismaExitLog, type ExitLog, type ExitLogPosition } from '../../src/domain/exits/exit-log.js'
import { recordExit } from '../../src/domain/exits/record-exit.js'
import { MemberLeftFeed } from '../../src/events/member-left-feed.js'
import type { MemberLeftEvent } from '../../src/generated/prisma/client.js'
import { openTestDatabase, testPostgresUrl, uniqueId } from '../support/database.js'
import { quitOf } from '../support/domain-fixtures.js'

let db: Database
let log: ExitLog
beforeAll(async () => {
  db = await openTestDatabase()
  log = prismaExitLog(db.prisma)
})
afterAll(() => db?.close())

const ids = (events: MemberLeftEvent[]) => events.map((e) => e.id.toString())
const inLogOrder = (events: MemberLeftEvent[]) => [...events].sort((a, b) => comparePositions(positionOf(a), positionOf(b)))

function deferred() {
  let resolve!: () => void
  const promise = new Promise<void>((r) => (resolve = r))
  return { promise, resolve }
}

/** An exit in its own transaction that, once its event is written, waits for `commit`. */
function openExit(guid: string, commit: Promise<void>, options: { plainInsert?: boolean } = {}) {
  const inserted = deferred()
  let event: MemberLeftEvent | null = null
  const done = db.prisma.$transaction(
    async (tx) => {
      const exit = { exitType: 'QUIT' as const, reason: null, groupGuid: guid, memberUids: [uniqueId('u')], operatorUid: null, occurredAt: new Date() }
      event = options.plainInsert ? await tx.memberLeftEvent.create({ data: exit }) : await recordExit(tx, exit)
      inserted.resolve()
      await commit
      return event
    },
    { timeout: 30_000 },
  )
  return { inserted: inserted.promise, done, get event() { return event } }
}

/** What a reader following the log sees of `guid`s after `after`, below the horizon of now. */
async function readLog(guids: string[], after: ExitLogPosition = EXIT_LOG_START): Promise<MemberLeftEvent[]> {
  return log.read({ after, below: await log.horizon(), where: { groupGuid: { in: guids } }, take: 1000 })
}

test('a reader trusting `id > cursor` skips a slower transaction’s smaller id (why ids alone are not an order)', async () => {
  const guid = uniqueId('g')
  const slowCommit = deferred()
  const slow = openExit(guid, slowCommit.promise, { plainInsert: true })
  await slow.inserted // holds the smaller id, not committed
  const fast = openExit(guid, Promise.resolve(), { plainInsert: true })
  await fast.done
  const firstRead = await db.prisma.memberLeftEvent.findMany({ where: { groupGuid: guid }, orderBy: { id: 'asc' } })
  expect(ids(firstRead)).toEqual([fast.event!.id.toString()])
  slowCommit.resolve()
  await slow.done
  expect(slow.event!.id).toBeLessThan(fast.event!.id)
  expect(await db.prisma.memberLeftEvent.count({ where: { groupGuid: guid, id: { gt: fast.event!.id } } })).toBe(0)
})

test('exits do not wait for each other, and a reader below the horizon sees the earlier transaction’s event first', async () => {
  const guid = uniqueId('g')
  const slowCommit = deferred()
  const slow = openExit(guid, slowCommit.promise)
  await slow.inserted
  const fast = openExit(guid, Promise.resolve())
  await fast.done // committed while the slow one is still open: no lock in between
  expect(fast.event!.txid).toBeGreaterThan(slow.event!.txid)
  expect(await readLog([guid])).toEqual([]) // the fast event waits below the slow transaction
  slowCommit.resolve()
  await slow.done
  expect(ids(await readLog([guid]))).toEqual([slow.event!.id.toString(), fast.event!.id.toString()])
})

test('another client’s open transaction does not hold the horizon; one of this service’s does, until it ends', async () => {
  const foreign = new pg.Client({ connectionString: testPostgresUrl(), application_name: 'someone-else' })
  await foreign.connect()
  try {
    await foreign.query('BEGIN')
    await foreign.query('SELECT pg_current_xact_id()') // now holds a transaction id
    const guid = uniqueId('g')
    const first = await openExit(guid, Promise.resolve()).done
    expect(ids(await readLog([guid]))).toEqual([first.id.toString()])

    const ownCommit = deferred()
    const own = db.prisma.$transaction(async (tx) => {
      await tx.$queryRawUnsafe('SELECT pg_current_xact_id()::text')
      await ownCommit.promise
    })
    await sleep(50)
    const second = await openExit(guid, Promise.resolve()).done
    const heldFor = Date.now()
    expect(ids(await readLog([guid], positionOf(first)))).toEqual([])
    await sleep(300)
    ownCommit.resolve()
    await own
    expect(ids(await readLog([guid], positionOf(first)))).toEqual([second.id.toString()])
    console.log(`an open transaction of this service held a committed exit back for ${Date.now() - heldFor} ms (as long as it stayed open)`)
  } finally {
    await foreign.query('ROLLBACK').catch(() => undefined)
    await foreign.end()
  }
})

test('exits of 20 groups committing concurrently, later starters first, reach live and resuming subscribers exactly once, in one order', async () => {
  const feed = new MemberLeftFeed(log)
  try {
    const guids = Array.from({ length: 20 }, () => uniqueId('g'))
    const mine = new Set(guids)
    const follow = (after?: ExitLogPosition) =>
      feed.subscribe({ after, where: { groupGuid: { in: guids } }, filter: (e) => (mine.has(e.groupGuid!) ? 'deliver' : 'skip') })
    const live = follow(await feed.position())
    const resuming: { cursor: ExitLogPosition; stream: AsyncIterableIterator<MemberLeftEvent> }[] = []
    const commitOrder: MemberLeftEvent[] = []
    // Each exit waits before committing; earlier starters wait longer, so later ones commit first.
    const exits = guids.flatMap((guid, i) =>
      [0, 1].map(async (round) => {
        const event = await db.prisma.$transaction(async (tx) => {
          const written = await recordExit(tx, quitOf(guid))
          await sleep(round === 0 ? 120 - i * 5 : Math.random() * 40)
          return written
        })
        feed.publish([event])
        commitOrder.push(event)
        // Clients reconnect with cursors of events they were told about, while others commit.
        if (commitOrder.length % 8 === 0) resuming.push({ cursor: positionOf(event), stream: follow(positionOf(event)) })
        return event
      }),
    )
    const events = inLogOrder(await Promise.all(exits))
    expect(ids(commitOrder)).not.toEqual(ids(events)) // some later starters did commit first

    expect(ids(await take(live, 40))).toEqual(ids(events))
    for (const { cursor, stream } of resuming) {
      const expected = events.filter((e) => comparePositions(positionOf(e), cursor) > 0)
      expect(ids(await take(stream, expected.length))).toEqual(ids(expected))
    }
    for (const stream of [live, ...resuming.map((r) => r.stream)]) {
      const more = await Promise.race([stream.next().then(() => 'more'), sleep(300).then(() => 'none')])
      expect(more).toBe('none')
    }
  } finally {
    await feed.close()
  }
})

async function take(iterator: AsyncIterator<MemberLeftEvent>, count: number, ms = 15_000): Promise<MemberLeftEvent[]> {
  const events: MemberLeftEvent[] = []
  const deadline = Date.now() + ms
  while (events.length < count) {
    const next = await Promise.race([iterator.next(), sleep(Math.max(0, deadline - Date.now())).then(() => 'timeout' as const)])
    if (next === 'timeout') throw new Error(`got ${events.length} of ${count} events`)
    if (next.done) break
    events.push(next.value)
  }
  return events
}
