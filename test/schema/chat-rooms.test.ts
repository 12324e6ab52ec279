// The chat-room API at the schema level: authorization, validation and domain errors as the
// client sees them, payload shapes, and the statement count of the members connection.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { AppDeps } from '../../src/context.js'
import type { Database } from '../../src/db/database.js'
import {
  SchemaAddChatRoomWhitelistDocument,
  SchemaBanChatRoomMemberDocument,
  SchemaChatRoomDocument,
  SchemaChatRoomMemberNamesDocument,
  SchemaChatRoomMembersPageDocument,
  SchemaCreateChatRoomDocument,
  SchemaJoinChatRoomDocument,
  SchemaLeaveChatRoomDocument,
  SchemaRemoveChatRoomWhitelistDocument,
  SchemaSendChatRoomMessageDocument,
  SchemaUnbanChatRoomMemberDocument,
  type CreateChatRoomInput,
} from '../generated/graphql.js'
import {
  adminViewer,
  executeAs,
  expectData,
  expectError,
  expectGraphQLError,
  expectPayload,
  recordingFeed,
  testDeps,
  userViewer,
  type RecordingFeed,
} from '../support/client.js'
import { uniqueId } from '../support/database.js'
import { createUsers, manualClock } from '../support/domain-fixtures.js'
import { openLoggedTestDatabase, type StatementLog } from '../support/statement-log.js'

let db: Database
let deps: AppDeps
let feed: RecordingFeed
let statementsOf: StatementLog['statementsOf']

beforeAll(async () => {
  ;({ db, statementsOf } = await openLoggedTestDatabase())
  feed = recordingFeed()
  deps = testDeps(db, { memberLeft: feed as unknown as AppDeps['memberLeft'] })
})
afterAll(() => db?.close())


/** Schema deps on a clock the test moves by hand, publishing to the file's feed. */
function onManualClock(start = new Date('2026-03-01T12:00:00Z')) {
  const clock = manualClock(start)
  return { clock, deps: testDeps(db, { clock, memberLeft: feed as unknown as AppDeps['memberLeft'] }) }
}

/** A room made through createChatRoom by the app admin. */
async function createRoom(on: AppDeps = deps, input: Partial<CreateChatRoomInput> = {}): Promise<string> {
  const id = uniqueId('room')
  const result = await executeAs(on, adminViewer(), SchemaCreateChatRoomDocument, { input: { id, name: `Room ${id}`, ...input } })
  expectPayload(result, 'createChatRoom', 'CreateChatRoomPayload')
  return id
}

/**
 * A room (default policy) with members written directly, joined in the order given one second
 * apart; `offlineSince: null` is an online member.
 */
async function seedRoom(members: { uid: string; offlineSince: Date | null }[]): Promise<string> {
  const id = uniqueId('room')
  await db.prisma.chatRoom.create({ data: { id, name: `Room ${id}` } })
  const base = Date.now() - 1_000_000
  await db.prisma.chatRoomMember.createMany({
    data: members.map((m, i) => ({ chatRoomId: id, uid: m.uid, joinedAt: new Date(base + i * 1000), offlineSince: m.offlineSince })),
  })
  return id
}

const join = (on: AppDeps, uid: string, id: string) => executeAs(on, userViewer(uid), SchemaJoinChatRoomDocument, { id })
const memberUids = async (id: string) =>
  (await db.prisma.chatRoomMember.findMany({ where: { chatRoomId: id }, orderBy: [{ joinedAt: 'asc' }, { uid: 'asc' }] })).map((m) => m.uid)

