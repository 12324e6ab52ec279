import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { ExitStatsDocument, KickGroupMemberDocument, LeaveGroupDocument } from '../generated/graphql.js'
import { expectData, expectGraphQLError, expectPayload } from '../support/client.js'
import { createUsers, seedGroup } from '../support/domain-fixtures.js'
import { request } from '../support/remote.js'
import { startTestServer, type TestServer } from '../support/server.js'

// exitStats over HTTP: the shape a dashboard reads, and its errors as top-level errors. Exits
// are made through the API "now"; other files write exits at the same time on PostgreSQL, so
// every count here is of this file's own group or user.

let server: TestServer
let admin: string
beforeAll(async () => {
  server = await startTestServer()
  admin = await server.token('backend', { admin: true })
}, 60_000)
afterAll(() => server?.stop())

const FIVE_MINUTES = 300_000

describe('exitStats over HTTP', () => {
  test('buckets, totals and topPlaces of a group’s exits, as its owner, the app admin and the member who left see them', async () => {
    const g = await seedGroup(server.db, { scopes: ['PARTICIPANT', 'PARTICIPANT'] })
    const [bob, carol] = g.uids
    const now = Date.now()
    expectPayload(await request(server, await server.token(bob), LeaveGroupDocument, { guid: g.guid }), 'leaveGroup', 'LeaveGroupPayload')
    const owner = await server.token(g.owner)
    expectPayload(await request(server, owner, KickGroupMemberDocument, { guid: g.guid, uid: carol }), 'kickGroupMember', 'KickGroupMemberPayload')

    // Three buckets of five minutes; the exits are in the last one, which starts at `now`.
    const span = { from: new Date(now - 2 * FIVE_MINUTES).toISOString(), to: new Date(now + FIVE_MINUTES).toISOString(), bucketSeconds: 300 }
    const asOwner = expectData(await request(server, owner, ExitStatsDocument, { ...span, guid: g.guid })).exitStats
    expect(asOwner).toEqual({
      from: span.from,
      to: span.to,
      bucketSeconds: 300,
      buckets: [
        { start: span.from, events: 0, members: 0, byExitType: [] },
        { start: new Date(now - FIVE_MINUTES).toISOString(), events: 0, members: 0, byExitType: [] },
        {
          start: new Date(now).toISOString(),
          events: 2,
          members: 2,
          byExitType: [
            { exitType: 'QUIT', events: 1, members: 1 },
            { exitType: 'KICKED', events: 1, members: 1 },
          ],
        },
      ],
      totals: [
        { exitType: 'QUIT', events: 1, members: 1 },
        { exitType: 'KICKED', events: 1, members: 1 },
      ],
      topPlaces: [],
    })

    const asAdmin = expectData(await request(server, admin, ExitStatsDocument, { ...span, guid: g.guid, first: 5 })).exitStats
    expect(asAdmin.totals).toEqual(asOwner.totals)
    expect(asAdmin.topPlaces).toEqual([{ groupGuid: g.guid, chatRoomId: null, events: 2, members: 2 }])

    // Bob left: his own exits without guid, and the group's refused as memberLeftEvents refuses it.
    const bobToken = await server.token(bob)
    const own = expectData(await request(server, bobToken, ExitStatsDocument, span)).exitStats
    expect(own.totals).toEqual([{ exitType: 'QUIT', events: 1, members: 1 }])
    expectGraphQLError(await request(server, bobToken, ExitStatsDocument, { ...span, guid: g.guid }), 'ERR_NOT_A_MEMBER')
  })

  test('bad arguments are top-level ERR_INVALID_INPUT errors naming the argument; no token is UNAUTHENTICATED', async () => {
    const [uid] = await createUsers(server.db, 1)
    const token = await server.token(uid)
    const from = '2026-01-01T00:00:00.000Z'
    const cases = [
      { variables: { from, to: '2026-01-02T00:01:00.000Z', bucketSeconds: 60 }, argument: 'bucketSeconds', says: '1441 buckets' },
      { variables: { from, to: '2026-01-01T00:01:00.000Z', bucketSeconds: 0 }, argument: 'bucketSeconds', says: 'at least 1' },
      { variables: { from, to: from, bucketSeconds: 60 }, argument: 'to', says: 'later than from' },
      { variables: { from, to: '2026-01-01T00:01:00.000Z', bucketSeconds: 60, first: 101 }, argument: 'first', says: 'between 1 and 100', token: admin },
    ]
    for (const { variables, argument, says, token: caller } of cases) {
      const result = await request(server, caller ?? token, ExitStatsDocument, variables)
      const error = expectGraphQLError(result, 'ERR_INVALID_INPUT', says)
      expect(error.extensions?.argument).toBe(argument)
      expect(result.data ?? null).toBeNull()
    }
    expectGraphQLError(await request(server, null, ExitStatsDocument, { from, to: '2026-01-01T00:01:00.000Z', bucketSeconds: 60 }), 'UNAUTHENTICATED')
  })
})
