// The sweep acts on every realtime room at once, so this file has a database of its own on
// PostgreSQL too: another file's sweeper (or the e2e app's, on the real clock) would otherwise
// kick members out from under these tests, or hold the sweep so that ours skips its turn.
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { T, at, onManualClock, startManualPresence } from '../support/presence-clock.js'
import type { Database } from '../../src/db/database.js'
import type { Actor } from '../../src/domain/actor.js'
import { banChatRoomMember, unbanChatRoomMember } from '../../src/domain/chatrooms/ban-chat-room-member.js'
import { addChatRoomWhitelist, removeChatRoomWhitelist } from '../../src/domain/chatrooms/chat-room-whitelist.js'
import { createChatRoom } from '../../src/domain/chatrooms/create-chat-room.js'
import { joinChatRoom } from '../../src/domain/chatrooms/join-chat-room.js'
import type { KickoutPolicyInput } from '../../src/domain/chatrooms/kickout-policy.js'
import { leaveChatRoom } from '../../src/domain/chatrooms/leave-chat-room.js'
import { sendChatRoomMessage } from '../../src/domain/chatrooms/send-chat-room-message.js'
import { sweepOfflineMembers } from '../../src/domain/chatrooms/sweep-offline-members.js'
import type { DomainDeps } from '../../src/domain/deps.js'
import { DatabasePresence } from '../../src/presence/database-presence.js'
import { uniqueId } from '../support/database.js'
import { appAdmin, createUsers, userActor } from '../support/domain-fixtures.js'
import { expectDomainError } from '../support/expect-domain-error.js'
import { openPrivateTestDatabase } from '../support/private-database.js'

let db: Database
beforeAll(async () => {
  db = await openPrivateTestDatabase()
})
afterAll(() => db?.close())

const presences: DatabasePresence[] = []
afterEach(async () => {
  await Promise.all(presences.splice(0).map((p) => p.stop()))
})




async function newRoom(deps: DomainDeps, policy: KickoutPolicyInput = {}): Promise<string> {
  const id = uniqueId('room')
  await createChatRoom(deps, appAdmin, { id, name: `Room ${id}`, ...policy })
  return id
}

const join = (deps: DomainDeps, uid: string, id: string) => joinChatRoom(deps, userActor(uid), { id })
const send = (deps: DomainDeps, uid: string, id: string, text = 'hello') => sendChatRoomMessage(deps, userActor(uid), { id, text })
const sweep = (deps: DomainDeps) => sweepOfflineMembers(deps)

/** Sends `count` messages, checking that none of them kicks anyone out. */
async function sendWithoutKick(deps: DomainDeps, uid: string, id: string, count: number, between: () => void = () => {}) {
  for (let i = 0; i < count; i++) {
    if (i > 0) between()
    const { value, events } = await send(deps, uid, id, `message ${i + 1}`)
    expect(value.kickedOut, `message ${i + 1} kicked someone out`).toEqual([])
    expect(events).toEqual([])
  }
}

const members = async (id: string) =>
  (await db.prisma.chatRoomMember.findMany({ where: { chatRoomId: id }, orderBy: { uid: 'asc' }, select: { uid: true } })).map((m) => m.uid)
const member = (id: string, uid: string) => db.prisma.chatRoomMember.findUnique({ where: { chatRoomId_uid: { chatRoomId: id, uid } } })
const roomEvents = (id: string) => db.prisma.memberLeftEvent.findMany({ where: { chatRoomId: id }, orderBy: { id: 'asc' } })
const kickedUids = (value: { kickedOut: { uid: string }[] }) => value.kickedOut.map((u) => u.uid)