describe('createChatRoom', () => {
  test('a plain user is refused with a top-level FORBIDDEN error and no room is created', async () => {
    const [uid] = await createUsers(db, 1)
    const id = uniqueId('room')
    const result = await executeAs(deps, userViewer(uid), SchemaCreateChatRoomDocument, { input: { id, name: 'Mine' } })
    expectGraphQLError(result, 'FORBIDDEN')
    expect(result.data?.createChatRoom ?? null).toBeNull()
    expect(await db.prisma.chatRoom.count({ where: { id } })).toBe(0)
  })

  test('the offline kick-out policy defaults to 30 s grace, 30 messages, no realtime and 300 s', async () => {
    const id = uniqueId('room')
    const result = await executeAs(deps, adminViewer(), SchemaCreateChatRoomDocument, { input: { id, name: '  Lobby ' } })
    const { chatRoom } = expectPayload(result, 'createChatRoom', 'CreateChatRoomPayload')
    expect(chatRoom).toEqual({
      id,
      name: 'Lobby',
      membersCount: 0,
      offlineKickout: { graceSeconds: 30, messageLimit: 30, realtime: false, realtimeWithinSeconds: 300 },
    })
    const read = expectData(await executeAs(deps, adminViewer(), SchemaChatRoomDocument, { id })).chatRoom
    expect(read?.offlineKickout).toEqual({ graceSeconds: 30, messageLimit: 30, realtime: false, realtimeWithinSeconds: 300 })
  })

  test('policy values at the ends of their ranges are kept', async () => {
    for (const policy of [
      { graceSeconds: 1, messageLimit: 0, realtime: true, realtimeWithinSeconds: 1 },
      { graceSeconds: 3600, messageLimit: 10_000, realtime: false, realtimeWithinSeconds: 300 },
    ]) {
      const id = uniqueId('room')
      const result = await executeAs(deps, adminViewer(), SchemaCreateChatRoomDocument, { input: { id, name: 'Edges', ...policy } })
      expect(expectPayload(result, 'createChatRoom', 'CreateChatRoomPayload').chatRoom.offlineKickout).toEqual(policy)
    }
  })

  test('each out-of-range policy value is ERR_INVALID_INPUT naming its field, and creates nothing', async () => {
    const cases: [keyof CreateChatRoomInput, number][] = [
      ['graceSeconds', 0],
      ['graceSeconds', 3601],
      ['messageLimit', -1],
      ['messageLimit', 10_001],
      ['realtimeWithinSeconds', 0],
      ['realtimeWithinSeconds', 301],
    ]
    for (const [field, value] of cases) {
      const id = uniqueId('room')
      const result = await executeAs(deps, adminViewer(), SchemaCreateChatRoomDocument, { input: { id, name: 'Out of range', [field]: value } })
      const error = expectError(result, 'createChatRoom', 'ERR_INVALID_INPUT')
      expect(error.__typename).toBe('DomainError')
      expect(error.message, `${field} = ${value}`).toMatch(new RegExp(`^input\\.${field}: `))
      expect(await db.prisma.chatRoom.count({ where: { id } })).toBe(0)
    }
  })

  test('a taken id is ERR_INVALID_INPUT on input.id and leaves the first room as it was', async () => {
    const id = await createRoom(deps, { graceSeconds: 45 })
    const result = await executeAs(deps, adminViewer(), SchemaCreateChatRoomDocument, { input: { id, name: 'Second', graceSeconds: 10 } })
    expect(expectError(result, 'createChatRoom', 'ERR_INVALID_INPUT').message).toMatch(/^input\.id: /)
    expect(await db.prisma.chatRoom.findUnique({ where: { id } })).toMatchObject({ name: `Room ${id}`, graceSeconds: 45 })
  })
})

