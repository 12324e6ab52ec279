import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import {
  AddMembersDocument,
  BanGroupMemberDocument,
  CreateGroupDocument,
  CreateUserDocument,
  DeactivateUserDocument,
  DeleteGroupDocument,
  JoinGroupDocument,
  KickGroupMemberDocument,
  LeaveAllGroupsDocument,
  LeaveGroupDocument,
  MemberLeftDocument,
  RemoveMembersDocument,
  SendGroupMessageDocument,
  TransferGroupOwnershipDocument,
  UnbanGroupMemberDocument,
} from '../generated/graphql.js'
import { expectError, expectGraphQLError, expectPayload } from '../support/client.js'
import { uniqueId } from '../support/database.js'
import { seedGroup } from '../support/domain-fixtures.js'
import { request, subscribe } from '../support/remote.js'
import { startTestServer, whenFollowing } from '../support/server.js'

let server: Awaited<ReturnType<typeof startTestServer>>
let adminToken: string
beforeAll(async () => {
  server = await startTestServer()
  adminToken = await server.token('backend', { admin: true })
})
afterAll(() => server?.stop())

const tokenOf = (uid: string) => server.token(uid)

describe('memberLeft over graphql-ws', () => {
  test('members see an exit live, with who left and who caused it', async () => {
    const g = await seedGroup(server.db, { scopes: ['PARTICIPANT', 'PARTICIPANT'] })
    const [watcher, leaver] = g.uids
    const watcherToken = await tokenOf(watcher)
    const live = await whenFollowing(server, () => subscribe(server, watcherToken, MemberLeftDocument, { guid: g.guid }))

    const left = expectPayload(await request(server, await tokenOf(leaver), LeaveGroupDocument, { guid: g.guid }), 'leaveGroup', 'LeaveGroupPayload')
    const { memberLeft } = await live.next()
    expect(memberLeft).toMatchObject({
      id: left.event.id,
      exitType: 'QUIT',
      reason: 'LEFT_BY_OWN_CHOICE',
      groupGuid: g.guid,
      members: [{ uid: leaver, name: `Name of ${leaver}` }],
      operator: { uid: leaver },
    })
    await live.close()
  })

  test("a member's stream completes after the event in which it left itself", async () => {
    const g = await seedGroup(server.db, { scopes: ['PARTICIPANT'] })
    const [member] = g.uids
    const memberToken = await tokenOf(member)
    const live = await whenFollowing(server, () => subscribe(server, memberToken, MemberLeftDocument, { guid: g.guid }))
    expectPayload(await request(server, await tokenOf(g.owner), KickGroupMemberDocument, { guid: g.guid, uid: member }), 'kickGroupMember', 'KickGroupMemberPayload')
    expect((await live.next()).memberLeft).toMatchObject({ exitType: 'KICKED', members: [{ uid: member }], operator: { uid: g.owner } })
    await expect(live.completed).resolves.toBeUndefined()
  })

  test('a refused exit publishes nothing; the next committed one arrives first', async () => {
    const g = await seedGroup(server.db, { scopes: ['PARTICIPANT', 'PARTICIPANT'] })
    const live = await whenFollowing(server, () => subscribe(server, adminToken, MemberLeftDocument, { guid: g.guid }))
    expectError(await request(server, await tokenOf(g.owner), LeaveGroupDocument, { guid: g.guid }), 'leaveGroup', 'ERR_OWNER_MUST_TRANSFER')
    expectError(await request(server, await tokenOf(g.uids[0]), KickGroupMemberDocument, { guid: g.guid, uid: g.uids[1] }), 'kickGroupMember', 'ERR_INSUFFICIENT_SCOPE')
    expectPayload(await request(server, await tokenOf(g.uids[1]), LeaveGroupDocument, { guid: g.guid }), 'leaveGroup', 'LeaveGroupPayload')
    expect((await live.next()).memberLeft.members).toEqual([{ uid: g.uids[1], name: `Name of ${g.uids[1]}` }])
    expect(live.received).toHaveLength(1)
    await live.close()
  })

  test('resuming from a cursor while 20 exits commit concurrently yields every later event exactly once, in order', async () => {
    const g = await seedGroup(server.db, { scopes: Array.from({ length: 24 }, () => 'PARTICIPANT' as const) })
    const tokens = await Promise.all(g.uids.map(tokenOf))
    // A few exits before the cursor, so replay has history on both sides of it.
    const early: string[] = []
    for (const token of tokens.slice(0, 4)) {
      early.push(expectPayload(await request(server, token, LeaveGroupDocument, { guid: g.guid }), 'leaveGroup', 'LeaveGroupPayload').event.id)
    }
    const cursor = early[1]

    const racing = tokens.slice(4).map((token) => request(server, token, LeaveGroupDocument, { guid: g.guid }))
    // Subscribe while the 20 exits are committing: some are stored before, some arrive live.
    await new Promise((r) => setTimeout(r, 15))
    const resumed = subscribe(server, adminToken, MemberLeftDocument, { guid: g.guid, after: cursor })
    const committed = (await Promise.all(racing)).map((r) => expectPayload(r, 'leaveGroup', 'LeaveGroupPayload').event.id)

    const expected = (await server.db.prisma.memberLeftEvent.findMany({ where: { groupGuid: g.guid, id: { gt: BigInt(cursor) } }, orderBy: { id: 'asc' } }))
      .map((e) => e.id.toString())
    expect(expected).toEqual([...early.slice(2), ...committed].sort((a, b) => Number(BigInt(a) - BigInt(b))))
    expect(expected).toHaveLength(22)
    const got: string[] = []
    for (let i = 0; i < expected.length; i++) got.push((await resumed.next(10_000)).memberLeft.id)
    await new Promise((r) => setTimeout(r, 300))
    expect(resumed.received.map((r) => r.memberLeft.id)).toEqual(expected)
    expect(got).toEqual(expected)
    await resumed.close()
  }, 60_000)

  test('without a guid the app admin gets every exit and a user only its own', async () => {
    const a = await seedGroup(server.db, { scopes: ['PARTICIPANT', 'PARTICIPANT'] })
    const [me, other] = a.uids
    const myToken = await tokenOf(me)
    const [mine, everything] = await whenFollowing(
      server,
      () => [subscribe(server, myToken, MemberLeftDocument, {}), subscribe(server, adminToken, MemberLeftDocument, {})] as const,
      2,
    )
    const theirs = expectPayload(await request(server, await tokenOf(other), LeaveGroupDocument, { guid: a.guid }), 'leaveGroup', 'LeaveGroupPayload')
    const own = expectPayload(await request(server, await tokenOf(me), LeaveGroupDocument, { guid: a.guid }), 'leaveGroup', 'LeaveGroupPayload')
    expect((await mine.next()).memberLeft.id).toBe(own.event.id)
    const seen = [(await everything.next()).memberLeft.id, (await everything.next()).memberLeft.id]
    expect(seen).toEqual([theirs.event.id, own.event.id])
    expect(mine.received).toHaveLength(1)
    await Promise.all([mine.close(), everything.close()])
  })
})