describe('createChatRoom', () => {
  test('fills in the RongCloud defaults: 30 s, 30 messages, not realtime, 300 s', async () => {
    const { deps } = onManualClock(db.prisma)
    const id = uniqueId('room')
    const { value, events } = await createChatRoom(deps, appAdmin, { id, name: '  Lobby  ' })
    expect(value.chatRoom).toMatchObject({ id, name: 'Lobby', graceSeconds: 30, messageLimit: 30, realtime: false, realtimeWithinSeconds: 300, createdAt: T })
    expect(events).toEqual([])
    const nulls = await createChatRoom(deps, appAdmin, { id: uniqueId('room'), name: 'Nulls', graceSeconds: null, messageLimit: null, realtime: null, realtimeWithinSeconds: null })
    expect(nulls.value.chatRoom).toMatchObject({ graceSeconds: 30, messageLimit: 30, realtime: false, realtimeWithinSeconds: 300 })
  })

  test.each([
    ['graceSeconds', 1, 3600],
    ['messageLimit', 0, 10_000],
    ['realtimeWithinSeconds', 1, 300],
  ] as const)('%s accepts %i and %i, and refuses one past either end or a fraction, naming input.%s', async (field, min, max) => {
    const { deps } = onManualClock(db.prisma)
    for (const value of [min, max]) {
      const { value: created } = await createChatRoom(deps, appAdmin, { id: uniqueId('room'), name: 'Edge', [field]: value })
      expect(created.chatRoom[field]).toBe(value)
    }
    for (const value of [min - 1, max + 1, min + 0.5]) {
      const id = uniqueId('room')
      const error = await expectDomainError(() => createChatRoom(deps, appAdmin, { id, name: 'Edge', [field]: value }), 'ERR_INVALID_INPUT')
      expect(error.message).toMatch(new RegExp(`^input\\.${field}: `))
      expect(await db.prisma.chatRoom.count({ where: { id } })).toBe(0)
    }
  })

  test('only the app admin creates rooms; ids are unique and well-formed', async () => {
    const { deps } = onManualClock(db.prisma)
    const [uid] = await createUsers(db, 1)
    await expectDomainError(() => createChatRoom(deps, userActor(uid), { id: uniqueId('room'), name: 'Mine' }), 'ERR_INSUFFICIENT_SCOPE')
    const id = await newRoom(deps)
    const duplicate = await expectDomainError(createChatRoom(deps, appAdmin, { id, name: 'Again' }), 'ERR_INVALID_INPUT')
    expect(duplicate.message).toMatch(/^input\.id: /)
    expect((await db.prisma.chatRoom.findUniqueOrThrow({ where: { id } })).name).toBe(`Room ${id}`)
    const badId = await expectDomainError(() => createChatRoom(deps, appAdmin, { id: 'not ok', name: 'Bad' }), 'ERR_INVALID_INPUT')
    expect(badId.message).toMatch(/^input\.id: /)
    const badName = await expectDomainError(() => createChatRoom(deps, appAdmin, { id: uniqueId('room'), name: '   ' }), 'ERR_INVALID_INPUT')
    expect(badName.message).toMatch(/^input\.name: /)
  })
})