describe('the chatRoom query', () => {
  test('an unknown id answers null', async () => {
    const [uid] = await createUsers(db, 1)
    const data = expectData(await executeAs(deps, userViewer(uid), SchemaChatRoomDocument, { id: uniqueId('nope') }))
    expect(data.chatRoom).toBeNull()
  })

  test('a malformed id is a top-level ERR_INVALID_INPUT error naming id', async () => {
    const [uid] = await createUsers(db, 1)
    expectGraphQLError(await executeAs(deps, userViewer(uid), SchemaChatRoomDocument, { id: 'not an id!' }), 'ERR_INVALID_INPUT', 'id: ')
  })

  test('members page in join order with presence and whitelist, and membersCount counts them all', async () => {
    const start = new Date('2026-03-01T12:00:00Z')
    const at = (s: number) => new Date(start.getTime() + s * 1000).toISOString()
    const { clock, deps: timed } = onManualClock(start)
    const uids = await createUsers(db, 4, 'cm')
    const id = await createRoom(timed)
    for (const uid of uids) {
      const member = expectPayload(await join(timed, uid, id), 'joinChatRoom', 'JoinChatRoomPayload').member
      // No graphql-ws connection: offline from the moment it joined.
      expect(member).toMatchObject({ user: { uid }, online: false, offlineSince: clock.now().toISOString(), whitelisted: false })
      clock.advance(1000)
    }
    // uids[1] comes online, uids[3] went offline at a known time, uids[2] is whitelisted.
    await db.prisma.chatRoomMember.update({ where: { chatRoomId_uid: { chatRoomId: id, uid: uids[1] } }, data: { offlineSince: null } })
    await db.prisma.chatRoomMember.update({ where: { chatRoomId_uid: { chatRoomId: id, uid: uids[3] } }, data: { offlineSince: new Date(at(10)) } })
    expectPayload(
      await executeAs(timed, adminViewer(), SchemaAddChatRoomWhitelistDocument, { id, uids: [uids[2]] }),
      'addChatRoomWhitelist',
      'ChatRoomWhitelistPayload',
    )

    const expected = [
      { user: { uid: uids[0], name: `Name of ${uids[0]}` }, joinedAt: at(0), online: false, offlineSince: at(0), whitelisted: false },
      { user: { uid: uids[1], name: `Name of ${uids[1]}` }, joinedAt: at(1), online: true, offlineSince: null, whitelisted: false },
      { user: { uid: uids[2], name: `Name of ${uids[2]}` }, joinedAt: at(2), online: false, offlineSince: at(2), whitelisted: true },
      { user: { uid: uids[3], name: `Name of ${uids[3]}` }, joinedAt: at(3), online: false, offlineSince: at(10), whitelisted: false },
    ]
    const reader = userViewer(uids[0])
    const first = expectData(await executeAs(timed, reader, SchemaChatRoomMembersPageDocument, { id, first: 2 })).chatRoom!
    expect(first.membersCount).toBe(4)
    expect(first.members.edges.map((edge) => edge!.node)).toEqual(expected.slice(0, 2))
    expect(first.members.pageInfo).toMatchObject({ hasNextPage: true })

    const after = first.members.pageInfo.endCursor
    const second = expectData(await executeAs(timed, reader, SchemaChatRoomMembersPageDocument, { id, first: 2, after })).chatRoom!
    expect(second.members.edges.map((edge) => edge!.node)).toEqual(expected.slice(2))
    expect(second.members.pageInfo).toMatchObject({ hasNextPage: false })

    const before = second.members.edges[1]!.cursor
    const back = expectData(await executeAs(timed, reader, SchemaChatRoomMembersPageDocument, { id, last: 2, before })).chatRoom!
    expect(back.members.edges.map((edge) => edge!.node.user.uid)).toEqual([uids[1], uids[2]])
  })

  test('a page size out of range or a foreign cursor is a top-level ERR_INVALID_INPUT naming the argument', async () => {
    const [uid] = await createUsers(db, 1)
    const id = await seedRoom([{ uid, offlineSince: null }])
    const viewer = userViewer(uid)
    for (const size of [0, -1, 101]) {
      expectGraphQLError(await executeAs(deps, viewer, SchemaChatRoomMembersPageDocument, { id, first: size }), 'ERR_INVALID_INPUT', 'members.first')
    }
    expectGraphQLError(await executeAs(deps, viewer, SchemaChatRoomMembersPageDocument, { id, last: 0 }), 'ERR_INVALID_INPUT', 'members.last')
    expectGraphQLError(
      await executeAs(deps, viewer, SchemaChatRoomMembersPageDocument, { id, first: 1, after: 'bm90IGEgY3Vyc29y' }),
      'ERR_INVALID_INPUT',
      'members.after',
    )
  })
})

