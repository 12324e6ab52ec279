import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import {
  ExitStatsDocument,
  JoinGroupDocument,
  LeaveChatRoomDocument,
  LeaveGroupDocument,
  MemberLeftEventsJoinedDocument,
  MemberLeftJoinedDocument,
} from '../generated/graphql.js'
import { uniqueId } from '../support/database.js'
import { expectData, expectGraphQLError, expectPayload } from '../support/client.js'
import { createUsers, seedGroup } from '../support/domain-fixtures.js'
import { request, subscribe } from '../support/remote.js'
import { startTestServer, whenFollowing } from '../support/server.js'
import { until } from '../support/until.js'

// `joined: true`: a dashboard with a user's token follows the exits of the user's groups and
// chat rooms, and its own exits, without naming them (src/domain/exits/joined-places.ts).

let server: Awaited<ReturnType<typeof startTestServer>>
beforeAll(async () => {
  server = await startTestServer()
}, 60_000)
afterAll(() => server?.stop())

const tokenOf = (uid: string, admin = false) => server.token(uid, { admin })

async function leaveGroup(uid: string, guid: string): Promise<string> {
  return expectPayload(await request(server, await tokenOf(uid), LeaveGroupDocument, { guid }), 'leaveGroup', 'LeaveGroupPayload').event.id
}

async function leaveRoom(uid: string, id: string): Promise<string> {
  return expectPayload(await request(server, await tokenOf(uid), LeaveChatRoomDocument, { id }), 'leaveChatRoom', 'LeaveChatRoomPayload').event!.id
}

/** A chat room with these members, written directly. */
async function seedRoom(uids: string[]): Promise<string> {
  const id = uniqueId('room')
  await server.db.prisma.chatRoom.create({ data: { id, name: id } })
  await server.db.prisma.chatRoomMember.createMany({ data: uids.map((uid) => ({ chatRoomId: id, uid, joinedAt: new Date() })) })
  return id
}

async function addToGroup(guid: string, uid: string): Promise<void> {
  await server.db.prisma.groupMember.create({ data: { groupGuid: guid, uid, scope: 'PARTICIPANT' } })
}

async function followJoined(uid: string, variables: { after?: string } = {}, admin = false) {
  return whenFollowing(server, async () => subscribe(server, await tokenOf(uid, admin), MemberLeftJoinedDocument, { joined: true, ...variables }))
}

const ids = (events: { memberLeft: { id: string } }[]) => events.map((e) => e.memberLeft.id)

