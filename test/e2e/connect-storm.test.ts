import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { LeaveGroupDocument } from '../generated/graphql.js'
import type { Database } from '../../src/db/database.js'
import { expectPayload } from '../support/client.js'
import { seedGroup } from '../support/domain-fixtures.js'
import { subscribeCrowd } from '../support/crowd.js'
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
const query = 'subscription ($guid: ID) { memberLeft(guid: $guid) { id members { uid } } }'

describe('a reconnect storm', { timeout: 60_000 }, () => {
  test(`${crowd} clients connecting and subscribing at once cost a bounded number of statements, and every one of them is live`, async () => {
    const g = await seedGroup(server.db, { scopes: Array(crowd).fill('PARTICIPANT') })
    const tokens = await Promise.all(g.uids.map((uid) => server.token(uid)))
    const { value: crowdOf, sql } = await log.statementsOf(async () => {
      const opened = await subscribeCrowd(server.wsUrl, tokens, query, { guid: g.guid })
      const deadline = Date.now() + 20_000
      while (server.liveCounts().subscriptions < crowd && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5))
      return opened
    })
    expect(server.liveCounts().subscriptions).toBe(crowd)
    // One statement per kind per batch, and messages that arrive together share a batch
    // (seen here: 3 or 4 user reads, 2 of the others, 12 to 18 statements in all). One
    // statement per client, as before batching, would be 300 user reads, 150 of each other
    // kind and some 1,300 statements in all.
    const count = (pattern: RegExp) => sql.filter((statement) => pattern.test(statement)).length
    expect(count(/FROM "public"."User"/)).toBeLessThanOrEqual(15)
    expect(count(/FROM "public"."GroupMember"/)).toBeLessThanOrEqual(10)
    expect(count(/INSERT INTO "PresenceConnection"/)).toBeLessThanOrEqual(10)
    // A subscription that starts at the feed's position has nothing to replay, so reads nothing.
    expect(count(/"MemberLeftEvent"/)).toBe(0)
    expect(sql.length).toBeLessThanOrEqual(60)

    const left = expectPayload(await request(server, tokens[0], LeaveGroupDocument, { guid: g.guid }), 'leaveGroup', 'LeaveGroupPayload')
    const deadline = Date.now() + 5_000
    let results = await crowdOf.results()
    while (results.some((received) => received.length === 0) && Date.now() < deadline) results = await crowdOf.results()
    for (const received of results) expect(received.map((result) => (result.data!.memberLeft as { id: string }).id)).toEqual([left.event.id])
    await crowdOf.close()
  })
})
