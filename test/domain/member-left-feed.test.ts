import { EventEmitter } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { Database } from '../../src/db/database.js'
import { recordExit } from '../../src/domain/exits/record-exit.js'
import { comparePositions, EXIT_LOG_START, positionOf, prismaExitLog, type ExitLogPosition } from '../../src/domain/exits/exit-log.js'
import { MemberLeftFeed, type FeedSubscribeOptions } from '../../src/events/member-left-feed.js'
import type { Notifier } from '../../src/events/notifier.js'
import type { MemberLeftEvent } from '../../src/generated/prisma/client.js'
import { openTestDatabase, uniqueId } from '../support/database.js'
import { quitOf } from '../support/domain-fixtures.js'

// On PostgreSQL the database is shared with other test files, whose exits show up in the
// same table: every stream here is filtered to this test's own group.

// The feed's read carries no visibility filter: its WHERE starts with the position range.
const CATCH_UP_READ = /FROM "public"\."MemberLeftEvent"(?: AS "\w+")? WHERE \("[\w.]+"\."txid" >= \$1/
let catchUpReads = 0
let db: Database
let feed: MemberLeftFeed

beforeAll(async () => {
  db = await openTestDatabase({ onQuery: (sql) => void (CATCH_UP_READ.test(sql) && catchUpReads++) })
  feed = new MemberLeftFeed(prismaExitLog(db.prisma))
}, 60_000)
afterAll(async () => {
  await feed?.close()
  await db?.close()
})

/** One exit in its own transaction (optionally slow between insert and commit), then published. */
async function commitExit(
  guid: string,
  options: { slowMs?: number; on?: MemberLeftFeed; publish?: boolean } = {},
): Promise<MemberLeftEvent> {
  const event = await db.prisma.$transaction(
    async (tx) => {
      const inserted = await recordExit(tx, quitOf(guid))
      if (options.slowMs) await sleep(options.slowMs)
      return inserted
    },
    { maxWait: 60_000, timeout: 60_000 },
  )
  if (options.publish !== false) (options.on ?? feed).publish([event])
  return event
}

function ofGroup(guid: string, options: Omit<FeedSubscribeOptions, 'filter' | 'where'> = {}, on = feed) {
  return on.subscribe({ ...options, where: { groupGuid: guid }, filter: (e) => (e.groupGuid === guid ? 'deliver' : 'skip') })
}

/** The next `count` events, failing if they take longer than `ms`. */
async function take(iterator: AsyncIterator<MemberLeftEvent>, count: number, ms = 15_000): Promise<MemberLeftEvent[]> {
  const events: MemberLeftEvent[] = []
  const deadline = Date.now() + ms
  while (events.length < count) {
    const next = await Promise.race([iterator.next(), sleep(Math.max(0, deadline - Date.now())).then(() => 'timeout' as const)])
    if (next === 'timeout') throw new Error(`got ${events.length} of ${count} events: ${ids(events)}`)
    if (next.done) break
    events.push(next.value)
  }
  return events
}

/** Nothing more arrives within `ms`. */
async function expectQuiet(iterator: AsyncIterator<MemberLeftEvent>, ms = 300): Promise<void> {
  const next = await Promise.race([iterator.next(), sleep(ms).then(() => 'quiet' as const)])
  expect(next === 'quiet' ? 'quiet' : `got ${(next as IteratorResult<MemberLeftEvent>).value?.id}`).toBe('quiet')
}

function ids(events: MemberLeftEvent[]): string[] {
  return events.map((e) => e.id.toString())
}

function sortedIds(events: MemberLeftEvent[]): string[] {
  return [...events].sort((a, b) => comparePositions(positionOf(a), positionOf(b))).map((e) => e.id.toString())
}

describe('member-left feed on the database', { timeout: 30_000 }, () => {
  test('a subscriber resuming from a cursor gets the stored events after it, then live ones, each once, in order', async () => {
    const guid = uniqueId('g')
    const stored: MemberLeftEvent[] = []
    for (let i = 0; i < 5; i++) stored.push(await commitExit(guid))
    const sub = ofGroup(guid, { after: positionOf(stored[1]) })
    const replayed = await take(sub, 3)
    expect(ids(replayed)).toEqual(ids(stored.slice(2)))
    const live: MemberLeftEvent[] = []
    for (let i = 0; i < 5; i++) live.push(await commitExit(guid))
    expect(ids(await take(sub, 5))).toEqual(ids(live))
    await expectQuiet(sub)
    await sub.return!()
  })

  test('20 concurrent exits, some slow to commit, reach a live subscriber and one resuming mid-way exactly once, in the log order', async () => {
    const guid = uniqueId('g')
    const live = ofGroup(guid)
    await feed.position()
    let committed = 0
    let resumed: { cursor: ExitLogPosition; sub: AsyncIterableIterator<MemberLeftEvent> } | null = null
    const writers = Array.from({ length: 20 }, (_, i) =>
      commitExit(guid, { slowMs: i % 3 === 0 ? 20 + Math.floor(Math.random() * 60) : 0 }).then((event) => {
        // A client reconnects with the cursor of an event it saw while others still commit.
        if (++committed === 10) resumed = { cursor: positionOf(event), sub: ofGroup(guid, { after: positionOf(event) }) }
        return event
      }),
    )
    const events = await Promise.all(writers)
    const all = sortedIds(events)
    expect(ids(await take(live, 20))).toEqual(all)
    const { cursor, sub } = resumed!
    const later = sortedIds(events.filter((event) => comparePositions(positionOf(event), cursor) > 0))
    expect(ids(await take(sub, later.length))).toEqual(later)
    await expectQuiet(live)
    await expectQuiet(sub)
    await live.return!()
    await sub.return!()
  })

  test('with notifications delayed, repeated, reordered or lost between two servers, both deliver every event once, in order', async () => {
    // Two feeds on one database, joined by a bus that behaves like an unreliable Redis.
    const bus = new EventEmitter().setMaxListeners(0)
    const unreliable = (): Notifier => ({
      publish: (latest) => bus.emit('n', latest),
      onNotify: (listener) => {
        const deliver = (latest: ExitLogPosition) => {
          const copies = Math.random() < 0.1 ? 0 : Math.random() < 0.3 ? 2 : 1
          for (let i = 0; i < copies; i++) setTimeout(() => listener(latest), Math.random() * 40)
        }
        bus.on('n', deliver)
        return () => bus.off('n', deliver)
      },
      close: async () => undefined,
    })
    // Polling covers the lost notifications.
    const servers = [0, 1].map(() => new MemberLeftFeed(prismaExitLog(db.prisma), { notifier: unreliable(), pollIntervalMs: 100 }))
    try {
      const guid = uniqueId('g')
      await Promise.all(servers.map((s) => s.position()))
      const subs = servers.map((s) => ofGroup(guid, {}, s))
      const events = await Promise.all(
        Array.from({ length: 15 }, (_, i) => commitExit(guid, { on: servers[i % 2], slowMs: i % 4 === 0 ? 30 : 0 })),
      )
      for (const sub of subs) {
        expect(ids(await take(sub, 15))).toEqual(sortedIds(events))
        await expectQuiet(sub)
      }
    } finally {
      await Promise.all(servers.map((s) => s.close()))
    }
  })

  test('a burst is read once per server, whatever the number of subscribers, and all of them share each row object', async () => {
    async function burst(subscribers: number) {
      const guid = uniqueId('g')
      await feed.position()
      const subs = Array.from({ length: subscribers }, () => ofGroup(guid))
      const events: MemberLeftEvent[] = []
      for (let i = 0; i < 8; i++) events.push(await commitExit(guid, { publish: false }))
      const before = catchUpReads
      for (const event of events) feed.publish([event])
      const received = await Promise.all(subs.map((s) => take(s, 8)))
      const reads = catchUpReads - before
      await Promise.all(subs.map((s) => s.return!()))
      return { reads, received, events }
    }
    const one = await burst(1)
    const ten = await burst(10)
    expect(one.reads).toBe(1)
    expect(ten.reads).toBe(1)
    for (const events of ten.received) {
      expect(ids(events)).toEqual(ids(ten.events))
      events.forEach((event, i) => expect(event).toBe(ten.received[0][i]))
    }
  })

  test('return() releases the subscription; close() completes the rest', async () => {
    const other = new MemberLeftFeed(prismaExitLog(db.prisma))
    const a = other.subscribe()
    const b = other.subscribe({ after: EXIT_LOG_START })
    const pending = a.next()
    await other.position()
    expect(other.subscriberCount).toBe(2)
    await b.return!()
    expect(other.subscriberCount).toBe(1)
    await other.close()
    expect(await pending).toEqual({ value: undefined, done: true })
  })
})
