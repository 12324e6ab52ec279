import { print } from 'graphql'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { DeactivateUserTypenameDocument, LeaveGroupDocument, MemberLeftResumeDocument } from '../generated/graphql.js'
import { expectPayload } from '../support/client.js'
import { seedGroup } from '../support/domain-fixtures.js'
import { memberLeftIds, rawSubscribe } from '../support/raw-subscriber.js'
import { request } from '../support/remote.js'
import { assertTestRedisReachable, startPrivateRedis, testRedisUrl, uniqueRedisPrefix, type PrivateRedis } from '../support/redis.js'
import { gql, startTestServer, type TestServer } from '../support/server.js'
import { openRedis } from '../../src/redis/redis-client.js'
import { until } from '../support/until.js'

// Instances of the service over one database, hearing each other through Redis. Here they run
// in one process (each its own server, feed, Redis connections and channels); the tests with
// separate processes and kill -9 are in test/postgres/instance-processes.test.ts.

const resumeQuery = print(MemberLeftResumeDocument)


async function leave(server: TestServer, uid: string, guid: string): Promise<string> {
  const result = await request(server, await server.token(uid), LeaveGroupDocument, { guid })
  return expectPayload(result, 'leaveGroup', 'LeaveGroupPayload').event.id
}

async function deactivate(server: TestServer, uid: string): Promise<void> {
  const result = await gql(server, await server.token('backend', { admin: true }), DeactivateUserTypenameDocument, { uid })
  expect(result.data).toEqual({ deactivateUser: { __typename: 'DeactivateUserPayload' } })
}


/** Instances sharing the first one's database and one Redis prefix, each with its own Redis client. */
async function startInstances(count: number, redisUrl: string, crossInstancePollMs: number): Promise<TestServer[]> {
  const redisPrefix = uniqueRedisPrefix()
  const instance = (more: Partial<Parameters<typeof startTestServer>[0]> = {}) =>
    startTestServer({ redis: openRedis(redisUrl, () => {}), redisPrefix, crossInstancePollMs, ...more })
  const first = await instance()
  const others = await Promise.all(Array.from({ length: count - 1 }, () => instance({ database: first.db, authSecret: first.authSecret })))
  return [first, ...others]
}

async function stopAll(servers: TestServer[]): Promise<void> {
  // The first owns the database: stop it last.
  for (const server of [...servers].reverse()) {
    await server?.stop()
    server?.deps.redis?.disconnect()
  }
}

describe.runIf(testRedisUrl)('several instances over the shared Redis', { timeout: 60_000 }, () => {
  let servers: TestServer[] = []
  beforeAll(async () => {
    await assertTestRedisReachable()
    // Polling every minute: only Redis can bring an exit to another instance within the test.
    servers = await startInstances(3, testRedisUrl!, 60_000)
  }, 60_000)
  afterAll(() => stopAll(servers))

  test('exits committed concurrently through any instance reach subscribers on every instance exactly once, in one order', async () => {
    const group = await seedGroup(servers[0].db, { scopes: Array(30).fill('PARTICIPANT') })
    const owner = servers[0]
    const subscribers = await Promise.all(
      servers.flatMap((server) => [0, 1].map(async () => rawSubscribe(server.wsUrl, await owner.token(group.owner), resumeQuery, { guid: group.guid }))),
    )
    // Each instance's feed has registered its two subscriptions before anyone leaves.
    await until(() => servers.every((server) => server.deps.memberLeft.registrationCount >= 2), 'every subscription is registered')

    const exits = await Promise.all(group.uids.map((uid, i) => leave(servers[i % servers.length], uid, group.guid)))
    await until(() => subscribers.every((subscriber) => subscriber.results.length >= exits.length), 'every subscriber has all 30 exits')
    await new Promise((resolve) => setTimeout(resolve, 100))

    const order = memberLeftIds(subscribers[0])
    expect([...order].sort()).toEqual([...exits].sort())
    for (const subscriber of subscribers) expect(memberLeftIds(subscriber)).toEqual(order)
    await Promise.all(subscribers.map((subscriber) => subscriber.leave()))
  })

  test("a sign-out on one instance closes the user's connections on every instance with 4403", async () => {
    const group = await seedGroup(servers[0].db, { scopes: ['PARTICIPANT', 'PARTICIPANT'] })
    const [signedOut, bystander] = group.uids
    const onB = await rawSubscribe(servers[1].wsUrl, await servers[1].token(signedOut), resumeQuery, { guid: group.guid })
    const onC = await rawSubscribe(servers[2].wsUrl, await servers[2].token(signedOut), resumeQuery, { guid: group.guid })
    const bystanderOnB = await rawSubscribe(servers[1].wsUrl, await servers[1].token(bystander), resumeQuery, { guid: group.guid })
    await until(() => servers[1].deps.liveSessions.count(signedOut) === 1 && servers[2].deps.liveSessions.count(signedOut) === 1, 'both sessions are open')

    await deactivate(servers[0], signedOut)
    expect(await onB.closed).toBe(4403)
    expect(await onC.closed).toBe(4403)
    expect(servers[1].deps.liveSessions.count(bystander)).toBe(1)
    await bystanderOnB.leave()
  })
})

