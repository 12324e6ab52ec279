import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import {
  KickGroupMemberDocument,
  LeaveGroupDocument,
  MemberLeftEventsPageDocument,
  MemberLeftResumeDocument,
} from '../generated/graphql.js'
import { expectData, expectGraphQLError, expectPayload } from '../support/client.js'
import { seedGroup } from '../support/domain-fixtures.js'
import { request, subscribe } from '../support/remote.js'
import { startTestServer } from '../support/server.js'

// What the memberLeft stream promises a reconnecting client, over HTTP and graphql-ws.

let server: Awaited<ReturnType<typeof startTestServer>>
beforeAll(async () => {
  server = await startTestServer()
}, 60_000)
afterAll(() => server?.stop())

const tokenOf = (uid: string) => server.token(uid)

describe('memberLeft for a reconnecting client', { timeout: 30_000 }, () => {
  test('a member kicked while disconnected resumes from its cursor, gets what it missed and its kick, then completion', async () => {
    const g = await seedGroup(server.db, { scopes: ['PARTICIPANT', 'PARTICIPANT', 'PARTICIPANT'] })
    const [bob, cat, dan] = g.uids
    const owner = await tokenOf(g.owner)
    const seen = expectPayload(await request(server, await tokenOf(cat), LeaveGroupDocument, { guid: g.guid }), 'leaveGroup', 'LeaveGroupPayload').event
    // bob is offline from here on.
    const missed = expectPayload(await request(server, await tokenOf(dan), LeaveGroupDocument, { guid: g.guid }), 'leaveGroup', 'LeaveGroupPayload').event
    const kick = expectPayload(await request(server, owner, KickGroupMemberDocument, { guid: g.guid, uid: bob }), 'kickGroupMember', 'KickGroupMemberPayload').event

    const resumed = subscribe(server, await tokenOf(bob), MemberLeftResumeDocument, { guid: g.guid, after: seen.id })
    expect((await resumed.next()).memberLeft).toEqual({ id: missed.id, members: [{ uid: dan }] })
    expect((await resumed.next()).memberLeft).toEqual({ id: kick.id, members: [{ uid: bob }] })
    await resumed.completed
    await resumed.close()

    // The catch-up query agrees, and past its own exit the group is closed to bob.
    const page = expectData(await request(server, await tokenOf(bob), MemberLeftEventsPageDocument, { guid: g.guid, after: seen.id }))
    expect(page.memberLeftEvents.map((e) => e.id)).toEqual([missed.id, kick.id])
    expectGraphQLError(await request(server, await tokenOf(bob), MemberLeftEventsPageDocument, { guid: g.guid, after: kick.id }), 'ERR_NOT_A_MEMBER')
  })

  test('a non-member subscribing to a group gets ERR_NOT_A_MEMBER; a malformed cursor ERR_INVALID_INPUT', async () => {
    const g = await seedGroup(server.db, { scopes: ['PARTICIPANT'] })
    const other = await seedGroup(server.db)
    const refused = subscribe(server, await tokenOf(other.owner), MemberLeftResumeDocument, { guid: g.guid })
    await expect(refused.completed).rejects.toThrow(/ERR_NOT_A_MEMBER/)
    await refused.close()
    const malformed = subscribe(server, await tokenOf(g.owner), MemberLeftResumeDocument, { guid: g.guid, after: 'yesterday' })
    await expect(malformed.completed).rejects.toThrow(/ERR_INVALID_INPUT/)
    await malformed.close()
  })

  test('memberLeftEvents pages by cursor, oldest first', async () => {
    const g = await seedGroup(server.db, { scopes: ['PARTICIPANT', 'PARTICIPANT', 'PARTICIPANT'] })
    const ids: string[] = []
    for (const uid of g.uids) {
      ids.push(expectPayload(await request(server, await tokenOf(uid), LeaveGroupDocument, { guid: g.guid }), 'leaveGroup', 'LeaveGroupPayload').event.id)
    }
    const owner = await tokenOf(g.owner)
    const first = expectData(await request(server, owner, MemberLeftEventsPageDocument, { guid: g.guid, first: 2 })).memberLeftEvents
    const rest = expectData(await request(server, owner, MemberLeftEventsPageDocument, { guid: g.guid, first: 2, after: first[1].id })).memberLeftEvents
    expect([...first, ...rest].map((e) => e.id)).toEqual(ids)
    expectGraphQLError(await request(server, owner, MemberLeftEventsPageDocument, { guid: g.guid, first: 1001 }), 'ERR_INVALID_INPUT')
  })
})
