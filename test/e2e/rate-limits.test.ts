import { connect as connectTcp, createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net'
import { Redis, type RedisOptions } from 'ioredis'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import {
  LimitedAddMembersDocument,
  LimitedCreateGroupDocument,
  LimitedLeaveGroupDocument,
  LimitedSendGroupMessageDocument,
  MemberLeftDocument,
} from '../generated/graphql.js'
import { expectError, expectPayload } from '../support/client.js'
import { uniqueId } from '../support/database.js'
import { createUsers, seedGroup } from '../support/domain-fixtures.js'
import { request, subscribe } from '../support/remote.js'
import { startTestServer, whenFollowing, type TestServer as Server } from '../support/server.js'
import { testRedisUrl } from '../support/redis.js'

// Small limits, so that a test reaches them in a few requests.
const mutationLimits = { RATE_LIMIT_MUTATIONS: '3', RATE_LIMIT_WINDOW_SECONDS: '60' }

const limitedSend = (server: Server, token: string, guid: string) => request(server, token, LimitedSendGroupMessageDocument, { guid, text: 'hello' })

/** Sends a POST to /graphql with a raw body, as a flood would. */
async function post(server: Pick<Server, 'url'>, token: string | null, body: string): Promise<Response> {
  return fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body,
  })
}

const meQuery = JSON.stringify({ query: '{ me { uid } }' })

async function expectFlooded(response: Response): Promise<number> {
  expect(response.status).toBe(429)
  const retryAfter = Number(response.headers.get('retry-after'))
  expect(retryAfter).toBeGreaterThanOrEqual(1)
  expect(retryAfter).toBeLessThanOrEqual(60)
  expect(response.headers.get('content-type')).toMatch(/^application\/json/)
  expect(await response.json()).toEqual({
    errors: [{ message: `too many requests: try again in ${retryAfter} s`, extensions: { code: 'ERR_RATE_LIMITED', retryAfterSeconds: retryAfter } }],
  })
  return retryAfter
}

let server: Server
let adminToken: string
beforeAll(async () => {
  server = await startTestServer({ env: mutationLimits })
  adminToken = await server.token('backend', { admin: true })
})
afterAll(() => server?.stop())

describe('mutations per user', () => {
  test('the fourth mutation in a window answers RateLimitedError, writes nothing and publishes nothing', async () => {
    const g = await seedGroup(server.db, { scopes: ['PARTICIPANT', 'PARTICIPANT'] })
    const [limited, other] = g.uids
    const token = await server.token(limited)
    const live = await whenFollowing(server, () => subscribe(server, adminToken, MemberLeftDocument, { guid: g.guid }))

    for (let i = 0; i < 3; i++) expectPayload(await limitedSend(server, token, g.guid), 'sendGroupMessage', 'SendGroupMessagePayload')
    // Counted across mutations: a fourth of another kind is refused as well.
    const refused = expectError(await request(server, token, LimitedLeaveGroupDocument, { guid: g.guid }), 'leaveGroup', 'ERR_RATE_LIMITED')
    expect(refused).toMatchObject({ __typename: 'RateLimitedError', message: expect.stringMatching(/try again in \d+ s/) })
    const { retryAfterSeconds } = refused as { retryAfterSeconds: number }
    expect(retryAfterSeconds).toBeGreaterThanOrEqual(1)
    expect(retryAfterSeconds).toBeLessThanOrEqual(60)
    const newGuid = uniqueId('g')
    expectError(await request(server, token, LimitedCreateGroupDocument, { input: { guid: newGuid, name: 'never', type: 'PUBLIC' } }), 'createGroup', 'ERR_RATE_LIMITED')

    // Nothing written: still a member, no exit, no fifth message, no group.
    expect(await server.db.prisma.groupMember.count({ where: { groupGuid: g.guid, uid: limited } })).toBe(1)
    expect(await server.db.prisma.memberLeftEvent.count({ where: { groupGuid: g.guid } })).toBe(0)
    expect(await server.db.prisma.message.count({ where: { groupGuid: g.guid, senderUid: limited } })).toBe(3)
    expect(await server.db.prisma.group.count({ where: { guid: newGuid } })).toBe(0)

    // Another user has a bucket of its own; its exit is the first event the subscriber hears.
    const left = expectPayload(await request(server, await server.token(other), LimitedLeaveGroupDocument, { guid: g.guid }), 'leaveGroup', 'LeaveGroupPayload')
    expect((await live.next()).memberLeft.id).toBe(left.event.id)
    expect(live.received).toHaveLength(1)
    await live.close()
  })

  test('the app admin is not limited', async () => {
    const g = await seedGroup(server.db)
    const uids = await createUsers(server.db, 5)
    for (const uid of uids) {
      expectPayload(await request(server, adminToken, LimitedAddMembersDocument, { guid: g.guid, members: [{ uid }] }), 'addMembers', 'AddMembersPayload')
    }
    expect(await server.db.prisma.groupMember.count({ where: { groupGuid: g.guid } })).toBe(6)
  })

  test('a refused user is accepted again once its window has passed', async () => {
    const shortWindow = await startTestServer({ database: server.db, env: { RATE_LIMIT_MUTATIONS: '2', RATE_LIMIT_WINDOW_SECONDS: '1' } })
    try {
      const g = await seedGroup(server.db, { scopes: ['PARTICIPANT'] })
      const token = await shortWindow.token(g.uids[0])
      for (let i = 0; i < 2; i++) expectPayload(await limitedSend(shortWindow, token, g.guid), 'sendGroupMessage', 'SendGroupMessagePayload')
      const refused = expectError(await limitedSend(shortWindow, token, g.guid), 'sendGroupMessage', 'ERR_RATE_LIMITED')
      expect(refused).toMatchObject({ retryAfterSeconds: 1 })
      await new Promise((r) => setTimeout(r, 1_100))
      expectPayload(await limitedSend(shortWindow, token, g.guid), 'sendGroupMessage', 'SendGroupMessagePayload')
    } finally {
      await shortWindow.stop()
    }
  })
})

