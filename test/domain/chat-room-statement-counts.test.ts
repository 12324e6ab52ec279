import { afterAll, beforeAll, expect, test } from 'vitest'
import type { Database } from '../../src/db/database.js'
import { createChatRoom } from '../../src/domain/chatrooms/create-chat-room.js'
import { sendChatRoomMessage } from '../../src/domain/chatrooms/send-chat-room-message.js'
import type { DomainDeps } from '../../src/domain/deps.js'
import { DatabasePresence } from '../../src/presence/database-presence.js'
import { testDatabaseKind, uniqueId } from '../support/database.js'
import { appAdmin, createUsers, domainDeps, manualClock, userActor } from '../support/domain-fixtures.js'
import { openLoggedTestDatabase, type StatementLog } from '../support/statement-log.js'

let db: Database
let countStatements: StatementLog['countStatements']
beforeAll(async () => {
  ;({ db, countStatements } = await openLoggedTestDatabase())
})
afterAll(() => db?.close())


const T = new Date('2026-03-01T12:00:00Z')

/**
 * A room whose sender is online, plus `count` other members written directly: offline since
 * `offlineSince`, or online (null).
 */
async function seedRoom(deps: DomainDeps, count: number, offlineSince: Date | null) {
  const id = uniqueId('room')
  await createChatRoom(deps, appAdmin, { id, name: `Room ${id}` })
  const [sender, ...others] = await createUsers(db, count + 1)
  await db.prisma.chatRoomMember.createMany({
    data: [
      { chatRoomId: id, uid: sender, joinedAt: T, offlineSince: null },
      ...others.map((uid) => ({ chatRoomId: id, uid, joinedAt: T, offlineSince })),
    ],
  })
  return { id, sender, others }
}

test('sendChatRoomMessage costs the same number of SQL statements with 0 offline members, 1,000 offline ones or 1,000 online ones', async () => {
  const clock = manualClock(T)
  const deps = domainDeps(db, clock)
  // "Online" is written directly: connection rows on a real instance (its row is their foreign
  // key) and offlineSince null, as DatabasePresence.connect leaves them, without 1,000 connects.
  const presence = new DatabasePresence({ prisma: db.prisma, clock, heartbeatMs: 3_600_000 })
  await presence.start()
  try {
    const warmUp = await seedRoom(deps, 0, null)
    const empty = await seedRoom(deps, 0, null)
    const offline = await seedRoom(deps, 1000, T) // offline since T: within the grace period, under the limit
    const online = await seedRoom(deps, 1000, null)
    await db.prisma.presenceConnection.createMany({
      data: [empty.sender, offline.sender, online.sender, ...online.others].map((uid) => ({ id: uniqueId('c'), uid, instanceId: presence.instanceId, openedAt: T })),
    })
    clock.advance(10_000)
    const send = (room: { id: string; sender: string }) => sendChatRoomMessage(deps, userActor(room.sender), { id: room.id, text: 'hello' })
    await send(warmUp)

    const counts = { none: 0, offline: 0, online: 0 }
    counts.none = await countStatements(async () => expect((await send(empty)).value.kickedOut).toEqual([]))
    counts.offline = await countStatements(async () => expect((await send(offline)).value.kickedOut).toEqual([]))
    counts.online = await countStatements(async () => expect((await send(online)).value.kickedOut).toEqual([]))
    console.log(
      `[${testDatabaseKind()}] sendChatRoomMessage statements: 0 offline members → ${counts.none}, 1,000 offline members → ${counts.offline}, 1,000 online members → ${counts.online}`,
    )
    expect(counts.offline).toBe(counts.none)
    expect(counts.online).toBe(counts.none)
    expect(await db.prisma.chatRoomMember.count({ where: { chatRoomId: offline.id } })).toBe(1001)
  } finally {
    await presence.stop()
  }
}, 120_000)

test('a send that kicks out 1,000 members costs as many statements as one that kicks out one', async () => {
  const clock = manualClock(T)
  const deps = domainDeps(db, clock)
  const one = await seedRoom(deps, 1, T)
  const thousand = await seedRoom(deps, 1000, T)
  clock.advance(30_001)
  const send = (room: { id: string; sender: string }) => sendChatRoomMessage(deps, userActor(room.sender), { id: room.id, text: 'hello' })
  let kicked: { value: { kickedOut: unknown[] }; events: { memberUids: string[] }[] } | undefined
  const forOne = await countStatements(async () => expect((await send(one)).value.kickedOut).toHaveLength(1))
  const forThousand = await countStatements(async () => void (kicked = await send(thousand)))
  console.log(`[${testDatabaseKind()}] sendChatRoomMessage statements when kicking out: 1 member → ${forOne}, 1,000 members → ${forThousand}`)
  expect(forThousand).toBe(forOne)
  expect(kicked!.value.kickedOut).toHaveLength(1000)
  expect(kicked!.events).toHaveLength(1)
  expect(kicked!.events[0].memberUids).toEqual([...thousand.others].sort())
}, 120_000)