describe('the chat room whitelist', () => {
  test('addChatRoomWhitelist answers the whole whitelist in the order added; adding again is a no-op', async () => {
    const { clock, deps: timed } = onManualClock()
    const id = await createRoom(timed)
    const [a, b, c] = (await createUsers(db, 3, 'wl')).sort()
    const add = (uids: string[]) => executeAs(timed, adminViewer(), SchemaAddChatRoomWhitelistDocument, { id, uids })

    // Added together: the same instant, then by uid.
    const together = expectPayload(await add([b, a]), 'addChatRoomWhitelist', 'ChatRoomWhitelistPayload')
    expect(together.__typename).toBe('ChatRoomWhitelistPayload')
    expect(together.chatRoom.id).toBe(id)
    expect(together.whitelist.map((u) => u.uid)).toEqual([a, b])
    clock.advance(1000)
    expect(expectPayload(await add([c]), 'addChatRoomWhitelist', 'ChatRoomWhitelistPayload').whitelist.map((u) => u.uid)).toEqual([a, b, c])
    clock.advance(1000)
    expect(expectPayload(await add([a]), 'addChatRoomWhitelist', 'ChatRoomWhitelistPayload').whitelist.map((u) => u.uid)).toEqual([a, b, c])
  })

  test('removeChatRoomWhitelist answers what remains; uids not on the list are ignored', async () => {
    const id = await createRoom()
    const [a, b, c] = (await createUsers(db, 3, 'wl')).sort()
    expectPayload(await executeAs(deps, adminViewer(), SchemaAddChatRoomWhitelistDocument, { id, uids: [a, b] }), 'addChatRoomWhitelist', 'ChatRoomWhitelistPayload')
    const result = await executeAs(deps, adminViewer(), SchemaRemoveChatRoomWhitelistDocument, { id, uids: [a, c, uniqueId('ghost')] })
    const payload = expectPayload(result, 'removeChatRoomWhitelist', 'ChatRoomWhitelistPayload')
    expect(payload).toEqual({ __typename: 'ChatRoomWhitelistPayload', chatRoom: { id }, whitelist: [{ uid: b }] })
  })

  test('an unknown user is ERR_USER_NOT_FOUND as a DomainError, and nobody is added', async () => {
    const id = await createRoom()
    const [known] = await createUsers(db, 1, 'wl')
    const ghost = uniqueId('ghost')
    const error = expectError(await executeAs(deps, adminViewer(), SchemaAddChatRoomWhitelistDocument, { id, uids: [known, ghost] }), 'addChatRoomWhitelist', 'ERR_USER_NOT_FOUND')
    expect(error.__typename).toBe('DomainError')
    expect(error.message).toContain(ghost)
    expect(await db.prisma.chatRoomWhitelist.count({ where: { chatRoomId: id } })).toBe(0)
  })

  test('an unknown room is ERR_CHAT_ROOM_NOT_FOUND for adding and removing', async () => {
    const [uid] = await createUsers(db, 1, 'wl')
    const id = uniqueId('nope')
    const add = await executeAs(deps, adminViewer(), SchemaAddChatRoomWhitelistDocument, { id, uids: [uid] })
    expect(expectError(add, 'addChatRoomWhitelist', 'ERR_CHAT_ROOM_NOT_FOUND').__typename).toBe('DomainError')
    const remove = await executeAs(deps, adminViewer(), SchemaRemoveChatRoomWhitelistDocument, { id, uids: [uid] })
    expect(expectError(remove, 'removeChatRoomWhitelist', 'ERR_CHAT_ROOM_NOT_FOUND').__typename).toBe('DomainError')
  })

  test('a plain user is refused with a top-level FORBIDDEN error', async () => {
    const id = await createRoom()
    const [uid] = await createUsers(db, 1, 'wl')
    const viewer = userViewer(uid)
    expectGraphQLError(await executeAs(deps, viewer, SchemaAddChatRoomWhitelistDocument, { id, uids: [uid] }), 'FORBIDDEN')
    expectGraphQLError(await executeAs(deps, viewer, SchemaRemoveChatRoomWhitelistDocument, { id, uids: [uid] }), 'FORBIDDEN')
    expect(await db.prisma.chatRoomWhitelist.count({ where: { chatRoomId: id } })).toBe(0)
  })

  test('an empty uids list is ERR_INVALID_INPUT naming uids', async () => {
    const id = await createRoom()
    const add = await executeAs(deps, adminViewer(), SchemaAddChatRoomWhitelistDocument, { id, uids: [] })
    expect(expectError(add, 'addChatRoomWhitelist', 'ERR_INVALID_INPUT').message).toMatch(/^uids: /)
    const remove = await executeAs(deps, adminViewer(), SchemaRemoveChatRoomWhitelistDocument, { id, uids: [] })
    expect(expectError(remove, 'removeChatRoomWhitelist', 'ERR_INVALID_INPUT').message).toMatch(/^uids: /)
  })
})