describe('joinChatRoom and leaveChatRoom', () => {
  test('a user without a connection joins offline as of now; a connected one joins online', async () => {
    const { deps, setTime } = onManualClock(db.prisma)
    const id = await newRoom(deps)
    const [offline, online] = await createUsers(db, 2)
    const presence = await startManualPresence(deps, presences)
    await presence.connect(online)
    setTime(5_000)
    const joined = await join(deps, offline, id)
    expect(joined.value.member).toEqual({ chatRoomId: id, uid: offline, joinedAt: at(5_000), offlineSince: at(5_000) })
    expect(joined.value.chatRoom.id).toBe(id)
    expect(joined.events).toEqual([])
    await join(deps, online, id)
    expect(await member(id, online)).toMatchObject({ joinedAt: at(5_000), offlineSince: null })
    expect(await member(id, offline)).toMatchObject({ offlineSince: at(5_000) })
  })

  test('joining twice, an unknown room, or without a user is refused', async () => {
    const { deps } = onManualClock(db.prisma)
    const id = await newRoom(deps)
    const [uid] = await createUsers(db, 1)
    await join(deps, uid, id)
    await expectDomainError(join(deps, uid, id), 'ERR_ALREADY_MEMBER')
    await expectDomainError(join(deps, uid, uniqueId('nowhere')), 'ERR_CHAT_ROOM_NOT_FOUND')
    await expectDomainError(joinChatRoom(deps, appAdmin, { id }), 'ERR_USER_NOT_FOUND')
    await expectDomainError(join(deps, 'ghost_user', id), 'ERR_USER_NOT_FOUND')
    expect(await members(id)).toEqual([uid])
  })

  test('leaving records a QUIT event operated by the leaver; a second leave is ERR_NOT_A_MEMBER', async () => {
    const { deps, setTime } = onManualClock(db.prisma)
    const id = await newRoom(deps)
    const [uid, other] = await createUsers(db, 2)
    await join(deps, uid, id)
    await join(deps, other, id)
    setTime(60_000)
    const { value, events } = await leaveChatRoom(deps, userActor(uid), { id })
    expect(value.chatRoomId).toBe(id)
    expect(value.event).toMatchObject({ exitType: 'QUIT', reason: 'LEFT_BY_OWN_CHOICE', chatRoomId: id, groupGuid: null, memberUids: [uid], operatorUid: uid, occurredAt: at(60_000) })
    expect(events).toEqual([value.event])
    expect(await members(id)).toEqual([other])
    await expectDomainError(leaveChatRoom(deps, userActor(uid), { id }), 'ERR_NOT_A_MEMBER')
    await expectDomainError(leaveChatRoom(deps, userActor(uid), { id: uniqueId('nowhere') }), 'ERR_CHAT_ROOM_NOT_FOUND')
    await expectDomainError(leaveChatRoom(deps, appAdmin, { id }), 'ERR_NOT_A_MEMBER')
    expect(await roomEvents(id)).toHaveLength(1)
    await join(deps, uid, id)
    expect(await members(id)).toEqual([uid, other].sort())
  })

  test('only members send', async () => {
    const { deps } = onManualClock(db.prisma)
    const id = await newRoom(deps)
    const [uid] = await createUsers(db, 1)
    await expectDomainError(send(deps, uid, id), 'ERR_NOT_A_MEMBER')
    await expectDomainError(sendChatRoomMessage(deps, appAdmin, { id, text: 'hi' }), 'ERR_NOT_A_MEMBER')
    await expectDomainError(send(deps, uid, uniqueId('nowhere')), 'ERR_CHAT_ROOM_NOT_FOUND')
    await join(deps, uid, id)
    await expectDomainError(() => send(deps, uid, id, '   '), 'ERR_INVALID_INPUT')
    const { value } = await send(deps, uid, id, 'first')
    expect(value.sentMessage).toMatchObject({ chatRoomId: id, senderUid: uid, text: 'first', sentAt: T })
  })
})

