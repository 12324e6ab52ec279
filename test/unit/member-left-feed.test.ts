import { describe, expect, test } from 'vitest'
import type { MemberLeftEvent } from '../../src/generated/prisma/client.js'
import { MemberLeftFeed, type FeedSubscribeOptions, type MemberLeftFeedOptions } from '../../src/events/member-left-feed.js'
import type { Notifier } from '../../src/events/notifier.js'
import type { ListenableStream } from '../../src/events/listenable-stream.js'
import { comparePositions, isAfter, positionOf, type ExitLog, type ExitLogPosition } from '../../src/domain/exits/exit-log.js'
import type { PlaceMembers } from '../../src/domain/exits/joined-places.js'
import { memberLeftView } from '../../src/domain/exits/member-left-visibility.js'

// The feed's ordering logic against an in-memory table whose reads can be paused, so the
// interleavings that are rare on a real database happen on purpose here.

type Where = Record<string, unknown>

function matches(row: MemberLeftEvent, where: Where): boolean {
  return Object.entries(where).every(([key, condition]) => {
    if (key === 'AND') return (condition as Where[]).every((w) => matches(row, w))
    if (key === 'OR') return (condition as Where[]).some((w) => matches(row, w))
    if (key === 'id' || key === 'txid') {
      const c = condition as { gt?: bigint; gte?: bigint; lt?: bigint; lte?: bigint }
      const value = row[key]
      return (
        (c.gt === undefined || value > c.gt) &&
        (c.gte === undefined || value >= c.gte) &&
        (c.lt === undefined || value < c.lt) &&
        (c.lte === undefined || value <= c.lte)
      )
    }
    if (key === 'memberUids') return row.memberUids.includes((condition as { has: string }).has)
    return (row as unknown as Record<string, unknown>)[key] === condition
  })
}

/** Position n: an event written alone by transaction n. */
function at(n: number | bigint): ExitLogPosition {
  return { txid: BigInt(n), id: BigInt(n) }
}

class FakeTable {
  rows: MemberLeftEvent[] = []
  reads = 0
  /** Simulates an open transaction of the service: reads stop below it. Null: above every row. */
  horizon: bigint | null = null
  failNext = 0
  private gate: Promise<void> | null = null
  private nextId = 1n

  insert(fields: Partial<MemberLeftEvent> = {}): MemberLeftEvent {
    const id = this.nextId++
    const row: MemberLeftEvent = {
      id,
      txid: id,
      exitType: 'QUIT',
      reason: null,
      groupGuid: 'g',
      chatRoomId: null,
      memberUids: ['u'],
      operatorUid: null,
      operatorSub: null,
      occurredAt: new Date(),
      ...fields,
    }
    this.rows.push(row)
    return row
  }

  /** The next read waits (and then sees the rows as of its release); others go on. */
  pauseNextRead(): () => void {
    let release!: () => void
    this.gate = new Promise((resolve) => (release = resolve))
    return release
  }

  /** A rolled-back transaction: the id is used up, no row is left. */
  skipId(): void {
    this.nextId++
  }

  log(): ExitLog {
    const horizon = async () => this.horizon ?? this.rows.reduce((max, row) => (row.txid >= max ? row.txid + 1n : max), 1n)
    return {
      horizon,
      positionOfId: async (id) => {
        const row = this.rows.find((r) => r.id === id)
        return row ? positionOf(row) : null
      },
      read: async ({ after, below, where, take }) => {
        this.reads++
        await new Promise((resolve) => setImmediate(resolve))
        const gate = this.gate
        this.gate = null
        if (gate) await gate
        if (this.failNext > 0) {
          this.failNext--
          throw new Error('connection lost')
        }
        // Fresh objects per read, as Prisma returns them.
        return this.rows
          .filter((row) => isAfter(positionOf(row), after) && row.txid < below && (!where || matches(row, where as Where)))
          .sort((a, b) => comparePositions(positionOf(a), positionOf(b)))
          .slice(0, take)
          .map((row) => ({ ...row }))
      },
    }
  }
}