describe('request floods', () => {
  let flood: Server
  beforeAll(async () => {
    flood = await startTestServer({ database: server.db, env: { RATE_LIMIT_REQUESTS_PER_MINUTE: '5' } })
  })
  afterAll(() => flood?.stop())

  test("a user's requests beyond the minute's limit get 429 with Retry-After, before the body is read", async () => {
    const [uid, neighbour] = await createUsers(flood.db, 2)
    const token = await flood.token(uid)
    for (let i = 0; i < 5; i++) expect((await post(flood, token, meQuery)).status).toBe(200)
    // A body that Yoga would refuse with 400 gets 429: the limit answers before anything parses it.
    await expectFlooded(await post(flood, token, '{ this is not JSON'))
    await expectFlooded(await post(flood, token, meQuery))
    // Counted per user, not per address.
    const ok = await post(flood, await flood.token(neighbour), meQuery)
    expect(ok.status).toBe(200)
    expect(await ok.json()).toEqual({ data: { me: { uid: neighbour } } })
  })

  test('requests without a valid token are counted per client address; the app admin and /healthz are not limited', async () => {
    const healthz = new URL('/healthz', flood.url).href
    for (let i = 0; i < 5; i++) expect((await post(flood, null, '{ nope')).status).toBe(400)
    await expectFlooded(await post(flood, null, meQuery))
    // A token that does not verify names nobody: it counts against the address too.
    await expectFlooded(await post(flood, 'not-a-jwt', meQuery))
    const floodAdminToken = await flood.token('backend', { admin: true })
    for (let i = 0; i < 8; i++) {
      expect((await post(flood, floodAdminToken, meQuery)).status).toBe(200)
      expect((await fetch(healthz)).status).toBe(200)
    }
  })
})

/** ioredis options as src/main.ts uses them, plus an error listener so a test's log stays quiet. */
function redisClient(url: string, options: RedisOptions = {}): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, ...options })
  redis.on('error', () => {})
  return redis
}