describe('joining, leaving and sending', () => {
  test('an unknown room is ERR_CHAT_ROOM_NOT_FOUND for join, leave and send', async () => {
    const [uid] = await createUsers(db, 1)
    const id = uniqueId('nope')
    const viewer = userViewer(uid)
    expectError(await executeAs(deps, viewer, SchemaJoinChatRoomDocument, { id }), 'joinChatRoom', 'ERR_CHAT_ROOM_NOT_FOUND')
    expectError(await executeAs(deps, viewer, SchemaLeaveChatRoomDocument, { id }), 'leaveChatRoom', 'ERR_CHAT_ROOM_NOT_FOUND')
    expectError(await executeAs(deps, viewer, SchemaSendChatRoomMessageDocument, { id, text: 'hi' }), 'sendChatRoomMessage', 'ERR_CHAT_ROOM_NOT_FOUND')
  })

  test('a non-member can neither leave nor send: ERR_NOT_A_MEMBER, and nothing is written', async () => {
    const [member, stranger] = await createUsers(db, 2)
    const id = await seedRoom([{ uid: member, offlineSince: null }])
    const viewer = userViewer(stranger)
    expectError(await executeAs(deps, viewer, SchemaLeaveChatRoomDocument, { id }), 'leaveChatRoom', 'ERR_NOT_A_MEMBER')
    expectError(await executeAs(deps, viewer, SchemaSendChatRoomMessageDocument, { id, text: 'hi' }), 'sendChatRoomMessage', 'ERR_NOT_A_MEMBER')
    expect(await db.prisma.chatRoomMessage.count({ where: { chatRoomId: id } })).toBe(0)
    expect(await db.prisma.memberLeftEvent.count({ where: { chatRoomId: id } })).toBe(0)
  })

  test('joining a room twice is ERR_ALREADY_MEMBER and keeps the first membership', async () => {
    const { clock, deps: timed } = onManualClock()
    const [uid] = await createUsers(db, 1)
    const id = await createRoom(timed)
    const joined = expectPayload(await join(timed, uid, id), 'joinChatRoom', 'JoinChatRoomPayload')
    expect(joined.chatRoom).toEqual({ id, membersCount: 1 })
    clock.advance(5000)
    expectError(await join(timed, uid, id), 'joinChatRoom', 'ERR_ALREADY_MEMBER')
    const row = await db.prisma.chatRoomMember.findUniqueOrThrow({ where: { chatRoomId_uid: { chatRoomId: id, uid } } })
    expect(row.joinedAt.toISOString()).toBe(joined.member.joinedAt)
  })

  test('empty or blank text is ERR_INVALID_INPUT naming text, and sends nothing', async () => {
    const [uid] = await createUsers(db, 1)
    const id = await seedRoom([{ uid, offlineSince: null }])
    for (const text of ['', '   ']) {
      const result = await executeAs(deps, userViewer(uid), SchemaSendChatRoomMessageDocument, { id, text })
      expect(expectError(result, 'sendChatRoomMessage', 'ERR_INVALID_INPUT').message).toMatch(/^text: /)
    }
    expect(await db.prisma.chatRoomMessage.count({ where: { chatRoomId: id } })).toBe(0)
  })

  test('leaveChatRoom answers a QUIT event about the room, operated by the leaver, and publishes it', async () => {
    const [leaver, stays] = await createUsers(db, 2)
    const id = await seedRoom([
      { uid: leaver, offlineSince: null },
      { uid: stays, offlineSince: null },
    ])
    const before = feed.published.length
    const payload = expectPayload(await executeAs(deps, userViewer(leaver), SchemaLeaveChatRoomDocument, { id }), 'leaveChatRoom', 'LeaveChatRoomPayload')
    expect(payload.chatRoomId).toBe(id)
    expect(payload.event).toEqual({
      id: expect.any(String),
      exitType: 'QUIT',
      reason: 'LEFT_BY_OWN_CHOICE',
      chatRoomId: id,
      groupGuid: null,
      chatRoom: { id, name: `Room ${id}` },
      operator: { uid: leaver },
      members: [{ uid: leaver }],
    })
    expect(feed.published.slice(before).map((e) => e.id.toString())).toEqual([payload.event.id])
    expect(await memberUids(id)).toEqual([stays])
    expectError(await executeAs(deps, userViewer(leaver), SchemaLeaveChatRoomDocument, { id }), 'leaveChatRoom', 'ERR_NOT_A_MEMBER')
  })
})