describe('bans', () => {
  test('a ban removes the member (BANNED, operated by the admin) and refuses its joins until bannedUntil passes', async () => {
    const { deps, setTime } = onManualClock(db.prisma)
    const id = await newRoom(deps)
    const [uid, adminUid] = await createUsers(db, 2)
    const admin: Actor = { uid: adminUid, sub: adminUid, isAppAdmin: true }
    await join(deps, uid, id)
    setTime(1_000)
    const { value, events } = await banChatRoomMember(deps, admin, { id, uid, minutes: 5 })
    expect(value.bannedUntil).toEqual(at(1_000 + 5 * 60_000))
    expect(value.event).toMatchObject({ exitType: 'BANNED', reason: 'ADMIN_REMOVED', chatRoomId: id, memberUids: [uid], operatorUid: adminUid, occurredAt: at(1_000) })
    expect(events).toEqual([value.event])
    expect(await members(id)).toEqual([])
    await expectDomainError(join(deps, uid, id), 'ERR_BANNED')
    setTime(1_000 + 5 * 60_000 - 1)
    await expectDomainError(join(deps, uid, id), 'ERR_BANNED')
    setTime(1_000 + 5 * 60_000)
    await join(deps, uid, id)
    expect(await members(id)).toEqual([uid])
  })

  test('unban lets the user back in at once; a ban of a non-member has no event but still keeps it out', async () => {
    const { deps } = onManualClock(db.prisma)
    const id = await newRoom(deps)
    const [member1, stranger] = await createUsers(db, 2)
    await join(deps, member1, id)
    const banned = await banChatRoomMember(deps, appAdmin, { id, uid: member1, minutes: 60 })
    expect(banned.value.event).toMatchObject({ exitType: 'BANNED', operatorUid: null })
    await expectDomainError(join(deps, member1, id), 'ERR_BANNED')
    expect((await unbanChatRoomMember(deps, appAdmin, { id, uid: member1 })).value).toEqual({ chatRoomId: id })
    await join(deps, member1, id)

    const { value, events } = await banChatRoomMember(deps, appAdmin, { id, uid: stranger, minutes: 1 })
    expect(value).toEqual({ chatRoomId: id, event: null, bannedUntil: at(60_000) })
    expect(events).toEqual([])
    await expectDomainError(join(deps, stranger, id), 'ERR_BANNED')
    await unbanChatRoomMember(deps, appAdmin, { id, uid: stranger })
    await unbanChatRoomMember(deps, appAdmin, { id, uid: stranger }) // lifting a ban that is not there succeeds
    await join(deps, stranger, id)
    expect(await roomEvents(id)).toHaveLength(1)
  })

  test('a new ban replaces the old one', async () => {
    const { deps, setTime } = onManualClock(db.prisma)
    const id = await newRoom(deps)
    const [uid] = await createUsers(db, 1)
    await banChatRoomMember(deps, appAdmin, { id, uid, minutes: 60 })
    await banChatRoomMember(deps, appAdmin, { id, uid, minutes: 1 })
    setTime(60_000)
    await join(deps, uid, id)
  })

  test('ban and unban: app admin only, known users and rooms, 1 to 43,200 minutes', async () => {
    const { deps } = onManualClock(db.prisma)
    const id = await newRoom(deps)
    const [uid, other] = await createUsers(db, 2)
    await join(deps, uid, id)
    await expectDomainError(() => banChatRoomMember(deps, userActor(other), { id, uid, minutes: 5 }), 'ERR_INSUFFICIENT_SCOPE')
    await expectDomainError(() => unbanChatRoomMember(deps, userActor(other), { id, uid }), 'ERR_INSUFFICIENT_SCOPE')
    for (const minutes of [0, 43_201, 1.5]) {
      const error = await expectDomainError(() => banChatRoomMember(deps, appAdmin, { id, uid, minutes }), 'ERR_INVALID_INPUT')
      expect(error.message).toMatch(/^minutes: /)
    }
    await expectDomainError(banChatRoomMember(deps, appAdmin, { id, uid: 'ghost_user', minutes: 5 }), 'ERR_USER_NOT_FOUND')
    await expectDomainError(banChatRoomMember(deps, appAdmin, { id: uniqueId('nowhere'), uid, minutes: 5 }), 'ERR_CHAT_ROOM_NOT_FOUND')
    await expectDomainError(unbanChatRoomMember(deps, appAdmin, { id: uniqueId('nowhere'), uid }), 'ERR_CHAT_ROOM_NOT_FOUND')
    expect(await members(id)).toEqual([uid])
    const { value } = await banChatRoomMember(deps, appAdmin, { id, uid, minutes: 43_200 })
    expect(value.bannedUntil).toEqual(at(43_200 * 60_000))
  })
})