async function take(iterator: AsyncIterator<MemberLeftEvent>, count: number): Promise<bigint[]> {
  const ids: bigint[] = []
  while (ids.length < count) {
    const next = await iterator.next()
    if (next.done) break
    ids.push(next.value.id)
  }
  return ids
}

function range(from: number, to: number): bigint[] {
  return Array.from({ length: to - from + 1 }, (_, i) => BigInt(from + i))
}

/** Lets the feed's reads and dispatches run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 20))
}

type SetupOptions = { pageSize?: number; maxBuffered?: number; notifier?: Notifier; placeMembers?: MemberLeftFeedOptions['placeMembers'] }

/**
 * How a test takes a subscription's events: by calling next() (what graphql-ws does), or as
 * a listener it pushes to (what SharedSubscriptions does). Every feed test runs both ways.
 */
type Consumption = 'pulled' | 'listened'

function setupFeed(options: SetupOptions, consumption: Consumption) {
  const table = new FakeTable()
  const feed = new MemberLeftFeed(table.log(), { onError: () => undefined, retryDelayMs: 5, ...options })
  const subscribe = (o: FeedSubscribeOptions = {}): AsyncIterableIterator<MemberLeftEvent> =>
    consumption === 'pulled' ? feed.subscribe(o) : listened(feed.subscribe(o))
  const commit = (fields: Partial<MemberLeftEvent> = {}) => {
    const row = table.insert(fields)
    feed.publish([row])
    return row
  }
  return { table, feed, subscribe, commit }
}

/** A listened-to subscription seen through an iterator: what it pushes, queued in order. */
function listened(stream: ListenableStream<MemberLeftEvent>): AsyncIterableIterator<MemberLeftEvent> {
  const received: MemberLeftEvent[] = []
  let ended: { failure?: { error: unknown } } | null = null
  let wake: (() => void) | null = null
  const woken = () => {
    wake?.()
    wake = null
  }
  stream.listen({
    receive(event) {
      if (ended) throw new Error('an event after the end')
      received.push(event)
      woken()
    },
    end(failure) {
      if (ended) throw new Error('ended twice')
      ended = failure ? { failure } : {}
      woken()
    },
  })
  return {
    async next() {
      for (;;) {
        const event = received.shift()
        if (event) return { value: event, done: false }
        if (ended?.failure) {
          const { error } = ended.failure
          ended = {}
          throw error
        }
        if (ended) return { value: undefined, done: true }
        await new Promise<void>((resolve) => (wake = resolve))
      }
    },
    return: () => stream.return!(),
    [Symbol.asyncIterator]() {
      return this
    },
  }
}