describe('joined places', { timeout: 30_000 }, () => {
  test('a user with joined sees the exits of its group and its chat room and its own exit elsewhere, and not exits of a group it is not in', async () => {
    const mine = await seedGroup(server.db, { scopes: ['PARTICIPANT', 'PARTICIPANT', 'PARTICIPANT'] })
    const [ann, bob, fay] = mine.uids
    const [cat] = await createUsers(server.db, 1)
    const room = await seedRoom([ann, cat])
    const elsewhere = await seedGroup(server.db, { scopes: ['PARTICIPANT', 'PARTICIPANT'] })
    const [eve] = elsewhere.uids
    await addToGroup(elsewhere.guid, ann)
    const notMine = await seedGroup(server.db, { scopes: ['PARTICIPANT'] })

    const sees = await followJoined(ann)
    const expected = [await leaveGroup(bob, mine.guid), await leaveRoom(cat, room)]
    await leaveGroup(notMine.uids[0], notMine.guid)
    expected.push(await leaveGroup(ann, elsewhere.guid))
    // No longer ann's place: another member's exit of it is not hers to see.
    await leaveGroup(eve, elsewhere.guid)
    expected.push(await leaveGroup(fay, mine.guid))

    await until(() => sees.received.length >= expected.length, 'the visible exits arrive')
    expect(ids(sees.received)).toEqual(expected)
    expect(sees.received.map((e) => e.memberLeft)).toMatchObject([
      { groupGuid: mine.guid, members: [{ uid: bob }] },
      { chatRoomId: room, members: [{ uid: cat }] },
      { groupGuid: elsewhere.guid, members: [{ uid: ann }] },
      { groupGuid: mine.guid, members: [{ uid: fay }] },
    ])
    await sees.close()

    // The catch-up query agrees (memberships as of now: ann is still in `mine` and the room).
    const page = expectData(await request(server, await tokenOf(ann), MemberLeftEventsJoinedDocument, { joined: true }))
    expect(page.memberLeftEvents.map((e) => e.id)).toEqual(expected)
  })

  test('joined with guid or chatRoomId, or from a token naming no user, is ERR_INVALID_INPUT naming joined', async () => {
    const g = await seedGroup(server.db, { scopes: ['PARTICIPANT'] })
    const token = await tokenOf(g.owner)
    for (const variables of [{ joined: true, guid: g.guid }, { joined: true, chatRoomId: 'room-1' }]) {
      const error = expectGraphQLError(await request(server, token, MemberLeftEventsJoinedDocument, variables), 'ERR_INVALID_INPUT', 'joined')
      expect(error.extensions?.argument).toBe('joined')
      const range = { from: '2026-01-01T00:00:00.000Z', to: '2026-01-01T01:00:00.000Z', bucketSeconds: 60 }
      const stats = expectGraphQLError(await request(server, token, ExitStatsDocument, { ...range, ...variables }), 'ERR_INVALID_INPUT', 'joined')
      expect(stats.extensions?.argument).toBe('joined')
      const refused = subscribe(server, token, MemberLeftJoinedDocument, variables)
      await expect(refused.completed).rejects.toThrow(/ERR_INVALID_INPUT.*"argument":"joined"/)
      await refused.close()
    }
    const noUser = await tokenOf(uniqueId('backend'), true)
    const error = expectGraphQLError(await request(server, noUser, MemberLeftEventsJoinedDocument, { joined: true }), 'ERR_INVALID_INPUT', 'names no user')
    expect(error.extensions?.argument).toBe('joined')
    // joined: false is the default: a user's own exits, as without it.
    expectData(await request(server, token, MemberLeftEventsJoinedDocument, { joined: false }))
  })

  test('replay with after and joined gives every visible exit once, without a gap or a duplicate across the replay→live boundary', async () => {
    const g = await seedGroup(server.db, { scopes: Array.from({ length: 12 }, () => 'PARTICIPANT' as const) })
    const [ann, ...others] = g.uids
    const room = await seedRoom([ann, ...(await createUsers(server.db, 6))])
    const roomMembers = (await server.db.prisma.chatRoomMember.findMany({ where: { chatRoomId: room, uid: { not: ann } } })).map((m) => m.uid)
    const stranger = await seedGroup(server.db, { scopes: Array.from({ length: 6 }, () => 'PARTICIPANT' as const) })

    const cursor = await leaveGroup(others[0], g.guid)
    const stored = [await leaveGroup(others[1], g.guid), await leaveRoom(roomMembers[0], room), await leaveGroup(others[2], g.guid)]
    await leaveGroup(stranger.uids[0], stranger.guid)

    // Exits keep committing while the subscription replays and goes live.
    const sees = followJoined(ann, { after: cursor })
    const racing = (async () => {
      const more: string[] = []
      for (let i = 0; i < 5; i++) {
        more.push(await leaveGroup(others[3 + i], g.guid))
        await leaveGroup(stranger.uids[1 + i], stranger.guid)
        more.push(await leaveRoom(roomMembers[1 + i], room))
      }
      return more
    })()
    const stream = await sees
    const expected = [...stored, ...(await racing)]
    await until(() => stream.received.length >= expected.length, 'every visible exit arrives')
    // One more, so that a duplicate or a late stranger's exit would show.
    expected.push(await leaveGroup(others[10], g.guid))
    await until(() => stream.received.length >= expected.length, 'the last exit arrives')
    expect(ids(stream.received)).toEqual(expected)
    await stream.close()
  })

  test('two users in joined mode sharing nothing never see each other’s places, though they share one execution per event', async () => {
    const first = await seedGroup(server.db, { scopes: ['PARTICIPANT', 'PARTICIPANT'] })
    const second = await seedGroup(server.db, { scopes: ['PARTICIPANT', 'PARTICIPANT'] })
    const [ann, annsPeer] = first.uids
    const [ben, bensPeer] = second.uids
    const annsRoom = await seedRoom([ann, annsPeer])
    const bensRoom = await seedRoom([ben, bensPeer])
    await until(() => server.liveCounts().subscriptions === 0, "the earlier tests' subscriptions are released")
    const annSees = await followJoined(ann)
    const benSees = await followJoined(ben)
    // Visibility is each subscriber's own (its feed subscription); the cohort only executes
    // what a subscriber was going to get, and the document reads nothing per viewer.
    await until(() => server.liveCounts().subscriptions === 2, 'both subscriptions are delivered')
    expect(server.liveCounts().cohorts).toBe(1)

    const forAnn = [await leaveGroup(annsPeer, first.guid)]
    const forBen = [await leaveGroup(bensPeer, second.guid)]
    const [annsRoomPeer] = await createUsers(server.db, 1)
    await server.db.prisma.chatRoomMember.create({ data: { chatRoomId: annsRoom, uid: annsRoomPeer, joinedAt: new Date() } })
    forAnn.push(await leaveRoom(annsRoomPeer, annsRoom))
    forBen.push(await leaveRoom(bensPeer, bensRoom))
    forAnn.push(await leaveGroup(ann, first.guid))
    forBen.push(await leaveGroup(ben, second.guid))

    await until(() => annSees.received.length >= 3 && benSees.received.length >= 3, 'both get their own exits')
    expect(ids(annSees.received)).toEqual(forAnn)
    expect(ids(benSees.received)).toEqual(forBen)
    await annSees.close()
    await benSees.close()
  })

  test('joining a group later makes its later exits visible; after leaving, only the own exit is seen', async () => {
    const g = await seedGroup(server.db, { scopes: ['PARTICIPANT', 'PARTICIPANT', 'PARTICIPANT'] })
    const [bob, cat, dan] = g.uids
    const [ann] = await createUsers(server.db, 1)
    const sees = await followJoined(ann)

    await leaveGroup(bob, g.guid)
    expectPayload(await request(server, await tokenOf(ann), JoinGroupDocument, { guid: g.guid }), 'joinGroup', 'JoinGroupPayload')
    const afterJoining = await leaveGroup(cat, g.guid)
    const own = await leaveGroup(ann, g.guid)
    await leaveGroup(dan, g.guid)
    // A marker exit of ann's own, elsewhere, so that a late exit of `g` would show before it.
    const other = await seedGroup(server.db, { scopes: ['PARTICIPANT'] })
    await addToGroup(other.guid, ann)
    const marker = await leaveGroup(ann, other.guid)

    await until(() => sees.received.length >= 3, 'the visible exits arrive')
    expect(ids(sees.received)).toEqual([afterJoining, own, marker])
    await sees.close()
  })

  test('the app admin with joined follows its own places, not every exit', async () => {
    const g = await seedGroup(server.db, { scopes: ['PARTICIPANT'] })
    const [admin] = await createUsers(server.db, 1)
    await addToGroup(g.guid, admin)
    const unrelated = await seedGroup(server.db, { scopes: ['PARTICIPANT'] })
    const sees = await followJoined(admin, {}, true)

    await leaveGroup(unrelated.uids[0], unrelated.guid)
    const visible = await leaveGroup(g.uids[0], g.guid)
    await until(() => sees.received.length >= 1, 'the exit of its group arrives')
    // The unrelated exit committed first, so it would have arrived first.
    expect(ids(sees.received)).toEqual([visible])
    await sees.close()
  })
})