describe('whitelist', () => {
  test('add lists the whole whitelist in the order added, members or not; adding twice is a no-op; remove ignores absent uids', async () => {
    const { deps, setTime } = onManualClock(db.prisma)
    const id = await newRoom(deps)
    const [a, b, c] = await createUsers(db, 3)
    await join(deps, a, id)
    const first = await addChatRoomWhitelist(deps, appAdmin, { id, uids: [b] })
    expect(first.value.whitelist.map((u) => u.uid)).toEqual([b])
    expect(first.value.chatRoom.id).toBe(id)
    expect(first.events).toEqual([])
    setTime(1_000)
    const second = await addChatRoomWhitelist(deps, appAdmin, { id, uids: [a, b] })
    expect(second.value.whitelist.map((u) => u.uid)).toEqual([b, a])
    const removed = await removeChatRoomWhitelist(deps, appAdmin, { id, uids: [b, c] })
    expect(removed.value.whitelist.map((u) => u.uid)).toEqual([a])
  })

  test('app admin only, known users, a known room, 1 to 100 distinct uids', async () => {
    const { deps } = onManualClock(db.prisma)
    const id = await newRoom(deps)
    const [a] = await createUsers(db, 1)
    await expectDomainError(() => addChatRoomWhitelist(deps, userActor(a), { id, uids: [a] }), 'ERR_INSUFFICIENT_SCOPE')
    await expectDomainError(() => removeChatRoomWhitelist(deps, userActor(a), { id, uids: [a] }), 'ERR_INSUFFICIENT_SCOPE')
    await expectDomainError(addChatRoomWhitelist(deps, appAdmin, { id, uids: [a, 'ghost_user'] }), 'ERR_USER_NOT_FOUND')
    await expectDomainError(addChatRoomWhitelist(deps, appAdmin, { id: uniqueId('nowhere'), uids: [a] }), 'ERR_CHAT_ROOM_NOT_FOUND')
    await expectDomainError(() => addChatRoomWhitelist(deps, appAdmin, { id, uids: [] }), 'ERR_INVALID_INPUT')
    await expectDomainError(() => addChatRoomWhitelist(deps, appAdmin, { id, uids: [a, a] }), 'ERR_INVALID_INPUT')
    const many = Array.from({ length: 101 }, (_, i) => `u${i}`)
    await expectDomainError(() => addChatRoomWhitelist(deps, appAdmin, { id, uids: many }), 'ERR_INVALID_INPUT')
    expect(await db.prisma.chatRoomWhitelist.count({ where: { chatRoomId: id } })).toBe(0)
  })
})