describe.each(['pulled', 'listened'] as const)('MemberLeftFeed, %s', (consumption) => {
  const setup = (options: SetupOptions = {}) => setupFeed(options, consumption)

  test('live subscribers get each committed event once, in id order, from the moment they subscribed', async () => {
    const { table, feed, subscribe, commit } = setup()
    table.insert()
    table.insert()
    const a = subscribe()
    const b = subscribe()
    await settle()
    for (let i = 0; i < 5; i++) commit()
    expect(await take(a, 5)).toEqual(range(3, 7))
    expect(await take(b, 5)).toEqual(range(3, 7))
    await feed.close()
  })

  test('a notification is only a prompt: late, repeated and reordered ones change nothing', async () => {
    let deliver: (latest: ExitLogPosition | undefined) => void = () => undefined
    const held: ExitLogPosition[] = []
    const notifier: Notifier = {
      publish: (latest) => held.push(latest),
      onNotify: (listener) => {
        deliver = listener
        return () => undefined
      },
      close: async () => undefined,
    }
    const { table, feed, subscribe } = setup({ notifier })
    const sub = subscribe()
    await feed.position()
    const rows = Array.from({ length: 10 }, () => table.insert())
    table.skipId() // a rolled-back exit leaves a hole in the ids
    rows.push(table.insert())
    for (const row of rows) feed.publish([row])
    // Deliver them backwards, twice, with a hint-less one in between.
    for (const latest of [...held].reverse()) deliver(latest)
    deliver(undefined)
    for (const latest of held) deliver(latest)
    expect(await take(sub, 11)).toEqual(rows.map((r) => r.id))
    await settle()
    const nothingMore = await Promise.race([sub.next().then(() => 'event'), settle().then(() => 'none')])
    expect(nothingMore).toBe('none')
    await feed.close()
  })

  test('one read per burst however many subscribers, and every subscriber gets the same row object', async () => {
    async function run(subscribers: number) {
      const { table, feed, subscribe, commit } = setup()
      const subs = Array.from({ length: subscribers }, () => subscribe())
      await settle()
      const readsBefore = table.reads
      for (let i = 0; i < 30; i++) commit()
      const received = await Promise.all(subs.map((s) => (async () => {
        const events: MemberLeftEvent[] = []
        for (let i = 0; i < 30; i++) events.push((await s.next()).value as MemberLeftEvent)
        return events
      })()))
      const reads = table.reads - readsBefore
      await feed.close()
      return { reads, received }
    }
    const one = await run(1)
    const ten = await run(10)
    expect(ten.reads).toBe(one.reads)
    expect(ten.reads).toBeLessThanOrEqual(2)
    for (const events of ten.received) {
      events.forEach((event, i) => expect(event).toBe(ten.received[0][i]))
    }
  })

  test('replay from a cursor then live, with events committed between replay pages', async () => {
    const { table, feed, subscribe, commit } = setup({ pageSize: 3 })
    for (let i = 0; i < 10; i++) table.insert()
    await feed.position()
    const sub = subscribe({ after: at(2) })
    // Commit while the replay is reading its pages.
    const writer = (async () => {
      for (let i = 0; i < 10; i++) {
        commit()
        await new Promise((resolve) => setImmediate(resolve))
      }
    })()
    const ids = await take(sub, 18)
    await writer
    expect(ids).toEqual(range(3, 20))
    commit()
    expect(await take(sub, 1)).toEqual([21n])
    await feed.close()
  })

  test('a replay that outgrows its live buffer reads the table again instead of losing events', async () => {
    const { table, feed, subscribe, commit } = setup({ pageSize: 2, maxBuffered: 3 })
    for (let i = 0; i < 6; i++) table.insert()
    await feed.position()
    const sub = subscribe({ after: at(0) })
    const release = table.pauseNextRead()
    const first = sub.next()
    await settle()
    for (let i = 0; i < 10; i++) {
      commit() // while the replay's first read is paused, the feed dispatches these
      await settle()
    }
    release()
    const ids = [(await first).value!.id, ...(await take(sub, 15))]
    expect(ids).toEqual(range(1, 16))
    await feed.close()
  })

  test('a consumer that falls behind live traffic catches up from the table, exactly once', async () => {
    const { feed, subscribe, commit } = setup({ maxBuffered: 4 })
    const sub = subscribe()
    await settle()
    for (let i = 0; i < 25; i++) {
      commit()
      await new Promise((resolve) => setImmediate(resolve))
    }
    expect(await take(sub, 25)).toEqual(range(1, 25))
    await feed.close()
  })

  test('a filter skips events and deliver-and-complete ends the stream after that event', async () => {
    const { feed, subscribe, commit } = setup()
    const sub = subscribe({
      filter: (e) => (e.groupGuid !== 'mine' ? 'skip' : e.memberUids.includes('me') ? 'deliver-and-complete' : 'deliver'),
    })
    await settle()
    commit({ groupGuid: 'other' })
    commit({ groupGuid: 'mine', memberUids: ['x'] })
    commit({ groupGuid: 'mine', memberUids: ['me', 'y'] })
    commit({ groupGuid: 'mine', memberUids: ['z'] })
    expect(await take(sub, 10)).toEqual([2n, 3n])
    expect(await sub.next()).toEqual({ value: undefined, done: true })
    expect(feed.subscriberCount).toBe(0)
    await feed.close()
  })

  test('return() ends a pending next() and releases the subscription', async () => {
    const { feed, subscribe } = setup()
    const sub = subscribe()
    const pending = sub.next()
    await settle()
    expect(feed.subscriberCount).toBe(1)
    await sub.return!()
    expect(await pending).toEqual({ value: undefined, done: true })
    expect(feed.subscriberCount).toBe(0)
    await feed.close()
  })

  test('close() completes every subscription, and later ones are done at once', async () => {
    const { feed, subscribe } = setup()
    const subs = [subscribe(), subscribe({ after: at(0) })]
    const pending = subs.map((s) => s.next())
    await settle()
    await feed.close()
    for (const p of pending) expect(await p).toEqual({ value: undefined, done: true })
    expect(await subscribe().next()).toEqual({ value: undefined, done: true })
  })

  test('a failed catch-up read is retried and nothing is lost', async () => {
    const { table, feed, subscribe, commit } = setup()
    const sub = subscribe()
    await settle()
    table.failNext = 1
    commit()
    commit()
    expect(await take(sub, 2)).toEqual([1n, 2n])
    await feed.close()
  })

  test('a failed replay read fails the stream', async () => {
    const { table, feed, subscribe } = setup()
    table.insert()
    await feed.position()
    table.failNext = 1
    const sub = subscribe({ after: at(0) })
    await expect(sub.next()).rejects.toThrow('connection lost')
    expect(await sub.next()).toEqual({ value: undefined, done: true })
    expect(feed.subscriberCount).toBe(0)
    await feed.close()
  })

  test('an event above the read horizon waits for the earlier transaction, and comes after that one’s event', async () => {
    const { table, feed, subscribe } = setup()
    const sub = subscribe()
    await settle()
    // Transaction 10 is open (it has not written its event yet); transaction 11 commits first.
    table.horizon = 10n
    const later = table.insert({ txid: 11n })
    feed.publish([later])
    const first = sub.next()
    const early = await Promise.race([first.then(() => 'event'), settle().then(() => 'none')])
    expect(early).toBe('none')
    // Transaction 10 commits its event (a larger id, an earlier position); nothing is published
    // for it here, as for a transaction that writes no event: the feed must notice by itself.
    const earlier = table.insert({ txid: 10n })
    table.horizon = null
    expect((await first).value!.id).toBe(earlier.id)
    expect((await sub.next()).value!.id).toBe(later.id)
    await feed.close()
  })

  test('a replay stops at the horizon and goes live without skipping what the open transaction writes', async () => {
    const { table, feed, subscribe, commit } = setup()
    table.insert() // (1, 1)
    table.horizon = 3n // transaction 3 is open
    table.insert({ txid: 4n }) // committed above the horizon
    const sub = subscribe({ after: at(0) })
    expect(await take(sub, 1)).toEqual([1n])
    const slow = table.insert({ txid: 3n })
    table.horizon = null
    feed.publish([slow])
    commit({ txid: 5n })
    expect(await take(sub, 3)).toEqual([3n, 2n, 4n])
    await feed.close()
  })

  test('with no subscriber, publishing reads nothing', async () => {
    const { table, feed, commit } = setup()
    for (let i = 0; i < 5; i++) commit()
    await settle()
    expect(table.reads).toBe(0)
    await feed.close()
  })
})

