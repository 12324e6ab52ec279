import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { AppDeps } from '../../src/context.js'
import type { Database } from '../../src/db/database.js'
import {
  BanGroupMemberDocument,
  CreateGroupDocument,
  CreateUserDocument,
  DeactivateUserDocument,
  LeaveGroupDocument,
  RemoveMembersDocument,
  SendGroupMessageDocument,
} from '../generated/graphql.js'
import { adminViewer, executeAs, expectError, expectGraphQLError, expectPayload, recordingFeed, testDeps, userViewer, type RecordingFeed } from '../support/client.js'
import { openTestDatabase, uniqueId } from '../support/database.js'
import { createUsers, seedGroup } from '../support/domain-fixtures.js'

let db: Database
let deps: AppDeps
let feed: RecordingFeed
beforeAll(async () => {
  db = await openTestDatabase()
  feed = recordingFeed()
  deps = testDeps(db, { memberLeft: feed as unknown as AppDeps['memberLeft'] })
})
afterAll(() => db?.close())

describe('mutation results', () => {
  test('a successful exit returns its payload and publishes its one event after commit', async () => {
    const g = await seedGroup(db, { scopes: ['PARTICIPANT'] })
    const before = feed.published.length
    const result = await executeAs(deps, userViewer(g.uids[0]), LeaveGroupDocument, { guid: g.guid })
    const payload = expectPayload(result, 'leaveGroup', 'LeaveGroupPayload')
    expect(payload.message).toBe(`${g.guid} left successfully`)
    expect(payload.event).toMatchObject({ exitType: 'QUIT', reason: 'LEFT_BY_OWN_CHOICE', groupGuid: g.guid })
    expect(feed.published.slice(before).map((e) => e.id.toString())).toEqual([payload.event.id])
  })

  test('a refused exit comes back as an Error with its code, and publishes and writes nothing', async () => {
    const g = await seedGroup(db, { scopes: ['PARTICIPANT'] })
    const before = feed.published.length
    const result = await executeAs(deps, userViewer(g.owner), LeaveGroupDocument, { guid: g.guid })
    const error = expectError(result, 'leaveGroup', 'ERR_OWNER_MUST_TRANSFER')
    expect(error.__typename).toBe('DomainError')
    expect(feed.published.length).toBe(before)
    expect(await db.prisma.memberLeftEvent.count({ where: { groupGuid: g.guid } })).toBe(0)
  })

  test('invalid input is an ERR_INVALID_INPUT error naming the field', async () => {
    const [uid] = await createUsers(db, 1)
    const result = await executeAs(deps, userViewer(uid), CreateGroupDocument, { input: { guid: uniqueId('g'), name: '', type: 'PUBLIC' } })
    expect(expectError(result, 'createGroup', 'ERR_INVALID_INPUT').message).toMatch(/^input\.name: /)
    const tooMany = Array.from({ length: 1001 }, (_, i) => `u${i}`)
    const removal = await executeAs(deps, userViewer(uid), RemoveMembersDocument, { guid: 'some_group', uids: tooMany })
    expect(expectError(removal, 'removeMembers', 'ERR_INVALID_INPUT').message).toMatch(/^uids: /)
  })

  test('createGroup makes the caller the OWNER', async () => {
    const [uid] = await createUsers(db, 1)
    const guid = uniqueId('g')
    const result = await executeAs(deps, userViewer(uid), CreateGroupDocument, { input: { guid, name: 'Book club', type: 'PUBLIC', ownerLeavePolicy: 'DISSOLVE' } })
    expect(expectPayload(result, 'createGroup', 'CreateGroupPayload').group).toEqual({ guid, name: 'Book club', type: 'PUBLIC', ownerLeavePolicy: 'DISSOLVE' })
    expect(await db.prisma.groupMember.findUnique({ where: { groupGuid_uid: { groupGuid: guid, uid } } })).toMatchObject({ scope: 'OWNER' })
  })

  test('banning a non-member returns a payload with a null event', async () => {
    const g = await seedGroup(db)
    const [stranger] = await createUsers(db, 1)
    const result = await executeAs(deps, userViewer(g.owner), BanGroupMemberDocument, { guid: g.guid, uid: stranger })
    expect(expectPayload(result, 'banGroupMember', 'BanGroupMemberPayload').event).toBeNull()
  })
})

describe('authentication and authorization', () => {
  test('without a viewer, mutations answer UNAUTHENTICATED at the top level', async () => {
    const result = await executeAs(deps, null, SendGroupMessageDocument, { guid: 'g', text: 'hi' })
    expectGraphQLError(result, 'UNAUTHENTICATED')
  })

  test('app-admin-only mutations answer FORBIDDEN to a plain user and work for the app admin', async () => {
    const [uid] = await createUsers(db, 1)
    const input = { uid: uniqueId('new'), name: 'New user' }
    expectGraphQLError(await executeAs(deps, userViewer(uid), CreateUserDocument, { input }), 'FORBIDDEN')
    expectGraphQLError(await executeAs(deps, userViewer(uid), DeactivateUserDocument, { uid }), 'FORBIDDEN')
    const created = expectPayload(await executeAs(deps, adminViewer(), CreateUserDocument, { input }), 'createUser', 'CreateUserPayload')
    expect(created.user).toEqual({ ...input, leaveAllWhenDeactivated: true, deactivatedAt: null })
  })

  test('deactivateUser publishes one event per group left', async () => {
    const a = await seedGroup(db, { scopes: ['PARTICIPANT'] })
    const uid = a.uids[0]
    const before = feed.published.length
    const payload = expectPayload(await executeAs(deps, adminViewer(), DeactivateUserDocument, { uid }), 'deactivateUser', 'DeactivateUserPayload')
    expect(payload.events.map((e) => e.exitType)).toEqual(['DEACTIVATED'])
    expect(feed.published.slice(before).map((e) => e.id.toString())).toEqual(payload.events.map((e) => e.id))
  })
})
