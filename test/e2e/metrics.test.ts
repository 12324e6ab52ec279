import { afterAll, beforeAll, expect, test } from 'vitest'
import { LeaveGroupDocument, MemberLeftDocument, MemberLeftResumeDocument } from '../generated/graphql.js'
import { expectPayload } from '../support/client.js'
import { seedGroup } from '../support/domain-fixtures.js'
import { parseMetrics } from '../support/metrics-text.js'
import { request, subscribe } from '../support/remote.js'
import { startTestServer, whenFollowing, type TestServer } from '../support/server.js'

// What the metrics count, in process (test/process/metrics.test.ts scrapes the real process).

let server: TestServer
let admin: string
beforeAll(async () => {
  server = await startTestServer()
  admin = await server.token('backend', { admin: true })
})
afterAll(() => server?.stop())

const samplesOf = async (of: TestServer) => parseMetrics(await of.deps.metrics.scrape())
const deliveriesObserved = async () => (await samplesOf(server)).get('departures_event_delivery_seconds_count')!

test('an exit is observed once per group of identical subscriptions when its frames are written, and a replayed one not at all', async () => {
  const g = await seedGroup(server.db, { scopes: ['PARTICIPANT', 'PARTICIPANT'] })
  // Two identical subscriptions share one execution (one cohort); a third document is another.
  const same = await whenFollowing(server, () => [1, 2].map(() => subscribe(server, admin, MemberLeftDocument, { guid: g.guid })), 2)
  const other = await whenFollowing(server, () => subscribe(server, admin, MemberLeftResumeDocument, { guid: g.guid }))
  const before = await deliveriesObserved()

  const left = expectPayload(await request(server, await server.token(g.uids[0]), LeaveGroupDocument, { guid: g.guid }), 'leaveGroup', 'LeaveGroupPayload')
  for (const live of [...same, other]) await live.next()
  expect(await deliveriesObserved()).toBe(before + 2)

  // A subscriber resuming from before that exit gets it from the table: its age is not a latency.
  const resumed = await whenFollowing(server, () => subscribe(server, admin, MemberLeftResumeDocument, { guid: g.guid, after: '0' }))
  expect((await resumed.next()).memberLeft.id).toBe(left.event.id)
  expect(await deliveriesObserved()).toBe(before + 2)

  for (const live of [...same, other, resumed]) await live.close()
})

test('each instance counts the exits committed through it, by exit type', async () => {
  const second = await startTestServer({ database: server.db, authSecret: server.authSecret })
  try {
    const quitsOn = async (of: TestServer) => (await samplesOf(of)).get('departures_member_exits_total{exit_type="QUIT"}')!
    const [firstBefore, secondBefore] = [await quitsOn(server), await quitsOn(second)]
    const g = await seedGroup(server.db, { scopes: ['PARTICIPANT', 'PARTICIPANT', 'PARTICIPANT'] })
    for (const uid of g.uids.slice(0, 2)) {
      expectPayload(await request(second, await second.token(uid), LeaveGroupDocument, { guid: g.guid }), 'leaveGroup', 'LeaveGroupPayload')
    }
    expect(await quitsOn(second)).toBe(secondBefore + 2)
    expect(await quitsOn(server)).toBe(firstBefore)
  } finally {
    await second.stop()
  }
})
