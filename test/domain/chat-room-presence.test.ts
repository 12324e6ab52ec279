// DatabasePresence keeps ChatRoomMember.offlineSince in step with graphql-ws connections.
// Reaping acts on every lapsed instance in the database, so this file has a database of its
// own on PostgreSQL too: otherwise another file's presence could reap ours first, or ours theirs.
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { T, at, onManualClock } from '../support/presence-clock.js'
import type { Database } from '../../src/db/database.js'
import { createChatRoom } from '../../src/domain/chatrooms/create-chat-room.js'
import { joinChatRoom } from '../../src/domain/chatrooms/join-chat-room.js'
import type { DomainDeps } from '../../src/domain/deps.js'
import { DatabasePresence } from '../../src/presence/database-presence.js'
import { uniqueId } from '../support/database.js'
import { appAdmin, createUsers, userActor } from '../support/domain-fixtures.js'
import { openPrivateTestDatabase } from '../support/private-database.js'

let db: Database
beforeAll(async () => {
  db = await openPrivateTestDatabase()
})
afterAll(() => db?.close())

const started: DatabasePresence[] = []
afterEach(async () => {
  await Promise.all(started.splice(0).map((p) => p.stop()))
})

/** Short, so the tests of lapsed leases wait little; the setup before a lapse must fit in it. */
const LEASE_MS = 400



/** Heartbeats never tick by themselves here: the tests call heartbeat() and reapLapsedInstances(). */
function newPresence(deps: DomainDeps, leaseMs = 30_000): DatabasePresence {
  const presence = new DatabasePresence({ prisma: db.prisma, clock: deps.clock, heartbeatMs: 3_600_000, leaseMs })
  started.push(presence)
  return presence
}

async function roomWith(deps: DomainDeps, uids: string[]): Promise<string> {
  const id = uniqueId('room')
  await createChatRoom(deps, appAdmin, { id, name: `Room ${id}` })
  for (const uid of uids) await joinChatRoom(deps, userActor(uid), { id })
  return id
}

const offlineSince = async (id: string, uid: string) =>
  (await db.prisma.chatRoomMember.findUniqueOrThrow({ where: { chatRoomId_uid: { chatRoomId: id, uid } } })).offlineSince
const connections = (uid: string) => db.prisma.presenceConnection.count({ where: { uid } })
const instanceRow = (id: string) => db.prisma.presenceInstance.findUnique({ where: { id } })

/** The lease is database time (now()), so this is the one test that waits in real time. */
async function waitForLeaseToLapse(instanceId: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const [{ lapsed }] = await db.prisma.$queryRawUnsafe<{ lapsed: boolean }[]>(
      `SELECT coalesce(bool_and("leaseExpiresAt" < now()), false) AS lapsed FROM "PresenceInstance" WHERE id = $1`,
      instanceId,
    )
    if (lapsed) return
    await sleep(50)
  }
  throw new Error(`the lease of ${instanceId} did not lapse`)
}

