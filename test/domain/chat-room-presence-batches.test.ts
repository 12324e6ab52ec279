// DatabasePresence writes the opens and closes that arrive together in one transaction.
// start() reaps every lapsed instance in the database, so this file has a database of its own
// on PostgreSQL too (see chat-room-presence.test.ts).
import { setImmediate as nextTurn } from 'node:timers/promises'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { T, at, onManualClock, startManualPresence } from '../support/presence-clock.js'
import type { Database } from '../../src/db/database.js'
import { createChatRoom } from '../../src/domain/chatrooms/create-chat-room.js'
import { joinChatRoom } from '../../src/domain/chatrooms/join-chat-room.js'
import { lockPresence } from '../../src/domain/chatrooms/presence-state.js'
import { DatabasePresence, MAX_PRESENCE_BATCH } from '../../src/presence/database-presence.js'
import { testDatabaseKind, uniqueId } from '../support/database.js'
import { appAdmin, createUsers, manualClock, userActor } from '../support/domain-fixtures.js'
import { openLoggedTestDatabase, type StatementLog } from '../support/statement-log.js'

let db: Database
let statementsOf: StatementLog['statementsOf']
beforeAll(async () => {
  ;({ db, statementsOf } = await openLoggedTestDatabase({ private: true }))
})
afterAll(() => db?.close())

const started: DatabasePresence[] = []
afterEach(async () => {
  await Promise.all(started.splice(0).map((p) => p.stop()))
})




/** A room whose members are written directly (any number, fast), offline since T. */
async function roomOf(uids: string[]): Promise<string> {
  const id = uniqueId('room')
  await createChatRoom({ prisma: db.prisma, clock: manualClock(T) }, appAdmin, { id, name: `Room ${id}` })
  await db.prisma.chatRoomMember.createMany({ data: uids.map((uid) => ({ chatRoomId: id, uid, joinedAt: T, offlineSince: T })) })
  return id
}

const offlineSince = async (id: string, uid: string) =>
  (await db.prisma.chatRoomMember.findUniqueOrThrow({ where: { chatRoomId_uid: { chatRoomId: id, uid } } })).offlineSince
const connections = (uid: string) => db.prisma.presenceConnection.count({ where: { uid } })
/** Prisma logs each interactive transaction's COMMIT (not its BEGIN). */
const transactions = (sql: string[]) => sql.filter((s) => /\bCOMMIT\b/.test(s)).length

