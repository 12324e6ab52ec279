import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import WebSocket from 'ws'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { webSocketKeepAliveMs } from '../../src/app.js'
import {
  AddChatRoomWhitelistDocument,
  BanChatRoomMemberDocument,
  ChatRoomMemberLeftDocument,
  ChatRoomPresenceDocument,
  CreateChatRoomDocument,
  JoinChatRoomDocument,
  LeaveChatRoomDocument,
  SendChatRoomMessageDocument,
  UnbanChatRoomMemberDocument,
  type CreateChatRoomInput,
} from '../generated/graphql.js'
import { expectData, expectError, expectPayload } from '../support/client.js'
import { createUsers, manualClock } from '../support/domain-fixtures.js'
import { uniqueId } from '../support/database.js'
import { request, subscribe, type Subscription } from '../support/remote.js'
import { startTestServer, whenFollowing, type TestServer } from '../support/server.js'

// Chat rooms over real HTTP and real graphql-ws: presence from sockets, the offline kick-out
// rules, and the exits they produce. Time is a manual clock, started at the real time so the
// presence leases (database time) and the rules (this clock) agree until a test moves it.

const keepAliveMs = 300
const sweepMs = 50
const clock = manualClock(new Date())
let server: TestServer
let admin: string
let adminUid: string

beforeAll(async () => {
  server = await startTestServer({ clock, timings: { webSocketKeepAliveMs: keepAliveMs, offlineSweepMs: sweepMs }, privateDatabase: true })
  ;[adminUid] = await createUsers(server.db, 1, 'admin')
  admin = await server.token(adminUid, { admin: true })
}, 60_000)
afterAll(() => server?.stop())

const tokenOf = (uid: string) => server.token(uid)

async function createRoom(policy: Omit<CreateChatRoomInput, 'id' | 'name'> = {}): Promise<string> {
  const id = uniqueId('room')
  expectPayload(await request(server, admin, CreateChatRoomDocument, { input: { id, name: id, ...policy } }), 'createChatRoom', 'CreateChatRoomPayload')
  return id
}

async function join(id: string, uid: string) {
  return expectPayload(await request(server, await tokenOf(uid), JoinChatRoomDocument, { id }), 'joinChatRoom', 'JoinChatRoomPayload').member
}

async function send(id: string, uid: string, text = 'hello') {
  return expectPayload(await request(server, await tokenOf(uid), SendChatRoomMessageDocument, { id, text }), 'sendChatRoomMessage', 'SendChatRoomMessagePayload')
}

async function members(id: string) {
  const room = expectData(await request(server, admin, ChatRoomPresenceDocument, { id })).chatRoom!
  return new Map(room.members.edges.map((edge) => [edge!.node.user.uid, edge!.node]))
}

async function memberOf(id: string, uid: string) {
  return (await members(id)).get(uid)
}

/** Polls until the check passes: presence changes are written when a socket's close is seen. */
async function eventually<T>(check: () => Promise<T>, ms = 5_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    try {
      return await check()
    } catch (error) {
      if (Date.now() > deadline) throw error
      await sleep(20)
    }
  }
}