describe('banChatRoomMember', () => {
  test('minutes outside 1–43,200 are ERR_INVALID_INPUT naming minutes', async () => {
    const [uid] = await createUsers(db, 1)
    const id = await seedRoom([{ uid, offlineSince: null }])
    for (const minutes of [0, 43_201, -5]) {
      const result = await executeAs(deps, adminViewer(), SchemaBanChatRoomMemberDocument, { id, uid, minutes })
      expect(expectError(result, 'banChatRoomMember', 'ERR_INVALID_INPUT').message, `minutes = ${minutes}`).toMatch(/^minutes: /)
    }
    expect(await memberUids(id)).toEqual([uid])
    expect(await db.prisma.chatRoomBan.count({ where: { chatRoomId: id } })).toBe(0)
  })

  test('banning a member removes it with a BANNED event that has no operator for a backend token, until now + minutes', async () => {
    const start = new Date('2026-03-01T12:00:00Z')
    const { deps: timed } = onManualClock(start)
    const [banned, stays] = await createUsers(db, 2)
    const id = await seedRoom([
      { uid: banned, offlineSince: null },
      { uid: stays, offlineSince: null },
    ])
    const before = feed.published.length
    // adminViewer(): sub 'backend', no uid: an admin token that is not a user.
    const result = await executeAs(timed, adminViewer(), SchemaBanChatRoomMemberDocument, { id, uid: banned, minutes: 90 })
    const payload = expectPayload(result, 'banChatRoomMember', 'BanChatRoomMemberPayload')
    expect(payload).toEqual({
      __typename: 'BanChatRoomMemberPayload',
      chatRoomId: id,
      bannedUntil: new Date(start.getTime() + 90 * 60_000).toISOString(),
      event: {
        id: expect.any(String),
        exitType: 'BANNED',
        reason: 'ADMIN_REMOVED',
        chatRoomId: id,
        occurredAt: start.toISOString(),
        operator: null,
        members: [{ uid: banned }],
      },
    })
    expect(feed.published.slice(before).map((e) => e.id.toString())).toEqual([payload.event!.id])
    expect(await memberUids(id)).toEqual([stays])
  })

  test('an admin token whose sub is a user is the operator of the ban', async () => {
    const [admin, banned] = await createUsers(db, 2)
    const id = await seedRoom([{ uid: banned, offlineSince: null }])
    const result = await executeAs(deps, adminViewer(admin), SchemaBanChatRoomMemberDocument, { id, uid: banned, minutes: 1 })
    expect(expectPayload(result, 'banChatRoomMember', 'BanChatRoomMemberPayload').event?.operator).toEqual({ uid: admin })
  })

  test('banning a non-member answers a null event, publishes nothing, and still keeps it out', async () => {
    const { deps: timed } = onManualClock()
    const [stranger] = await createUsers(db, 1)
    const id = await createRoom(timed)
    const before = feed.published.length
    const result = await executeAs(timed, adminViewer(), SchemaBanChatRoomMemberDocument, { id, uid: stranger, minutes: 43_200 })
    const payload = expectPayload(result, 'banChatRoomMember', 'BanChatRoomMemberPayload')
    expect(payload.event).toBeNull()
    expect(payload.chatRoomId).toBe(id)
    expect(feed.published.length).toBe(before)
    expectError(await join(timed, stranger, id), 'joinChatRoom', 'ERR_BANNED')
  })

  test('a banned user cannot join (ERR_BANNED) until unbanChatRoomMember lifts the ban', async () => {
    const { clock, deps: timed } = onManualClock()
    const [uid] = await createUsers(db, 1)
    const id = await createRoom(timed)
    expectPayload(await join(timed, uid, id), 'joinChatRoom', 'JoinChatRoomPayload')
    const ban = await executeAs(timed, adminViewer(), SchemaBanChatRoomMemberDocument, { id, uid, minutes: 10 })
    expect(expectPayload(ban, 'banChatRoomMember', 'BanChatRoomMemberPayload').event?.exitType).toBe('BANNED')
    clock.advance(9 * 60_000)
    expect(expectError(await join(timed, uid, id), 'joinChatRoom', 'ERR_BANNED').message).toContain(uid)

    const unban = await executeAs(timed, adminViewer(), SchemaUnbanChatRoomMemberDocument, { id, uid })
    expect(expectPayload(unban, 'unbanChatRoomMember', 'UnbanChatRoomMemberPayload')).toEqual({ __typename: 'UnbanChatRoomMemberPayload', chatRoomId: id })
    expect(expectPayload(await join(timed, uid, id), 'joinChatRoom', 'JoinChatRoomPayload').member.user.uid).toBe(uid)
  })

  test('a ban ends by itself once its minutes have passed', async () => {
    const { clock, deps: timed } = onManualClock()
    const [uid] = await createUsers(db, 1)
    const id = await createRoom(timed)
    expectPayload(await executeAs(timed, adminViewer(), SchemaBanChatRoomMemberDocument, { id, uid, minutes: 1 }), 'banChatRoomMember', 'BanChatRoomMemberPayload')
    clock.advance(59_999)
    expectError(await join(timed, uid, id), 'joinChatRoom', 'ERR_BANNED')
    clock.advance(1)
    expectPayload(await join(timed, uid, id), 'joinChatRoom', 'JoinChatRoomPayload')
  })

  test('an unknown room or user is a DomainError, and plain users are FORBIDDEN', async () => {
    const [uid] = await createUsers(db, 1)
    const id = await seedRoom([{ uid, offlineSince: null }])
    const nowhere = uniqueId('nope')
    expectError(await executeAs(deps, adminViewer(), SchemaBanChatRoomMemberDocument, { id: nowhere, uid, minutes: 5 }), 'banChatRoomMember', 'ERR_CHAT_ROOM_NOT_FOUND')
    expectError(await executeAs(deps, adminViewer(), SchemaUnbanChatRoomMemberDocument, { id: nowhere, uid }), 'unbanChatRoomMember', 'ERR_CHAT_ROOM_NOT_FOUND')
    expectError(
      await executeAs(deps, adminViewer(), SchemaBanChatRoomMemberDocument, { id, uid: uniqueId('ghost'), minutes: 5 }),
      'banChatRoomMember',
      'ERR_USER_NOT_FOUND',
    )
    expectGraphQLError(await executeAs(deps, userViewer(uid), SchemaBanChatRoomMemberDocument, { id, uid, minutes: 5 }), 'FORBIDDEN')
    expectGraphQLError(await executeAs(deps, userViewer(uid), SchemaUnbanChatRoomMemberDocument, { id, uid }), 'FORBIDDEN')
    expect(await memberUids(id)).toEqual([uid])
  })
})

