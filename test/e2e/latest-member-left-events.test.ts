import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { LeaveGroupDocument, MemberLeftDocument, MemberLeftEventsLatestDocument } from '../generated/graphql.js'
import { expectData, expectGraphQLError, expectPayload } from '../support/client.js'
import { createUsers, seedGroup } from '../support/domain-fixtures.js'
import { request, subscribe } from '../support/remote.js'
import { startTestServer, whenFollowing } from '../support/server.js'
import { until } from '../support/until.js'

// memberLeftEvents(last): what a client shows on opening, before it subscribes from there.

let server: Awaited<ReturnType<typeof startTestServer>>
beforeAll(async () => {
  server = await startTestServer()
}, 60_000)
afterAll(() => server?.stop())

async function leaveGroup(uid: string, guid: string): Promise<string> {
  return expectPayload(await request(server, await server.token(uid), LeaveGroupDocument, { guid }), 'leaveGroup', 'LeaveGroupPayload').event.id
}

describe('memberLeftEvents(last)', { timeout: 30_000 }, () => {
  test('the newest exits oldest first; memberLeft after the newest id then brings each later exit once', async () => {
    const g = await seedGroup(server.db, { scopes: ['PARTICIPANT', 'PARTICIPANT', 'PARTICIPANT', 'PARTICIPANT'] })
    const owner = await server.token(g.owner)
    const earlier = [await leaveGroup(g.uids[0], g.guid), await leaveGroup(g.uids[1], g.guid), await leaveGroup(g.uids[2], g.guid)]

    const latest = expectData(await request(server, owner, MemberLeftEventsLatestDocument, { guid: g.guid, last: 2 })).memberLeftEvents
    expect(latest.map((e) => e.id)).toEqual(earlier.slice(1))
    expect(latest.map((e) => e.members.map((m) => m.uid))).toEqual([[g.uids[1]], [g.uids[2]]])

    const stream = await whenFollowing(server, () => subscribe(server, owner, MemberLeftDocument, { guid: g.guid, after: latest[1].id }))
    const next = await leaveGroup(g.uids[3], g.guid)
    await until(() => stream.received.length >= 1, 'the next exit arrives')
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(stream.received.map((e) => e.memberLeft.id)).toEqual([next])
    await stream.close()
  })

  test('a user gets the newest exits of its own places only, not those of a group it is not in', async () => {
    const mine = await seedGroup(server.db, { scopes: ['PARTICIPANT', 'PARTICIPANT'] })
    const other = await seedGroup(server.db, { scopes: ['PARTICIPANT'] })
    const [ann, bob] = mine.uids
    const inMine = await leaveGroup(bob, mine.guid)
    await leaveGroup(other.uids[0], other.guid)
    const token = await server.token(ann)
    const joined = expectData(await request(server, token, MemberLeftEventsLatestDocument, { joined: true, last: 50 })).memberLeftEvents
    expect(joined.map((e) => e.id)).toEqual([inMine])
    expect(expectData(await request(server, token, MemberLeftEventsLatestDocument, { last: 50 })).memberLeftEvents).toEqual([])
    expectGraphQLError(await request(server, token, MemberLeftEventsLatestDocument, { guid: other.guid, last: 50 }), 'ERR_NOT_A_MEMBER')
  })

  test('last outside 1 to 100, or with after or first, is a top-level ERR_INVALID_INPUT naming last', async () => {
    const [uid] = await createUsers(server.db, 1)
    const token = await server.token(uid)
    const cases = [
      { variables: { last: 0 }, says: 'between 1 and 100' },
      { variables: { last: 101 }, says: 'between 1 and 100' },
      { variables: { last: 5, after: '0' }, says: 'cannot be combined with after' },
      { variables: { last: 5, first: 5 }, says: 'cannot be combined with first' },
    ]
    for (const { variables, says } of cases) {
      const result = await request(server, token, MemberLeftEventsLatestDocument, variables)
      const error = expectGraphQLError(result, 'ERR_INVALID_INPUT', says)
      expect(error.extensions?.argument).toBe('last')
      expect(result.data ?? null).toBeNull()
    }
  })
})