describe('batches', () => {
  test('1,000 connects at once are one transaction with as many statements as 10 connects; so are their closes', async () => {
    const { deps, setTime } = onManualClock(db.prisma)
    const presence = await startManualPresence(deps, started)
    const ten = await createUsers(db, 10)
    const thousand = await createUsers(db, 1000)
    const room = await roomOf([...ten, ...thousand])
    const connectAll = (uids: string[]) => Promise.all(uids.map((uid) => presence.connect(uid)))
    const closeAll = (closes: (() => Promise<void>)[]) => Promise.all(closes.map((close) => close()))

    setTime(1_000)
    const connectTen = await statementsOf(() => connectAll(ten))
    const connectThousand = await statementsOf(() => connectAll(thousand))
    expect(await db.prisma.chatRoomMember.count({ where: { chatRoomId: room, offlineSince: null } })).toBe(1010)
    expect(await db.prisma.presenceConnection.count({ where: { instanceId: presence.instanceId } })).toBe(1010)
    setTime(2_000)
    const closeTen = await statementsOf(() => closeAll(connectTen.value))
    const closeThousand = await statementsOf(() => closeAll(connectThousand.value))
    expect(await db.prisma.chatRoomMember.count({ where: { chatRoomId: room, offlineSince: at(2_000) } })).toBe(1010)
    expect(await db.prisma.presenceConnection.count({ where: { instanceId: presence.instanceId } })).toBe(0)

    console.log(
      `[${testDatabaseKind()}] presence batch statements (COMMIT included): 10 connects → ${connectTen.sql.length}, 1,000 connects → ${connectThousand.sql.length}; ` +
        `10 closes → ${closeTen.sql.length}, 1,000 closes → ${closeThousand.sql.length}`,
    )
    for (const batch of [connectTen, connectThousand, closeTen, closeThousand]) expect(transactions(batch.sql)).toBe(1)
    expect(connectThousand.sql.length).toBe(connectTen.sql.length)
    expect(closeThousand.sql.length).toBe(closeTen.sql.length)
  }, 60_000)

  test('connects that arrive while a batch is being written wait for it and go into the next one together', async () => {
    const { deps } = onManualClock(db.prisma)
    const presence = await startManualPresence(deps, started)
    const uids = Array.from({ length: 1000 }, () => uniqueId('u'))
    // Another transaction holds the first user's presence lock, which keeps the first batch in flight.
    let release!: () => void
    const released = new Promise<void>((resolve) => (release = resolve))
    let holding!: () => void
    const held = new Promise<void>((resolve) => (holding = resolve))
    const holder = db.prisma.$transaction(
      async (tx) => {
        await lockPresence(tx, [uids[0]])
        holding()
        await released
      },
      { timeout: 30_000 },
    )
    await held
    const { sql } = await statementsOf(async () => {
      const connected: Promise<unknown>[] = []
      for (let turn = 0; turn < 20; turn++) {
        connected.push(...uids.slice(turn * 50, (turn + 1) * 50).map((uid) => presence.connect(uid)))
        await nextTurn()
      }
      release()
      await holder
      await Promise.all(connected)
    })
    console.log(`[${testDatabaseKind()}] 1,000 connects over 20 turns of the event loop, the first batch held up → ${transactions(sql) - 1} transactions`)
    expect(transactions(sql)).toBe(1 + 2) // the holder's, then the first 50 and the 950 that arrived meanwhile
    expect(await db.prisma.presenceConnection.count({ where: { instanceId: presence.instanceId } })).toBe(1000)
  }, 60_000)

  test(`a batch holds at most ${MAX_PRESENCE_BATCH} changes; the rest go into the next`, async () => {
    const { deps } = onManualClock(db.prisma)
    const presence = await startManualPresence(deps, started)
    const uids = Array.from({ length: MAX_PRESENCE_BATCH + 1 }, () => uniqueId('u'))
    const { sql } = await statementsOf(() => Promise.all(uids.map((uid) => presence.connect(uid))))
    expect(transactions(sql)).toBe(2)
    expect(await db.prisma.presenceConnection.count({ where: { instanceId: presence.instanceId } })).toBe(uids.length)
  }, 60_000)

  test('a batch that fails rejects every caller in it and writes none of it; the next batch is written', async () => {
    const { deps, setTime } = onManualClock(db.prisma)
    const presence = await startManualPresence(deps, started)
    const [arriving, leaving] = await createUsers(db, 2)
    const room = await roomOf([arriving, leaving])
    const closeLeaving = await presence.connect(leaving)
    setTime(1_000)
    // PostgreSQL refuses a NUL character in text, which fails the batch's statements.
    const results = await Promise.allSettled([presence.connect(arriving), presence.connect('bad\u0000uid'), closeLeaving()])
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected'])
    const [first, ...others] = results.map((r) => (r as PromiseRejectedResult).reason)
    for (const reason of others) expect(reason).toBe(first)
    expect(await connections(arriving)).toBe(0)
    expect(await offlineSince(room, arriving)).toEqual(T)
    expect(await connections(leaving)).toBe(1) // its close was rolled back with the rest
    expect(await offlineSince(room, leaving)).toBeNull()

    setTime(2_000)
    await presence.connect(arriving)
    expect(await offlineSince(room, arriving)).toBeNull()
  })

  test('stop() writes the opens and closes still waiting for a batch, each at its own moment, then takes the rest offline', async () => {
    const { deps, setTime } = onManualClock(db.prisma)
    const presence = await startManualPresence(deps, started)
    const [leaving, staying, arriving] = await createUsers(db, 3)
    const room = await roomOf([leaving, staying, arriving])
    const closeLeaving = await presence.connect(leaving)
    await presence.connect(staying)
    setTime(1_000)
    const closed = closeLeaving()
    setTime(1_500)
    const connected = presence.connect(arriving)
    setTime(2_000)
    await presence.stop()
    await closed
    await connected
    expect(await offlineSince(room, leaving)).toEqual(at(1_000))
    expect(await offlineSince(room, staying)).toEqual(at(2_000))
    expect(await offlineSince(room, arriving)).toEqual(at(2_000))
    for (const uid of [leaving, staying, arriving]) expect(await connections(uid)).toBe(0)
  })
})