describe('sendChatRoomMessage', () => {
  test('answers the sent message, and kicks nobody out while nobody is offline', async () => {
    const [sender, other] = await createUsers(db, 2)
    const id = await seedRoom([
      { uid: sender, offlineSince: null },
      { uid: other, offlineSince: null },
    ])
    const before = new Date()
    const result = await executeAs(deps, userViewer(sender), SchemaSendChatRoomMessageDocument, { id, text: 'hello room' })
    const payload = expectPayload(result, 'sendChatRoomMessage', 'SendChatRoomMessagePayload')
    expect(payload.sentMessage).toEqual({ id: expect.stringMatching(/^\d+$/), sentAt: expect.any(String), sender: { uid: sender }, text: 'hello room' })
    expect(new Date(payload.sentMessage.sentAt).getTime()).toBeGreaterThanOrEqual(before.getTime())
    expect(payload.kickedOut).toEqual([])
    const stored = await db.prisma.chatRoomMessage.findUniqueOrThrow({ where: { id: BigInt(payload.sentMessage.id) } })
    expect(stored).toMatchObject({ chatRoomId: id, senderUid: sender, text: 'hello room' })
    expect(await memberUids(id)).toEqual([sender, other])
  })

  test('a member offline for longer than the grace period is kicked out by the next message, unless whitelisted', async () => {
    const [sender, stale, recent, listed] = await createUsers(db, 4)
    const now = Date.now()
    const id = await seedRoom([
      { uid: sender, offlineSince: null },
      { uid: stale, offlineSince: new Date(now - 31_000) },
      { uid: recent, offlineSince: new Date(now - 5_000) },
      { uid: listed, offlineSince: new Date(now - 120_000) },
    ])
    await db.prisma.chatRoomWhitelist.create({ data: { chatRoomId: id, uid: listed } })
    const before = feed.published.length

    const result = await executeAs(deps, userViewer(sender), SchemaSendChatRoomMessageDocument, { id, text: 'anyone there?' })
    const payload = expectPayload(result, 'sendChatRoomMessage', 'SendChatRoomMessagePayload')
    expect(payload.sentMessage).toMatchObject({ sender: { uid: sender }, text: 'anyone there?' })
    expect(payload.kickedOut).toEqual([{ uid: stale, name: `Name of ${stale}` }])

    const published = feed.published.slice(before)
    expect(published.map((e) => ({ exitType: e.exitType, chatRoomId: e.chatRoomId, memberUids: e.memberUids, operatorUid: e.operatorUid }))).toEqual([
      { exitType: 'OFFLINE_KICKED', chatRoomId: id, memberUids: [stale], operatorUid: null },
    ])
    const room = expectData(await executeAs(deps, userViewer(sender), SchemaChatRoomMembersPageDocument, { id, first: 10 })).chatRoom!
    expect(room.membersCount).toBe(3)
    expect(room.members.edges.map((edge) => edge!.node.user.uid)).toEqual([sender, recent, listed])
  })
})