describe('offline kick-out by message', () => {
  test('the 31st message within 30 s of going offline kicks the member out, the 30th does not; a message at T counts, earlier ones do not', async () => {
    const { deps, setTime } = onManualClock(db.prisma)
    const id = await newRoom(deps)
    const [sender, offline] = await createUsers(db, 2)
    setTime(-10_000)
    await join(deps, sender, id)
    await sendWithoutKick(deps, sender, id, 5) // before T: not counted for `offline`
    setTime(0)
    await join(deps, offline, id) // offline since T
    let now = 0
    await sendWithoutKick(deps, sender, id, 30, () => setTime((now += 500))) // the 1st at T, the 30th at T+14.5 s
    expect(await members(id)).toEqual([sender, offline].sort())
    setTime(15_000)
    const { value, events } = await send(deps, sender, id, 'the 31st')
    expect(kickedUids(value)).toEqual([offline])
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({ exitType: 'OFFLINE_KICKED', reason: null, chatRoomId: id, memberUids: [offline], operatorUid: null, occurredAt: at(15_000) })
    expect(await members(id)).toEqual([sender])
    expect(await roomEvents(id)).toEqual(events)
  })

  test('a message exactly graceSeconds after T does not kick by time; one a millisecond later does', async () => {
    const { deps, setTime } = onManualClock(db.prisma)
    const id = await newRoom(deps)
    const [sender, offline] = await createUsers(db, 2)
    await join(deps, sender, id)
    await join(deps, offline, id)
    setTime(30_000)
    await sendWithoutKick(deps, sender, id, 1)
    setTime(30_001)
    const { value, events } = await send(deps, sender, id)
    expect(kickedUids(value)).toEqual([offline])
    expect(events[0]).toMatchObject({ exitType: 'OFFLINE_KICKED', memberUids: [offline], operatorUid: null })
  })

  test('the grace period is the room’s: graceSeconds 1 kicks on the first message 1.001 s later', async () => {
    const { deps, setTime } = onManualClock(db.prisma)
    const id = await newRoom(deps, { graceSeconds: 1, messageLimit: 10_000 })
    const [sender, offline] = await createUsers(db, 2)
    await join(deps, sender, id)
    await join(deps, offline, id)
    setTime(1_000)
    await sendWithoutKick(deps, sender, id, 1)
    setTime(1_001)
    expect(kickedUids((await send(deps, sender, id)).value)).toEqual([offline])
  })

  test('messageLimit 0: the first message after going offline kicks, even at T itself', async () => {
    const { deps } = onManualClock(db.prisma)
    const id = await newRoom(deps, { messageLimit: 0 })
    const [sender, offline] = await createUsers(db, 2)
    await join(deps, sender, id)
    await join(deps, offline, id)
    const { value, events } = await send(deps, sender, id)
    // The sender joined offline too, but its own message never kicks it.
    expect(kickedUids(value)).toEqual([offline])
    expect(value.kickedOut[0]).toMatchObject({ uid: offline, name: `Name of ${offline}` })
    expect(events[0].memberUids).toEqual([offline])
    expect(await members(id)).toEqual([sender])
  })

  test('the sender is never kicked out by its own message, however long it has been offline', async () => {
    const { deps, setTime } = onManualClock(db.prisma)
    const id = await newRoom(deps, { messageLimit: 0 })
    const [sender, other] = await createUsers(db, 2)
    await join(deps, sender, id)
    setTime(3_600_000)
    await sendWithoutKick(deps, sender, id, 3)
    await join(deps, other, id)
    setTime(3_600_001)
    const { value } = await send(deps, other, id)
    expect(kickedUids(value)).toEqual([sender])
  })

  test('one message kicks several members out in one event, uids sorted', async () => {
    const { deps, setTime } = onManualClock(db.prisma)
    const id = await newRoom(deps)
    const [sender, ...offline] = await createUsers(db, 4)
    await join(deps, sender, id)
    for (const uid of [...offline].reverse()) await join(deps, uid, id)
    setTime(31_000)
    const { value, events } = await send(deps, sender, id)
    expect(kickedUids(value)).toEqual([...offline].sort())
    expect(events).toHaveLength(1)
    expect(events[0].memberUids).toEqual([...offline].sort())
  })

  test('a whitelisted member stays however many messages and however late; off the whitelist, the next message kicks it', async () => {
    const { deps, setTime } = onManualClock(db.prisma)
    const id = await newRoom(deps, { messageLimit: 0 })
    const [sender, listed, unlisted] = await createUsers(db, 3)
    await addChatRoomWhitelist(deps, appAdmin, { id, uids: [listed] })
    await join(deps, sender, id)
    await join(deps, listed, id)
    await join(deps, unlisted, id)
    setTime(1_000)
    expect(kickedUids((await send(deps, sender, id)).value)).toEqual([unlisted])
    setTime(3_600_000)
    await sendWithoutKick(deps, sender, id, 3)
    expect(await members(id)).toEqual([sender, listed].sort())
    await removeChatRoomWhitelist(deps, appAdmin, { id, uids: [listed] })
    expect(kickedUids((await send(deps, sender, id)).value)).toEqual([listed])
  })

  test('two members offline at different times are each counted from their own offlineSince', async () => {
    const { deps, setTime } = onManualClock(db.prisma)
    const id = await newRoom(deps, { messageLimit: 2 })
    const [sender, early, late] = await createUsers(db, 3)
    const presence = await startManualPresence(deps, presences)
    const closeLate = await presence.connect(late)
    await join(deps, sender, id)
    await join(deps, early, id) // offline since T
    await join(deps, late, id) // online
    setTime(1_000)
    await sendWithoutKick(deps, sender, id, 1) // early: 1
    setTime(2_000)
    await closeLate() // late: offline since T+2 s
    expect(await member(id, late)).toMatchObject({ offlineSince: at(2_000) })
    setTime(3_000)
    await sendWithoutKick(deps, sender, id, 1) // early: 2, late: 1
    setTime(4_000)
    const third = await send(deps, sender, id) // early: 3 > 2, late: 2
    expect(kickedUids(third.value)).toEqual([early])
    setTime(5_000)
    const fourth = await send(deps, sender, id) // late: 3 > 2
    expect(kickedUids(fourth.value)).toEqual([late])
    expect((await roomEvents(id)).map((e) => e.memberUids)).toEqual([[early], [late]])
  })

  test('an online member is never kicked out; once its connection closes, the rules count from that moment', async () => {
    const { deps, setTime } = onManualClock(db.prisma)
    const id = await newRoom(deps, { graceSeconds: 1, messageLimit: 0 })
    const [sender, online] = await createUsers(db, 2)
    const presence = await startManualPresence(deps, presences)
    const close = await presence.connect(online)
    await join(deps, sender, id)
    await join(deps, online, id)
    for (const ms of [0, 500, 1_000, 60_000, 3_600_000]) {
      setTime(ms)
      await sendWithoutKick(deps, sender, id, 2)
    }
    expect(await member(id, online)).toMatchObject({ offlineSince: null })
    setTime(3_700_000)
    await close()
    expect(kickedUids((await send(deps, sender, id)).value)).toEqual([online])
  })

  test('a member that comes back online before the limit is reached stays, and its count starts again when it leaves', async () => {
    const { deps, setTime } = onManualClock(db.prisma)
    const id = await newRoom(deps, { messageLimit: 1 })
    const [sender, flaky] = await createUsers(db, 2)
    const presence = await startManualPresence(deps, presences)
    await join(deps, sender, id)
    await join(deps, flaky, id) // offline since T
    setTime(1_000)
    await sendWithoutKick(deps, sender, id, 1)
    const close = await presence.connect(flaky)
    setTime(2_000)
    await sendWithoutKick(deps, sender, id, 3)
    setTime(3_000)
    await close() // offline since T+3 s: the messages before do not count
    setTime(4_000)
    await sendWithoutKick(deps, sender, id, 1)
    expect(kickedUids((await send(deps, sender, id)).value)).toEqual([flaky])
  })
})