describe('one batch, the same as one call at a time', () => {
  /**
   * Opens and closes of the same and of different users in one window of time, at the given
   * moments; `batched` issues them all at once (one batch), otherwise each waits for the last.
   * Returns each user's offlineSince and connection count, and the window's statements.
   */
  async function mixedWindow(batched: boolean) {
    const { deps, setTime } = onManualClock(db.prisma)
    const presence = await startManualPresence(deps, started)
    const elsewhere = await startManualPresence(deps, started)
    const uids = await createUsers(db, 7)
    const [reconnects, overlaps, closesBoth, comesOnline, leaves, alsoElsewhere, closesTwice] = uids
    const id = uniqueId('room')
    await createChatRoom(deps, appAdmin, { id, name: `Room ${id}` })
    for (const uid of uids) await joinChatRoom(deps, userActor(uid), { id }) // offline since T
    const close = {
      reconnects: await presence.connect(reconnects),
      overlaps: await presence.connect(overlaps),
      closesBoth: [await presence.connect(closesBoth), await presence.connect(closesBoth)],
      leaves: await presence.connect(leaves),
      alsoElsewhere: await presence.connect(alsoElsewhere),
      closesTwice: await presence.connect(closesTwice),
    }
    await elsewhere.connect(alsoElsewhere)

    const steps: [number, () => Promise<unknown>][] = [
      [1_000, () => close.reconnects()],
      [1_000, () => close.closesTwice()],
      [1_000, () => close.closesBoth[0]()],
      [1_000, () => close.alsoElsewhere()],
      [1_000, () => presence.connect(overlaps)],
      [1_500, () => presence.connect(comesOnline)],
      [2_000, () => presence.connect(reconnects)],
      [2_000, () => close.overlaps()],
      [2_000, () => close.closesTwice()],
      [2_500, () => close.leaves()],
      [3_000, () => close.closesBoth[1]()],
    ]
    const { sql } = await statementsOf(async () => {
      const pending: Promise<unknown>[] = []
      for (const [ms, step] of steps) {
        setTime(ms)
        if (batched) pending.push(step())
        else await step()
      }
      await Promise.all(pending)
    })
    const state = async (uid: string) => ({ offlineSince: await offlineSince(id, uid), connections: await connections(uid) })
    return {
      sql,
      users: {
        reconnects: await state(reconnects),
        overlaps: await state(overlaps),
        closesBoth: await state(closesBoth),
        comesOnline: await state(comesOnline),
        leaves: await state(leaves),
        alsoElsewhere: await state(alsoElsewhere),
        closesTwice: await state(closesTwice),
      },
    }
  }

  test('opens and closes of the same and of different users in one batch leave each user online or offline as of the same moment as one call at a time', async () => {
    const sequential = await mixedWindow(false)
    const batched = await mixedWindow(true)
    expect(sequential.users).toEqual({
      reconnects: { offlineSince: null, connections: 1 }, // closed one connection, opened another
      overlaps: { offlineSince: null, connections: 1 }, // opened one, then closed the other
      closesBoth: { offlineSince: at(3_000), connections: 0 }, // offline at its last close
      comesOnline: { offlineSince: null, connections: 1 },
      leaves: { offlineSince: at(2_500), connections: 0 },
      alsoElsewhere: { offlineSince: null, connections: 1 }, // still connected through another instance
      closesTwice: { offlineSince: at(1_000), connections: 0 }, // the second close changes nothing
    })
    expect(batched.users).toEqual(sequential.users)
    expect(transactions(batched.sql)).toBe(1)
  })
})