describe('reading a chat room with its members', () => {
  /** A room whose `count` members have distinct users, every third whitelisted, every other online. */
  async function seedLargeRoom(count: number): Promise<string> {
    const uids = await createUsers(db, count, 'eff')
    const id = await seedRoom(uids.map((uid, i) => ({ uid, offlineSince: i % 2 === 0 ? null : new Date(Date.now() - 1000) })))
    await db.prisma.chatRoomWhitelist.createMany({ data: uids.filter((_, i) => i % 3 === 0).map((uid) => ({ chatRoomId: id, uid })) })
    return id
  }

  test('takes the same small number of statements for 5 members as for 50, names, presence and whitelist included', async () => {
    const counts: Record<string, number> = {}
    for (const count of [5, 50]) {
      const id = await seedLargeRoom(count)
      const [reader] = await createUsers(db, 1, 'reader')
      const { value, sql } = await statementsOf(() => executeAs(deps, userViewer(reader), SchemaChatRoomMemberNamesDocument, { id }))
      const members = expectData(value).chatRoom!.members.edges.map((edge) => edge!.node)
      expect(members).toHaveLength(count)
      expect(members.filter((m) => m.online)).toHaveLength(Math.ceil(count / 2))
      expect(members.filter((m) => m.whitelisted)).toHaveLength(Math.ceil(count / 3))
      expect(members.every((m) => m.user.name.startsWith('Name of eff_'))).toBe(true)
      counts[`${count} members`] = sql.length
      if (process.env.DEBUG_SQL) console.log(sql.map((s) => s.slice(0, 400)).join('\n\n'))
    }
    console.log('chatRoom(id) { members(first: 50) { node { user { name } online whitelisted } } } statements:', counts)
    expect(counts['50 members']).toBe(counts['5 members'])
    expect(counts['50 members']).toBeLessThanOrEqual(2)
  })
})