describe('connections', () => {
  test('a user with two connections stays online until both are closed, then is offline as of the last close', async () => {
    const { deps, setTime } = onManualClock(db.prisma)
    const [uid] = await createUsers(db, 1)
    const presence = newPresence(deps)
    await presence.start()
    const closeFirst = await presence.connect(uid)
    const closeSecond = await presence.connect(uid)
    const id = await roomWith(deps, [uid])
    expect(await offlineSince(id, uid)).toBeNull()
    expect(await connections(uid)).toBe(2)
    setTime(1_000)
    await closeFirst()
    expect(await offlineSince(id, uid)).toBeNull()
    await closeFirst() // closing twice changes nothing
    expect(await connections(uid)).toBe(1)
    setTime(7_500)
    await closeSecond()
    expect(await offlineSince(id, uid)).toEqual(at(7_500))
    expect(await connections(uid)).toBe(0)
  })

  test('connecting brings every room of the user online; the close takes them all offline together', async () => {
    const { deps, setTime } = onManualClock(db.prisma)
    const [uid, other] = await createUsers(db, 2)
    const rooms = [await roomWith(deps, [uid, other]), await roomWith(deps, [uid])]
    const presence = newPresence(deps)
    await presence.start()
    setTime(2_000)
    const close = await presence.connect(uid)
    for (const id of rooms) expect(await offlineSince(id, uid)).toBeNull()
    expect(await offlineSince(rooms[0], other)).toEqual(T) // someone else's membership is untouched
    setTime(9_000)
    await close()
    for (const id of rooms) expect(await offlineSince(id, uid)).toEqual(at(9_000))
    expect(await offlineSince(rooms[0], other)).toEqual(T)
  })

  test('connections on two instances: online until the last one closes, whichever instance holds it', async () => {
    const { deps, setTime } = onManualClock(db.prisma)
    const [uid] = await createUsers(db, 1)
    const one = newPresence(deps)
    const two = newPresence(deps)
    await one.start()
    await two.start()
    const closeOne = await one.connect(uid)
    const closeTwo = await two.connect(uid)
    const id = await roomWith(deps, [uid])
    setTime(1_000)
    await closeTwo()
    expect(await offlineSince(id, uid)).toBeNull()
    setTime(2_000)
    await closeOne()
    expect(await offlineSince(id, uid)).toEqual(at(2_000))
  })

  test('stop() takes the instance’s remaining connections offline as of the stop', async () => {
    const { deps, setTime } = onManualClock(db.prisma)
    const [uid] = await createUsers(db, 1)
    const presence = newPresence(deps)
    await presence.start()
    const close = await presence.connect(uid)
    const id = await roomWith(deps, [uid])
    setTime(4_000)
    await presence.stop()
    expect(await offlineSince(id, uid)).toEqual(at(4_000))
    expect(await instanceRow(presence.instanceId)).toBeNull()
    expect(await connections(uid)).toBe(0)
    setTime(5_000)
    await close() // the socket's close after stop() changes nothing
    expect(await offlineSince(id, uid)).toEqual(at(4_000))
  })
})