describe('with Redis', () => {
  test('when Redis cannot be reached, mutations and requests are counted in memory and never fail', async () => {
    const port = await closedPort()
    const redis = redisClient(`redis://127.0.0.1:${port}`)
    const alone = await startTestServer({ database: server.db, env: mutationLimits, redis })
    try {
      await expectLimitedInMemory(alone)
    } finally {
      await alone.stop()
      redis.disconnect()
    }
  })

  async function expectLimitedInMemory(alone: Server): Promise<void> {
    const g = await seedGroup(server.db, { scopes: ['PARTICIPANT'] })
    const token = await alone.token(g.uids[0])
    for (let i = 0; i < 3; i++) expectPayload(await limitedSend(alone, token, g.guid), 'sendGroupMessage', 'SendGroupMessagePayload')
    expectError(await limitedSend(alone, token, g.guid), 'sendGroupMessage', 'ERR_RATE_LIMITED')
  }

  const redisUrl = testRedisUrl

  describe.skipIf(!redisUrl)('two instances sharing one Redis (TEST_REDIS_URL)', () => {
    const keyPrefix = `departures-test:${uniqueId('rate')}`
    const clients: Redis[] = []
    let a: Server
    let b: Server
    beforeAll(async () => {
      // Fails (rather than skips) when TEST_REDIS_URL is set but Redis does not answer.
      for (let i = 0; i < 3; i++) {
        const client = redisClient(redisUrl!, { lazyConnect: true, retryStrategy: () => null })
        clients.push(client)
        await client.connect().catch((error: Error) => {
          throw new Error(`TEST_REDIS_URL is set but Redis is unreachable: ${error.message}`)
        })
      }
      const env = { ...mutationLimits, RATE_LIMIT_REQUESTS_PER_MINUTE: '6' }
      a = await startTestServer({ database: server.db, env, redis: clients[0], redisPrefix: keyPrefix })
      b = await startTestServer({ database: server.db, env, redis: clients[1], redisPrefix: keyPrefix, authSecret: a.authSecret })
    })
    afterAll(async () => {
      await a?.stop()
      await b?.stop()
      const keys = clients[2]?.status === 'ready' ? await clients[2].keys(`${keyPrefix}:*`) : []
      if (keys.length > 0) await clients[2].del(...keys)
      for (const client of clients) client.disconnect()
    })

    test("a user's mutations are counted together on every instance", async () => {
      const g = await seedGroup(server.db, { scopes: ['PARTICIPANT'] })
      const token = await a.token(g.uids[0])
      expectPayload(await limitedSend(a, token, g.guid), 'sendGroupMessage', 'SendGroupMessagePayload')
      expectPayload(await limitedSend(b, token, g.guid), 'sendGroupMessage', 'SendGroupMessagePayload')
      expectPayload(await limitedSend(a, token, g.guid), 'sendGroupMessage', 'SendGroupMessagePayload')
      expectError(await limitedSend(b, token, g.guid), 'sendGroupMessage', 'ERR_RATE_LIMITED')
      expectError(await limitedSend(a, token, g.guid), 'sendGroupMessage', 'ERR_RATE_LIMITED')
      expect(await server.db.prisma.message.count({ where: { groupGuid: g.guid } })).toBe(3)
      // The counters are Redis's, not the in-memory fallback's.
      expect(await clients[2].get(`${keyPrefix}:rate:mutations:${g.uids[0]}`)).toBe('5')
    })

    test("a user's requests are counted together on every instance", async () => {
      const [uid] = await createUsers(server.db, 1)
      const token = await a.token(uid)
      for (let i = 0; i < 3; i++) {
        expect((await post(a, token, meQuery)).status).toBe(200)
        expect((await post(b, token, meQuery)).status).toBe(200)
      }
      await expectFlooded(await post(a, token, meQuery))
      await expectFlooded(await post(b, token, meQuery))
    })

    test('when Redis stops answering, a request waits at most half a second for it, then memory decides', async () => {
      const proxy = await freezableProxy(new URL(redisUrl!))
      const redis = redisClient(`redis://127.0.0.1:${proxy.port}`, { lazyConnect: true })
      await redis.connect()
      const frozen = await startTestServer({ database: server.db, env: mutationLimits, redis, redisPrefix: `${keyPrefix}-frozen` })
      try {
        proxy.freeze()
        const started = Date.now()
        await expectLimitedInMemory(frozen)
        // Four requests, each counted twice (as a request, then as a mutation), 0.5 s at most each time.
        expect(Date.now() - started).toBeLessThan(4 * 2 * 500 + 2_000)
      } finally {
        await frozen.stop()
        redis.disconnect()
        await proxy.close()
      }
    })
  })
})

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createTcpServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address() as AddressInfo
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  return port
}

/** A TCP proxy to Redis that, once frozen, passes nothing back: a Redis that has stopped answering. */
async function freezableProxy(target: URL): Promise<{ port: number; freeze(): void; close(): Promise<void> }> {
  let frozen = false
  const sockets = new Set<Socket>()
  const proxy = createTcpServer((client) => {
    const upstream = connectTcp(Number(target.port || 6379), target.hostname)
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
      socket.on('error', () => {})
    }
    client.on('data', (chunk) => upstream.write(chunk))
    upstream.on('data', (chunk) => frozen || client.write(chunk))
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
  })
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
  return {
    port: (proxy.address() as AddressInfo).port,
    freeze: () => void (frozen = true),
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => proxy.close(() => resolve()))
    },
  }
}