/** A raw graphql-transport-ws connection, acknowledged (so the server has recorded it). */
async function openConnection(uid: string, options: { answerPings?: boolean } = {}): Promise<WebSocket> {
  const socket = new WebSocket(server.wsUrl, 'graphql-transport-ws', { autoPong: options.answerPings ?? true })
  await once(socket, 'open')
  socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${await tokenOf(uid)}` } }))
  const [data] = (await once(socket, 'message')) as [Buffer]
  expect(JSON.parse(data.toString())).toMatchObject({ type: 'connection_ack' })
  return socket
}

async function closeConnection(socket: WebSocket): Promise<void> {
  const closed = once(socket, 'close')
  socket.close(1000)
  await closed
}

function followRoom(id: string, token: string, after?: string): Promise<Subscription<{ memberLeft: { id: string; exitType: string; members: { uid: string }[]; operator: { uid: string } | null } }>> {
  return whenFollowing(server, () => subscribe(server, token, ChatRoomMemberLeftDocument, { chatRoomId: id, after }))
}

describe('presence', { timeout: 30_000 }, () => {
  test('graphql-ws keep-alive notices a dead peer within 30 s by default (a ping, then no pong by the next one)', () => {
    expect(2 * webSocketKeepAliveMs).toBeLessThanOrEqual(30_000)
  })

  test('a member is online while it holds a connection and offline from the moment it closes it', async () => {
    const room = await createRoom()
    const [ann] = await createUsers(server.db, 1, 'ann')
    const socket = await openConnection(ann)
    expect(await join(room, ann)).toMatchObject({ online: true, offlineSince: null })
    clock.advance(1000)
    const closedAt = clock.now().toISOString()
    await closeConnection(socket)
    const member = await eventually(async () => {
      const m = await memberOf(room, ann)
      expect(m?.online).toBe(false)
      return m
    })
    expect(member?.offlineSince).toBe(closedAt)
  })

  test('a member that joins without a connection is offline from the join, and online once it connects', async () => {
    const room = await createRoom()
    const [ann] = await createUsers(server.db, 1, 'ann')
    expect(await join(room, ann)).toMatchObject({ online: false, offlineSince: clock.now().toISOString() })
    const socket = await openConnection(ann)
    expect(await memberOf(room, ann)).toMatchObject({ online: true, offlineSince: null })
    await closeConnection(socket)
  })

  test('a member with two connections stays online until both are closed', async () => {
    const room = await createRoom()
    const [ann] = await createUsers(server.db, 1, 'ann')
    const first = await openConnection(ann)
    const second = await openConnection(ann)
    await join(room, ann)
    await closeConnection(first)
    await eventually(async () => expect(await server.db.prisma.presenceConnection.count({ where: { uid: ann } })).toBe(1))
    expect(await memberOf(room, ann)).toMatchObject({ online: true })
    await closeConnection(second)
    await eventually(async () => expect(await memberOf(room, ann)).toMatchObject({ online: false }))
  })

  test('a peer that stops answering keep-alive pings is dropped and goes offline', async () => {
    const room = await createRoom()
    const [ann] = await createUsers(server.db, 1, 'ann')
    const silent = await openConnection(ann, { answerPings: false })
    await join(room, ann)
    expect(await memberOf(room, ann)).toMatchObject({ online: true })
    const closed = once(silent, 'close')
    await eventually(async () => expect(await memberOf(room, ann)).toMatchObject({ online: false }), 3 * keepAliveMs + 5_000)
    await closed
  })
})

describe('offline kick-out', { timeout: 30_000 }, () => {
  test('the 31st message within 30 s of going offline removes the member; the 30th does not', async () => {
    const room = await createRoom()
    const [ann, bob] = await createUsers(server.db, 2, 'm')
    const annSocket = await openConnection(ann)
    await join(room, ann)
    await join(room, bob)
    const watching = await followRoom(room, admin)
    await closeConnection(annSocket)
    await eventually(async () => expect(await memberOf(room, ann)).toMatchObject({ online: false }))
    for (let i = 1; i <= 30; i++) {
      clock.advance(900)
      expect((await send(room, bob, `message ${i}`)).kickedOut).toEqual([])
    }
    expect(await memberOf(room, ann)).toBeDefined()
    clock.advance(900)
    const thirtyFirst = await send(room, bob, 'message 31')
    expect(thirtyFirst.kickedOut).toEqual([{ uid: ann }])
    expect(await memberOf(room, ann)).toBeUndefined()
    expect(await memberOf(room, bob)).toBeDefined()
    expect((await watching.next()).memberLeft).toMatchObject({ exitType: 'OFFLINE_KICKED', members: [{ uid: ann }], operator: null })
    await watching.close()
  })

  test('a message sent more than graceSeconds after the member went offline removes it; one at exactly graceSeconds does not', async () => {
    const room = await createRoom()
    const [ann, bob] = await createUsers(server.db, 2, 'm')
    await join(room, ann) // offline from here: no connection
    await join(room, bob)
    clock.advance(30_000)
    expect((await send(room, bob)).kickedOut).toEqual([])
    clock.advance(1)
    expect((await send(room, bob)).kickedOut).toEqual([{ uid: ann }])
  })

  test('a whitelisted member stays however long it is offline', async () => {
    const room = await createRoom({ messageLimit: 0 })
    const [ann, bob, cat] = await createUsers(server.db, 3, 'm')
    for (const uid of [ann, bob, cat]) await join(room, uid)
    expectPayload(await request(server, admin, AddChatRoomWhitelistDocument, { id: room, uids: [ann] }), 'addChatRoomWhitelist', 'ChatRoomWhitelistPayload')
    clock.advance(3_600_000)
    expect((await send(room, bob)).kickedOut).toEqual([{ uid: cat }])
    expect(await memberOf(room, ann)).toMatchObject({ online: false, whitelisted: true })
  })

  test('an online member is never removed, however many messages are sent', async () => {
    const room = await createRoom({ messageLimit: 0, graceSeconds: 1 })
    const [ann, bob] = await createUsers(server.db, 2, 'm')
    const socket = await openConnection(ann)
    await join(room, ann)
    await join(room, bob)
    clock.advance(10_000)
    expect((await send(room, bob)).kickedOut).toEqual([])
    await closeConnection(socket)
  })

  test('realtime mode removes a member offline for realtimeWithinSeconds with no message sent, and not before', async () => {
    const room = await createRoom({ realtime: true, realtimeWithinSeconds: 10 })
    const [ann, bob] = await createUsers(server.db, 2, 'm')
    const bobSocket = await openConnection(bob)
    await join(room, ann)
    await join(room, bob)
    const watching = await followRoom(room, admin)
    clock.advance(10_000)
    await sleep(10 * sweepMs) // ten sweeps at exactly realtimeWithinSeconds
    expect(await memberOf(room, ann)).toBeDefined()
    clock.advance(1)
    expect((await watching.next()).memberLeft).toMatchObject({ exitType: 'OFFLINE_KICKED', members: [{ uid: ann }], operator: null })
    expect(await memberOf(room, ann)).toBeUndefined()
    expect(await memberOf(room, bob)).toMatchObject({ online: true })
    await watching.close()
    await closeConnection(bobSocket)
  })

  test('two instances sweeping the same rooms remove each member once, in one event', async () => {
    const second = await startTestServer({ clock, timings: { offlineSweepMs: 5 }, database: server.db })
    try {
      const room = await createRoom({ realtime: true, realtimeWithinSeconds: 1 })
      const uids = await createUsers(server.db, 5, 'm')
      for (const uid of uids) await join(room, uid)
      clock.advance(1_001)
      // Each instance's feed hears only its own publishes (in process until the scale-out
      // issue), so the outcome is read from the database.
      await eventually(async () => expect((await members(room)).size).toBe(0))
      await sleep(20 * sweepMs)
      const events = await server.db.prisma.memberLeftEvent.findMany({ where: { chatRoomId: room } })
      expect(events.map((e) => ({ exitType: e.exitType, members: [...e.memberUids].sort() }))).toEqual([
        { exitType: 'OFFLINE_KICKED', members: [...uids].sort() },
      ])
    } finally {
      await second.stop()
    }
  })
})

describe('exits', { timeout: 30_000 }, () => {
  test('leaveChatRoom reaches the room’s members, the app admin and the leaver’s own stream, once', async () => {
    const room = await createRoom()
    const [ann, bob] = await createUsers(server.db, 2, 'm')
    await join(room, ann)
    await join(room, bob)
    const [annToken, bobToken] = [await tokenOf(ann), await tokenOf(bob)]
    const [byMember, byAdmin, own] = await whenFollowing(
      server,
      () => [
        subscribe(server, bobToken, ChatRoomMemberLeftDocument, { chatRoomId: room }),
        subscribe(server, admin, ChatRoomMemberLeftDocument, { chatRoomId: room }),
        subscribe(server, annToken, ChatRoomMemberLeftDocument, {}),
      ],
      3,
    )
    const left = expectPayload(await request(server, await tokenOf(ann), LeaveChatRoomDocument, { id: room }), 'leaveChatRoom', 'LeaveChatRoomPayload')
    expect(left.event).toMatchObject({ exitType: 'QUIT', chatRoomId: room, members: [{ uid: ann }], operator: { uid: ann } })
    for (const stream of [byMember, byAdmin, own]) {
      expect((await stream.next()).memberLeft).toMatchObject({ id: left.event.id, exitType: 'QUIT', chatRoom: { id: room } })
      await stream.close()
    }
    expectError(await request(server, await tokenOf(ann), LeaveChatRoomDocument, { id: room }), 'leaveChatRoom', 'ERR_NOT_A_MEMBER')
    expectError(await request(server, await tokenOf(ann), LeaveChatRoomDocument, { id: uniqueId('nowhere') }), 'leaveChatRoom', 'ERR_CHAT_ROOM_NOT_FOUND')
  })

  test('a ban removes the member (BANNED, by the admin) and refuses joining until it expires or is lifted', async () => {
    const room = await createRoom()
    const [ann] = await createUsers(server.db, 1, 'ann')
    await join(room, ann)
    const banned = expectPayload(await request(server, admin, BanChatRoomMemberDocument, { id: room, uid: ann, minutes: 1 }), 'banChatRoomMember', 'BanChatRoomMemberPayload')
    expect(banned.event).toMatchObject({ exitType: 'BANNED', members: [{ uid: ann }], operator: { uid: adminUid } })
    expect(banned.bannedUntil).toBe(new Date(clock.now().getTime() + 60_000).toISOString())
    expectError(await request(server, await tokenOf(ann), JoinChatRoomDocument, { id: room }), 'joinChatRoom', 'ERR_BANNED')
    clock.advance(60_001)
    await join(room, ann)

    expectPayload(await request(server, admin, BanChatRoomMemberDocument, { id: room, uid: ann, minutes: 60 }), 'banChatRoomMember', 'BanChatRoomMemberPayload')
    expectError(await request(server, await tokenOf(ann), JoinChatRoomDocument, { id: room }), 'joinChatRoom', 'ERR_BANNED')
    expectPayload(await request(server, admin, UnbanChatRoomMemberDocument, { id: room, uid: ann }), 'unbanChatRoomMember', 'UnbanChatRoomMemberPayload')
    await join(room, ann)
  })
})