test('positions order by transaction first, then by id', () => {
  expect(comparePositions({ txid: 5n, id: 9n }, { txid: 6n, id: 1n })).toBeLessThan(0)
  expect(comparePositions({ txid: 6n, id: 1n }, { txid: 6n, id: 2n })).toBeLessThan(0)
  expect(comparePositions(at(3), at(3))).toBe(0)
  expect(isAfter({ txid: 0n, id: 100n }, { txid: 0n, id: 42n })).toBe(true)
})

/** Group memberships in memory; every read of them is recorded with the uids it asked about. */
function membershipTable() {
  const members = new Set<string>()
  const reads: string[][] = []
  let gate: Promise<void> | null = null
  const placeMembers = async (events: readonly MemberLeftEvent[], uids: readonly string[]): Promise<PlaceMembers> => {
    reads.push([...uids])
    const paused = gate
    gate = null
    if (paused) await paused
    const snapshot = new Set(members)
    return { has: (event, uid) => event.groupGuid !== null && snapshot.has(`${event.groupGuid}/${uid}`) }
  }
  return {
    reads,
    placeMembers,
    join: (guid: string, uid: string) => void members.add(`${guid}/${uid}`),
    pauseNextRead(): () => void {
      let release!: () => void
      gate = new Promise((resolve) => (release = resolve))
      return release
    },
  }
}

