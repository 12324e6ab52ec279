// Runs only in the postgres project: PGlite has one connection, so two transactions cannot
// be open at once there, and these races cannot happen. The sweep acts on every realtime room,
// so this file has a database of its own: nobody else's sweeper runs in it.
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { Database } from '../../src/db/database.js'
import { createChatRoom } from '../../src/domain/chatrooms/create-chat-room.js'
import { joinChatRoom } from '../../src/domain/chatrooms/join-chat-room.js'
import type { KickoutPolicyInput } from '../../src/domain/chatrooms/kickout-policy.js'
import { kickOutLongOffline } from '../../src/domain/chatrooms/offline-kickout.js'
import { sendChatRoomMessage } from '../../src/domain/chatrooms/send-chat-room-message.js'
import { sweepOfflineMembers } from '../../src/domain/chatrooms/sweep-offline-members.js'
import type { DomainDeps } from '../../src/domain/deps.js'
import { DatabasePresence } from '../../src/presence/database-presence.js'
import { uniqueId } from '../support/database.js'
import { appAdmin, createUsers, manualClock, userActor } from '../support/domain-fixtures.js'
import { openPrivateTestDatabase } from '../support/private-database.js'

/** sweep-offline-members.ts's SWEEP_LOCK ("SWEP"). */
const SWEEP_LOCK = 0x53574550
const ROUNDS = 5

let db: Database
let deps: DomainDeps & { clock: ReturnType<typeof manualClock> }
beforeAll(async () => {
  db = await openPrivateTestDatabase()
  deps = { prisma: db.prisma, clock: manualClock(new Date('2026-03-01T12:00:00Z')) }
})
afterAll(() => db?.close())

function deferred() {
  let resolve!: () => void
  const promise = new Promise<void>((r) => (resolve = r))
  return { promise, resolve }
}

/** A room whose given members joined while offline, now (on the file's clock). */
async function roomWithOffline(policy: KickoutPolicyInput, count: number) {
  const id = uniqueId('room')
  await createChatRoom(deps, appAdmin, { id, name: `Room ${id}`, ...policy })
  const uids = await createUsers(db, count)
  for (const uid of uids) await joinChatRoom(deps, userActor(uid), { id })
  return { id, uids }
}

const members = async (id: string) => (await db.prisma.chatRoomMember.findMany({ where: { chatRoomId: id }, select: { uid: true } })).map((m) => m.uid)
const roomEvents = (id: string) => db.prisma.memberLeftEvent.findMany({ where: { chatRoomId: id } })

/** Polls until `n` backends of this database wait on a lock: the racing statement is blocked. */
async function untilBlocked(n = 1): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const [{ waiting }] = await db.prisma.$queryRawUnsafe<{ waiting: number }[]>(
      `SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    )
    if (waiting >= n) return
    await sleep(10)
  }
  throw new Error('the racing statement never blocked')
}

describe('two sweeps at once', () => {
  test('remove each due member once, in one OFFLINE_KICKED event for the room', async () => {
    let skipped = 0
    for (let round = 0; round < ROUNDS; round++) {
      const room = await roomWithOffline({ realtime: true, realtimeWithinSeconds: 10 }, 3)
      deps.clock.advance(10_001)
      const results = await Promise.all([sweepOfflineMembers(deps), sweepOfflineMembers(deps)])
      skipped += results.filter((r) => !r.value.swept).length
      expect(results.some((r) => r.value.swept)).toBe(true)
      const returned = results.flatMap((r) => r.events).filter((e) => e.chatRoomId === room.id)
      expect(returned).toHaveLength(1)
      const stored = await roomEvents(room.id)
      expect(stored).toHaveLength(1)
      expect(stored[0]).toMatchObject({ exitType: 'OFFLINE_KICKED', operatorUid: null, memberUids: [...room.uids].sort() })
      expect(await members(room.id)).toEqual([])
    }
    console.log(`[postgres] racing sweeps: ${skipped} of ${ROUNDS} rounds had one sweep skip its turn (swept: false); the others ran one after the other`)
  })

  test('a sweep that finds the sweep lock taken skips its turn and removes nobody', async () => {
    const room = await roomWithOffline({ realtime: true, realtimeWithinSeconds: 10 }, 2)
    deps.clock.advance(10_001)
    const locked = deferred()
    const release = deferred()
    const holder = db.prisma.$transaction(
      async (tx) => {
        await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(${SWEEP_LOCK})`)
        locked.resolve()
        await release.promise
      },
      { timeout: 30_000 },
    )
    await locked.promise
    try {
      const skipped = await sweepOfflineMembers(deps)
      expect(skipped).toEqual({ value: { swept: false }, events: [] })
      expect((await members(room.id)).sort()).toEqual([...room.uids].sort())
    } finally {
      release.resolve()
      await holder
    }
    const swept = await sweepOfflineMembers(deps)
    expect(swept.value.swept).toBe(true)
    expect(swept.events.filter((e) => e.chatRoomId === room.id).map((e) => e.memberUids)).toEqual([[...room.uids].sort()])
  })

  test('even without the sweep lock, two racing DELETEs remove each member once: the second finds the rows gone', async () => {
    const room = await roomWithOffline({ realtime: true, realtimeWithinSeconds: 10 }, 3)
    deps.clock.advance(10_001)
    const now = deps.clock.now()
    const firstDeleted = deferred()
    const commitFirst = deferred()
    const first = db.prisma.$transaction(
      async (tx) => {
        const exits = await kickOutLongOffline(tx, now)
        firstDeleted.resolve()
        await commitFirst.promise
        return exits
      },
      { timeout: 30_000 },
    )
    await firstDeleted.promise
    const second = db.prisma.$transaction((tx) => kickOutLongOffline(tx, now), { timeout: 30_000 })
    await untilBlocked() // on the rows the first one deleted
    commitFirst.resolve()
    const [firstExits, secondExits] = await Promise.all([first, second])
    expect(firstExits.filter((e) => e.chatRoomId === room.id).map((e) => e.memberUids)).toEqual([[...room.uids].sort()])
    expect(secondExits.filter((e) => e.chatRoomId === room.id)).toEqual([])
    expect(await members(room.id)).toEqual([])
  })
})