describe('mutations over HTTP', () => {
  test('a kick racing a leave: exactly one exit, the other answers ERR_NOT_A_MEMBER', async () => {
    for (let round = 0; round < 3; round++) {
      const g = await seedGroup(server.db, { scopes: ['PARTICIPANT'] })
      const [member] = g.uids
      const [kick, leave] = await Promise.all([
        request(server, await tokenOf(g.owner), KickGroupMemberDocument, { guid: g.guid, uid: member }),
        request(server, await tokenOf(member), LeaveGroupDocument, { guid: g.guid }),
      ])
      const outcomes = [kick.data?.kickGroupMember, leave.data?.leaveGroup].map((r) => (r && 'code' in r ? r.code : r?.__typename))
      expect(outcomes.sort()).toEqual(
        outcomes.includes('KickGroupMemberPayload') ? ['ERR_NOT_A_MEMBER', 'KickGroupMemberPayload'] : ['ERR_NOT_A_MEMBER', 'LeaveGroupPayload'],
      )
      expect(await server.db.prisma.memberLeftEvent.count({ where: { groupGuid: g.guid } })).toBe(1)
    }
  })

  test('a group from creation to dissolution, every operation through the API', async () => {
    const [alice, bob, carol, dave] = ['alice', 'bob', 'carol', 'dave'].map((n) => uniqueId(n))
    for (const uid of [alice, bob, carol, dave]) {
      expectPayload(await request(server, adminToken, CreateUserDocument, { input: { uid, name: uid } }), 'createUser', 'CreateUserPayload')
    }
    const [ta, tb, tc, td] = await Promise.all([alice, bob, carol, dave].map(tokenOf))
    const guid = uniqueId('club')
    expectPayload(await request(server, ta, CreateGroupDocument, { input: { guid, name: 'Club', type: 'PASSWORD', password: 'pw', ownerLeavePolicy: 'DISSOLVE' } }), 'createGroup', 'CreateGroupPayload')
    expectError(await request(server, tb, JoinGroupDocument, { guid, password: 'nope' }), 'joinGroup', 'ERR_WRONG_PASSWORD')
    expect(expectPayload(await request(server, tb, JoinGroupDocument, { guid, password: 'pw' }), 'joinGroup', 'JoinGroupPayload').member.scope).toBe('PARTICIPANT')
    expectPayload(await request(server, ta, AddMembersDocument, { guid, members: [{ uid: carol, scope: 'ADMIN' }, { uid: dave }] }), 'addMembers', 'AddMembersPayload')
    expectPayload(await request(server, tb, SendGroupMessageDocument, { guid, text: 'hello' }), 'sendGroupMessage', 'SendGroupMessagePayload')

    const watch = await whenFollowing(server, () => subscribe(server, tc, MemberLeftDocument, { guid }))
    const ban = expectPayload(await request(server, tc, BanGroupMemberDocument, { guid, uid: dave }), 'banGroupMember', 'BanGroupMemberPayload')
    expect(ban.event?.exitType).toBe('BANNED')
    expectError(await request(server, td, JoinGroupDocument, { guid, password: 'pw' }), 'joinGroup', 'ERR_BANNED')
    expectPayload(await request(server, tc, UnbanGroupMemberDocument, { guid, uid: dave }), 'unbanGroupMember', 'UnbanGroupMemberPayload')
    const removal = expectPayload(await request(server, tc, RemoveMembersDocument, { guid, uids: [bob, dave] }), 'removeMembers', 'RemoveMembersPayload')
    expect(removal.removed).toEqual([{ uid: bob }])
    expect(removal.notMembers).toEqual([dave])
    expectPayload(await request(server, ta, TransferGroupOwnershipDocument, { guid, uid: carol }), 'transferGroupOwnership', 'TransferGroupOwnershipPayload')
    const leftAll = expectPayload(await request(server, ta, LeaveAllGroupsDocument, {}), 'leaveAllGroups', 'LeaveAllGroupsPayload')
    expect(leftAll.left.map((g) => g.guid)).toEqual([guid])
    const deleted = expectPayload(await request(server, tc, DeleteGroupDocument, { guid }), 'deleteGroup', 'DeleteGroupPayload')
    expect(deleted.event).toMatchObject({ exitType: 'DISSOLVED', reason: 'ADMIN_DELETED' })

    const kinds = []
    for (let i = 0; i < 4; i++) kinds.push((await watch.next()).memberLeft.exitType)
    expect(kinds).toEqual(['BANNED', 'KICKED', 'QUIT', 'DISSOLVED'])
    await expect(watch.completed).resolves.toBeUndefined()
    expectError(await request(server, tc, SendGroupMessageDocument, { guid, text: 'anyone?' }), 'sendGroupMessage', 'ERR_GROUP_NOT_FOUND')
  })

  test("deactivateUser signs the user out at once and reports each group's exit", async () => {
    const g = await seedGroup(server.db, { scopes: ['PARTICIPANT'] })
    const [uid] = g.uids
    const token = await tokenOf(uid)
    expectPayload(await request(server, token, SendGroupMessageDocument, { guid: g.guid, text: 'still here' }), 'sendGroupMessage', 'SendGroupMessagePayload')
    const payload = expectPayload(await request(server, adminToken, DeactivateUserDocument, { uid }), 'deactivateUser', 'DeactivateUserPayload')
    expect(payload.events).toMatchObject([{ exitType: 'DEACTIVATED', reason: 'ADMIN_DEACTIVATED', groupGuid: g.guid }])
    expectGraphQLError(await request(server, token, SendGroupMessageDocument, { guid: g.guid, text: 'gone?' }), 'UNAUTHENTICATED')
  })

  test('a plain user calling an app-admin operation gets FORBIDDEN; no token gets UNAUTHENTICATED', async () => {
    const g = await seedGroup(server.db, { scopes: ['PARTICIPANT'] })
    expectGraphQLError(await request(server, await tokenOf(g.uids[0]), DeactivateUserDocument, { uid: g.owner }), 'FORBIDDEN')
    expectGraphQLError(await request(server, null, LeaveGroupDocument, { guid: g.guid }), 'UNAUTHENTICATED')
  })
})