describe.runIf(testRedisUrl)('several instances when Redis goes away and comes back', { timeout: 60_000 }, () => {
  let redis: PrivateRedis
  let servers: TestServer[] = []
  beforeAll(async () => {
    redis = await startPrivateRedis()
    servers = await startInstances(2, redis.url, 300)
  }, 60_000)
  afterAll(async () => {
    await stopAll(servers)
    await redis?.stop()
  })

  test('exits still reach the other instance by polling, none lost or repeated; sign-outs missed meanwhile apply once Redis is back', async () => {
    const [a, b] = servers
    const group = await seedGroup(a.db, { scopes: ['PARTICIPANT', 'PARTICIPANT', 'PARTICIPANT', 'PARTICIPANT'] })
    const [first, second, third, signedOut] = group.uids
    const watcher = await rawSubscribe(b.wsUrl, await b.token(group.owner), resumeQuery, { guid: group.guid })
    const toBeSignedOut = await rawSubscribe(b.wsUrl, await b.token(signedOut), resumeQuery, { guid: group.guid })
    await until(() => b.deps.memberLeft.registrationCount >= 2, 'the subscriptions are registered')

    const before = await leave(a, first, group.guid)
    await until(() => watcher.results.length === 1, 'the exit before the outage arrives')

    await redis.stop()
    const readyz = await fetch(new URL('/readyz', b.url))
    expect(readyz.status).toBe(503)
    expect(await readyz.json()).toMatchObject({ status: 'not ready', failing: { redis: expect.any(String) }, checks: { database: 'ok', migrations: 'ok' } })
    const during = await leave(a, second, group.guid)
    await until(() => watcher.results.length === 2, 'the exit during the outage arrives by polling')
    // The deactivation removes the user from the group too: one more exit.
    await deactivate(a, signedOut)
    await until(() => watcher.results.length === 3, 'the deactivation exit arrives by polling')
    // Nothing carries the sign-out to b while Redis is away.
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(b.deps.liveSessions.count(signedOut)).toBe(1)

    await redis.restart()
    await until(() => b.deps.redis!.status === 'ready', 'the instance is connected to Redis again')
    expect((await fetch(new URL('/readyz', b.url))).status).toBe(200)
    expect(await Promise.race([toBeSignedOut.closed, new Promise((resolve) => setTimeout(() => resolve('still open'), 10_000))])).toBe(4403)
    const after = await leave(a, third, group.guid)
    await until(() => watcher.results.length === 4, 'the exit after the outage arrives')
    await new Promise((resolve) => setTimeout(resolve, 400))
    expect(memberLeftIds(watcher)).toEqual([before, during, expect.any(String), after])
    expect(new Set(memberLeftIds(watcher)).size).toBe(4)
    await watcher.leave()
  })
})