function joined(uid: string): FeedSubscribeOptions {
  const view = memberLeftView({ kind: 'joined', uid })
  return { memberUid: uid, filter: view.decide }
}

describe.each(['pulled', 'listened'] as const)('MemberLeftFeed with joined subscribers, %s', (consumption) => {
  const setup = (options: SetupOptions = {}) => setupFeed(options, consumption)

  test('memberships are read once per page of new rows for every joined subscriber together, and each gets its places and own exits only', async () => {
    const memberships = membershipTable()
    const { table, feed, subscribe, commit } = setup({ placeMembers: memberships.placeMembers })
    const uids = Array.from({ length: 50 }, (_, i) => `u${i}`)
    uids.forEach((uid, i) => memberships.join(`g${i % 5}`, uid))
    const subs = uids.map((uid) => subscribe(joined(uid)))
    await settle()
    const readsBefore = table.reads
    const rows = Array.from({ length: 30 }, (_, i) => commit({ groupGuid: i % 6 === 5 ? 'elsewhere' : `g${i % 6}`, memberUids: [i === 11 ? 'u7' : `gone${i}`] }))
    const expected = (uid: string, i: number) => rows.filter((row) => row.groupGuid === `g${i % 5}` || row.memberUids.includes(uid)).map((row) => row.id)
    const received = await Promise.all(subs.map((sub, i) => take(sub, expected(uids[i], i).length)))
    received.forEach((ids, i) => expect(ids).toEqual(expected(uids[i], i)))
    // u7 left in an exit of a group that is not its own: its own exit, seen by it alone there.
    expect(received[7]).toContain(rows[11].id)
    expect(memberships.reads.length).toBe(table.reads - readsBefore)
    for (const read of memberships.reads) expect(new Set(read)).toEqual(new Set(uids))
    await feed.close()
  })

  test('a joined subscriber that registers while memberships are read is covered before the rows are handed out', async () => {
    const memberships = membershipTable()
    const { feed, subscribe, commit } = setup({ placeMembers: memberships.placeMembers })
    memberships.join('g', 'ann')
    memberships.join('g', 'ben')
    const ann = subscribe(joined('ann'))
    await settle()
    const release = memberships.pauseNextRead()
    const row = commit({ groupGuid: 'g', memberUids: ['cat'] })
    await settle()
    const ben = subscribe(joined('ben'))
    await settle()
    release()
    expect(await take(ann, 1)).toEqual([row.id])
    expect(await take(ben, 1)).toEqual([row.id])
    expect(memberships.reads).toEqual([['ann'], ['ben']])
    await feed.close()
  })

  test('without joined subscribers no membership is read', async () => {
    const memberships = membershipTable()
    const { feed, subscribe, commit } = setup({ placeMembers: memberships.placeMembers })
    const sub = subscribe()
    const row = commit()
    expect(await take(sub, 1)).toEqual([row.id])
    expect(memberships.reads).toEqual([])
    await feed.close()
  })
})