describe('restarts', () => {
  test('a crashed instance’s users go offline as of its last heartbeat, once its lease lapses and another instance reaps it', async () => {
    const { deps, setTime } = onManualClock(db.prisma)
    const [uid, other] = await createUsers(db, 2)
    const id = await roomWith(deps, [uid, other]) // both offline since T
    const crashed = newPresence(deps, LEASE_MS) // never stopped before the reap: it "crashed"
    setTime(1_000)
    await crashed.start() // its last heartbeat
    setTime(2_000)
    await crashed.connect(uid)
    expect(await offlineSince(id, uid)).toBeNull()

    setTime(20_000)
    const survivor = newPresence(deps)
    await survivor.start() // too early to reap: the lease has not lapsed yet
    expect(await instanceRow(crashed.instanceId), 'reaped before the lease lapsed (was the setup slower than the lease?)').not.toBeNull()
    expect(await offlineSince(id, uid)).toBeNull()

    await waitForLeaseToLapse(crashed.instanceId)
    setTime(60_000)
    expect(await survivor.reapLapsedInstances()).toBe(1)
    expect(await offlineSince(id, uid)).toEqual(at(1_000)) // the crashed instance's last heartbeat, not the reaper's time
    expect(await offlineSince(id, other)).toEqual(T) // not its connection: untouched
    expect(await instanceRow(crashed.instanceId)).toBeNull()
    expect(await connections(uid)).toBe(0)
    expect(await survivor.reapLapsedInstances()).toBe(0)
  })

  test('a user still connected through a live instance stays online when another of its instances is reaped', async () => {
    const { deps, setTime } = onManualClock(db.prisma)
    const [uid] = await createUsers(db, 1)
    const crashed = newPresence(deps, LEASE_MS)
    const survivor = newPresence(deps)
    await crashed.start()
    await survivor.start()
    await crashed.connect(uid)
    const closeLive = await survivor.connect(uid)
    const id = await roomWith(deps, [uid])
    await waitForLeaseToLapse(crashed.instanceId)
    setTime(60_000)
    expect(await survivor.reapLapsedInstances()).toBe(1)
    expect(await offlineSince(id, uid)).toBeNull()
    expect(await connections(uid)).toBe(1)
    setTime(61_000)
    await closeLive()
    expect(await offlineSince(id, uid)).toEqual(at(61_000))
  })

  test('a lapsed instance that is still alive announces itself and its connections again at its next heartbeat', async () => {
    const { deps, setTime } = onManualClock(db.prisma)
    const [uid] = await createUsers(db, 1)
    const slow = newPresence(deps, LEASE_MS)
    const survivor = newPresence(deps)
    await survivor.start()
    await slow.start()
    const close = await slow.connect(uid)
    const id = await roomWith(deps, [uid])
    await waitForLeaseToLapse(slow.instanceId)
    setTime(30_000)
    expect(await survivor.reapLapsedInstances()).toBe(1)
    expect(await offlineSince(id, uid)).toEqual(T)

    setTime(31_000)
    await slow.heartbeat()
    expect(await offlineSince(id, uid)).toBeNull()
    expect(await instanceRow(slow.instanceId)).toMatchObject({ heardAt: at(31_000) })
    expect(await connections(uid)).toBe(1)

    setTime(32_000)
    await close() // the re-announced connection closes like any other
    expect(await offlineSince(id, uid)).toEqual(at(32_000))
    expect(await connections(uid)).toBe(0)
  })

  test('a lapsed instance that heartbeats before anyone reaps it just renews its lease', async () => {
    const { deps, setTime } = onManualClock(db.prisma)
    const [uid] = await createUsers(db, 1)
    const slow = newPresence(deps, LEASE_MS)
    const other = newPresence(deps)
    await other.start()
    await slow.start()
    await slow.connect(uid)
    const id = await roomWith(deps, [uid])
    await waitForLeaseToLapse(slow.instanceId)
    setTime(5_000)
    await slow.heartbeat()
    expect(await instanceRow(slow.instanceId)).toMatchObject({ heardAt: at(5_000) })
    expect(await other.reapLapsedInstances()).toBe(0)
    expect(await offlineSince(id, uid)).toBeNull()
    expect(await connections(uid)).toBe(1)
  })
  test('a reaped member is never offline from before it joined: the reap counts from the join', async () => {
    const { deps, setTime } = onManualClock(db.prisma)
    const [uid] = await createUsers(db, 1)
    const crashed = newPresence(deps, LEASE_MS)
    const survivor = newPresence(deps)
    await survivor.start()
    await crashed.start() // its last heartbeat: T
    await crashed.connect(uid)
    setTime(2_000)
    const id = await roomWith(deps, [uid]) // joins online at T + 2 s
    await waitForLeaseToLapse(crashed.instanceId)
    setTime(3_000)
    expect(await survivor.reapLapsedInstances()).toBe(1)
    expect(await offlineSince(id, uid)).toEqual(at(2_000))
  })

  test('a connection opened on an instance that was reaped while alive announces the instance again and counts', async () => {
    const { deps, setTime } = onManualClock(db.prisma)
    const [uid] = await createUsers(db, 1)
    const id = await roomWith(deps, [uid])
    const paused = newPresence(deps, LEASE_MS)
    const survivor = newPresence(deps)
    await survivor.start()
    await paused.start()
    await waitForLeaseToLapse(paused.instanceId)
    expect(await survivor.reapLapsedInstances()).toBe(1)
    setTime(1_000)
    const close = await paused.connect(uid)
    expect(await instanceRow(paused.instanceId)).toMatchObject({ heardAt: at(1_000) })
    expect(await offlineSince(id, uid)).toBeNull()
    expect(await connections(uid)).toBe(1)
    setTime(2_000)
    await close()
    expect(await offlineSince(id, uid)).toEqual(at(2_000))
  })
})