describe('sends racing', () => {
  /** A room of two online senders (connected before joining) and one member offline since now. */
  async function roomWithSendersAndOneOffline(policy: KickoutPolicyInput) {
    const id = uniqueId('room')
    await createChatRoom(deps, appAdmin, { id, name: `Room ${id}`, ...policy })
    const [senderA, senderB, offline] = await createUsers(db, 3)
    for (const uid of [senderA, senderB]) await presence.connect(uid)
    for (const uid of [senderA, senderB, offline]) await joinChatRoom(deps, userActor(uid), { id })
    return { id, senderA, senderB, offline }
  }
  const send = (uid: string, id: string, text: string) => sendChatRoomMessage(deps, userActor(uid), { id, text })

  let presence: DatabasePresence
  beforeAll(async () => {
    presence = new DatabasePresence({ prisma: db.prisma, clock: deps.clock, heartbeatMs: 3_600_000, leaseMs: 3_600_000 })
    await presence.start()
  })
  afterAll(() => presence?.stop())

  test('two sends that both qualify to kick the same offline member remove it once, in one event', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const room = await roomWithSendersAndOneOffline({})
      deps.clock.advance(30_001) // offline for longer than graceSeconds: any message kicks it
      const [a, b] = await Promise.all([send(room.senderA, room.id, 'from A'), send(room.senderB, room.id, 'from B')])
      const kicked = [a, b].map((r) => r.value.kickedOut.map((u) => u.uid))
      expect(kicked.sort((x, y) => y.length - x.length)).toEqual([[room.offline], []])
      expect([...a.events, ...b.events]).toHaveLength(1)
      const stored = await roomEvents(room.id)
      expect(stored).toHaveLength(1)
      expect(stored[0]).toMatchObject({ exitType: 'OFFLINE_KICKED', operatorUid: null, memberUids: [room.offline] })
      expect((await members(room.id)).sort()).toEqual([room.senderA, room.senderB].sort())
      expect(await db.prisma.chatRoomMessage.count({ where: { chatRoomId: room.id } })).toBe(2)
    }
  })

  test('sends racing on the message limit: the (messageLimit + 1)-th message kicks, exactly once', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const room = await roomWithSendersAndOneOffline({ messageLimit: 3 })
      deps.clock.advance(1_000)
      const sends = Array.from({ length: 6 }, (_, i) => send(i % 2 ? room.senderB : room.senderA, room.id, `message ${i + 1}`))
      const results = await Promise.all(sends)
      const kicking = results.filter((r) => r.value.kickedOut.length > 0)
      expect(kicking).toHaveLength(1)
      expect(kicking[0].value.kickedOut.map((u) => u.uid)).toEqual([room.offline])
      // The lock orders the sends: the kick is the 4th message written, whichever send it was.
      const ordered = await db.prisma.chatRoomMessage.findMany({ where: { chatRoomId: room.id }, orderBy: { id: 'asc' } })
      expect(ordered.findIndex((m) => m.id === kicking[0].value.sentMessage.id)).toBe(3)
      expect(await roomEvents(room.id)).toHaveLength(1)
    }
  })

  test('a send and a sweep that both qualify to kick the same member remove it once, in one event', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const room = await roomWithSendersAndOneOffline({ realtime: true, realtimeWithinSeconds: 10, graceSeconds: 5 })
      deps.clock.advance(10_001)
      const [sent, swept] = await Promise.all([send(room.senderA, room.id, 'hello'), sweepOfflineMembers(deps)])
      const byRoom = swept.events.filter((e) => e.chatRoomId === room.id)
      expect(sent.events.length + byRoom.length).toBe(1)
      expect(sent.value.kickedOut.length + byRoom.length).toBe(1)
      const stored = await roomEvents(room.id)
      expect(stored).toHaveLength(1)
      expect(stored[0].memberUids).toEqual([room.offline])
    }
  })
})
