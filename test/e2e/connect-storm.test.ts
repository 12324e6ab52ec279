import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { LeaveGroupDocument } from '../generated/graphql.js'
import type { Database } from '../../src/db/database.js'
import { expectPayload } from '../support/client.js'
import { seedGroup } from '../support/domain-fixtures.js'
import { subscribeCrowd, type Crowd } from '../support/crowd.js'
import { request } from '../support/remote.js'
import { startTestServer } from '../support/server.js'
import { openLoggedTestDatabase, type StatementLog } from '../support/statement-log.js'

// A crowd connecting and subscribing at once (a deploy, a network blip) costs the database a
// few statements per turn of the event loop, not several per client.

let db: Database
let log: StatementLog
let server: Awaited<ReturnType<typeof startTestServer>>
beforeAll(async () => {
  ;({ db, ...log } = await openLoggedTestDatabase())
  server = await startTestServer({ database: db })
}, 60_000)
afterAll(async () => {
  await server?.stop()
  await db?.close()
})

const crowd = 150
const query = 'subscription ($guid: ID, $after: ID) { memberLeft(guid: $guid, after: $after) { id members { uid } } }'
const idsOf = (received: Array<{ data?: Record<string, unknown> }>) => received.map((result) => (result.data!.memberLeft as { id: string }).id)

async function resultsOf(crowdOf: Crowd, count: number) {
  const deadline = Date.now() + 5_000
  let results = await crowdOf.results()
  while (results.some((received) => received.length < count) && Date.now() < deadline) results = await crowdOf.results()
  return results
}

async function whenSubscribed(count: number) {
  const deadline = Date.now() + 20_000
  while (server.liveCounts().subscriptions !== count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5))
  expect(server.liveCounts().subscriptions, "live subscriptions").toBe(count)
}

describe('a reconnect storm', { timeout: 60_000 }, () => {
  test(`${crowd} clients connecting and subscribing at once cost a bounded number of statements, and every one of them is live`, async () => {
    const g = await seedGroup(server.db, { scopes: Array(crowd).fill('PARTICIPANT') })
    const tokens = await Promise.all(g.uids.map((uid) => server.token(uid)))
    const { value: crowdOf, sql } = await log.statementsOf(async () => {
      const opened = await subscribeCrowd(server.wsUrl, tokens, query, { guid: g.guid })
      await whenSubscribed(crowd)
      return opened
    })
    // One statement per kind per batch, and messages that arrive together share a batch
    // (seen here: 3 or 4 user reads, 2 of the others, 12 to 18 statements in all). One
    // statement per client, as before batching, would be 300 user reads, 150 of each other
    // kind and some 1,300 statements in all.
    const count = (pattern: RegExp) => sql.filter((statement) => pattern.test(statement)).length
    expect(count(/FROM "public"."User"/)).toBeLessThanOrEqual(15)
    expect(count(/FROM "public"."GroupMember"/)).toBeLessThanOrEqual(10)
    expect(count(/INSERT INTO "PresenceConnection"/)).toBeLessThanOrEqual(10)
    // A subscription that starts at the feed's position has nothing to replay, so reads nothing.
    expect(count(/"MemberLeftEvent"/), "replay reads").toBe(0)
    expect(sql.length).toBeLessThanOrEqual(60)

    const left = expectPayload(await request(server, tokens[0], LeaveGroupDocument, { guid: g.guid }), 'leaveGroup', 'LeaveGroupPayload')
    for (const received of await resultsOf(crowdOf, 1)) expect(idsOf(received)).toEqual([left.event.id])
    await crowdOf.close()
    await whenSubscribed(0)
  })

  test(`${crowd} clients resuming with the same cursor at once share the replay's reads`, async () => {
    const g = await seedGroup(server.db, { scopes: Array(crowd + 2).fill('PARTICIPANT') })
    const tokens = await Promise.all(g.uids.map((uid) => server.token(uid)))
    const leave = async (token: string) => expectPayload(await request(server, token, LeaveGroupDocument, { guid: g.guid }), 'leaveGroup', 'LeaveGroupPayload').event.id
    const cursor = await leave(tokens[crowd])
    const missed = await leave(tokens[crowd + 1])

    const { value: crowdOf, sql } = await log.statementsOf(async () => {
      const opened = await subscribeCrowd(server.wsUrl, tokens.slice(0, crowd), query, { guid: g.guid, after: cursor })
      await whenSubscribed(crowd)
      return opened
    })
    for (const received of await resultsOf(crowdOf, 1)) expect(idsOf(received)).toEqual([missed])
    // The cursor's position, the horizons and the replay reads, shared: one statement each per
    // batch of subscribers that arrive together, not one each per subscriber (450 in all).
    const count = (pattern: RegExp) => sql.filter((statement) => pattern.test(statement)).length
    expect(count(/"MemberLeftEvent"/)).toBeLessThanOrEqual(15)
    expect(count(/pg_current_snapshot/)).toBeLessThanOrEqual(15)
    await crowdOf.close()
    await whenSubscribed(0)
  })
})