describe('realtime sweep', () => {
  test('removes a member offline for realtimeWithinSeconds + 1 ms, not one offline for exactly realtimeWithinSeconds', async () => {
    const { deps, setTime } = onManualClock(db.prisma)
    const id = await newRoom(deps, { realtime: true, realtimeWithinSeconds: 60 })
    const [uid] = await createUsers(db, 1)
    await join(deps, uid, id)
    setTime(60_000)
    const early = await sweep(deps)
    expect(early.value.swept).toBe(true)
    expect(early.events.filter((e) => e.chatRoomId === id)).toEqual([])
    expect(await members(id)).toEqual([uid])
    setTime(60_001)
    const due = await sweep(deps)
    expect(due.value.swept).toBe(true)
    const mine = due.events.filter((e) => e.chatRoomId === id)
    expect(mine).toHaveLength(1)
    expect(mine[0]).toMatchObject({ exitType: 'OFFLINE_KICKED', reason: null, memberUids: [uid], operatorUid: null, occurredAt: at(60_001) })
    expect(await members(id)).toEqual([])
    expect(await roomEvents(id)).toEqual(mine)
  })

  test('the default realtimeWithinSeconds is 300', async () => {
    const { deps, setTime } = onManualClock(db.prisma)
    const id = await newRoom(deps, { realtime: true })
    const [uid] = await createUsers(db, 1)
    await join(deps, uid, id)
    setTime(300_000)
    await sweep(deps)
    expect(await members(id)).toEqual([uid])
    setTime(300_001)
    await sweep(deps)
    expect(await members(id)).toEqual([])
  })

  test('leaves non-realtime rooms, online members and whitelisted members alone', async () => {
    const { deps, setTime } = onManualClock(db.prisma)
    const plain = await newRoom(deps, { realtimeWithinSeconds: 1 })
    const realtime = await newRoom(deps, { realtime: true, realtimeWithinSeconds: 1 })
    const [offline, online, listed] = await createUsers(db, 3)
    const presence = await startManualPresence(deps, presences)
    await presence.connect(online)
    await addChatRoomWhitelist(deps, appAdmin, { id: realtime, uids: [listed] })
    for (const id of [plain, realtime]) for (const uid of [offline, online, listed]) await join(deps, uid, id)
    setTime(24 * 3_600_000)
    const { value, events } = await sweep(deps)
    expect(value.swept).toBe(true)
    expect(events.filter((e) => e.chatRoomId === plain)).toEqual([])
    expect(events.filter((e) => e.chatRoomId === realtime).map((e) => e.memberUids)).toEqual([[offline]])
    expect(await members(plain)).toEqual([offline, online, listed].sort())
    expect(await members(realtime)).toEqual([online, listed].sort())
    expect(await roomEvents(plain)).toEqual([])
  })

  test('one event per room, listing all of that room’s members it removed, sorted', async () => {
    const { deps, setTime } = onManualClock(db.prisma)
    const roomA = await newRoom(deps, { realtime: true, realtimeWithinSeconds: 10 })
    const roomB = await newRoom(deps, { realtime: true, realtimeWithinSeconds: 20 })
    const [a1, a2, a3, b1, both] = await createUsers(db, 5)
    const presence = await startManualPresence(deps, presences)
    const closeA3 = await presence.connect(a3)
    for (const uid of [a2, a1, a3, both]) await join(deps, uid, roomA)
    for (const uid of [b1, both]) await join(deps, uid, roomB)
    setTime(5_000)
    await closeA3() // offline since T+5 s: only 10 s at the sweep
    setTime(15_000)
    const first = await sweep(deps)
    const byRoom = (events: typeof first.events, id: string) => events.filter((e) => e.chatRoomId === id).map((e) => e.memberUids)
    expect(byRoom(first.events, roomA)).toEqual([[a1, a2, both].sort()])
    expect(byRoom(first.events, roomB)).toEqual([])
    setTime(20_001)
    const second = await sweep(deps)
    expect(byRoom(second.events, roomA)).toEqual([[a3]])
    expect(byRoom(second.events, roomB)).toEqual([[b1, both].sort()])
    expect(await members(roomA)).toEqual([])
    expect(await members(roomB)).toEqual([])
    expect((await roomEvents(roomA)).map((e) => e.memberUids)).toEqual([[a1, a2, both].sort(), [a3]])
    expect((await roomEvents(roomB)).map((e) => e.memberUids)).toEqual([[b1, both].sort()])
  })

  test('a sweep with nobody due removes nobody and records nothing', async () => {
    const { deps } = onManualClock(db.prisma)
    const id = await newRoom(deps, { realtime: true, realtimeWithinSeconds: 1 })
    const [uid] = await createUsers(db, 1)
    await join(deps, uid, id)
    const { value } = await sweep(deps)
    expect(value.swept).toBe(true)
    expect(await members(id)).toEqual([uid])
    expect(await roomEvents(id)).toEqual([])
  })
})
