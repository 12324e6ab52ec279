import { randomBytes } from 'node:crypto'
import { print } from 'graphql'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { DeactivateUserTypenameDocument, LeaveGroupDocument, MemberLeftResumeDocument } from '../generated/graphql.js'
import { openDatabase, type Database } from '../../src/db/database.js'
import { onDatabaseServer } from '../../scripts/on-database-server.js'
import { expectPayload } from '../support/client.js'
import { seedGroup } from '../support/domain-fixtures.js'
import { memberLeftIds, rawSubscribe } from '../support/raw-subscriber.js'
import { assertTestRedisReachable, testRedisUrl, uniqueRedisPrefix } from '../support/redis.js'
import { request } from '../support/remote.js'
import { startServerProcess, type ServerProcess } from '../support/server-process.js'
import { until } from '../support/until.js'

// Server processes on a shared machine: longer waits than in-process tests.
const waiting = { timeoutMs: 10_000, pollMs: 10 }

// Three instances of the real server, each its own process, over one PostgreSQL database and
// the machine's Redis: what a deployment behind a load balancer is.

const postgresServerUrl = process.env.TEST_DATABASE_URL
if (!postgresServerUrl) console.log('TEST_DATABASE_URL is unset: the tests of server processes over one PostgreSQL are skipped.')

const resumeQuery = print(MemberLeftResumeDocument)



async function leave(instance: ServerProcess, uid: string, guid: string): Promise<string> {
  const endpoint = { url: instance.url, wsUrl: instance.wsUrl }
  return expectPayload(await request(endpoint, await instance.token(uid), LeaveGroupDocument, { guid }), 'leaveGroup', 'LeaveGroupPayload').event.id
}

describe.runIf(postgresServerUrl && testRedisUrl)('three server processes over one PostgreSQL and Redis', { timeout: 90_000 }, () => {
  const databaseName = `departures_instances_${randomBytes(4).toString('hex')}`
  let db: Database
  let instances: ServerProcess[] = []

  beforeAll(async () => {
    await assertTestRedisReachable()
    await onDatabaseServer(postgresServerUrl!, `CREATE DATABASE ${databaseName}`)
    const url = new URL(postgresServerUrl!)
    url.pathname = `/${databaseName}`
    db = await openDatabase({ databaseUrl: url.toString(), dataDir: 'memory' })
    await db.migrate()
    const env = { DATABASE_URL: url.toString(), REDIS_URL: testRedisUrl!, REDIS_PREFIX: uniqueRedisPrefix(), AUTH_SECRET: randomBytes(24).toString('base64url') }
    instances = await Promise.all([1, 2, 3].map(() => startServerProcess(env)))
  }, 90_000)

  afterAll(async () => {
    await Promise.all(instances.map((instance) => instance.stop()))
    await db?.close()
    await onDatabaseServer(postgresServerUrl!, `DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`)
  })

  test('30 exits committed concurrently through any instance reach subscribers on every instance exactly once, in one order', async () => {
    const group = await seedGroup(db, { scopes: Array(31).fill('PARTICIPANT') })
    // Subscribing after an earlier exit: whenever each subscription registers, it misses nothing after it.
    const earlier = await leave(instances[0], group.uids[30], group.guid)
    const subscribers = await Promise.all(
      instances.flatMap((instance) =>
        [0, 1].map(async () => rawSubscribe(instance.wsUrl, await instance.token(group.owner), resumeQuery, { guid: group.guid, after: earlier })),
      ),
    )
    const exits = await Promise.all(group.uids.slice(0, 30).map((uid, i) => leave(instances[i % 3], uid, group.guid)))
    await until(() => subscribers.every((subscriber) => subscriber.results.length >= 30), 'every subscriber has all 30 exits', waiting)
    await new Promise((resolve) => setTimeout(resolve, 200))

    const order = memberLeftIds(subscribers[0])
    expect([...order].sort()).toEqual([...exits].sort())
    for (const subscriber of subscribers) expect(memberLeftIds(subscriber)).toEqual(order)
    await Promise.all(subscribers.map((subscriber) => subscriber.leave()))
  })

  test("deactivateUser through one instance closes the user's sockets on the other two with 4403", async () => {
    const group = await seedGroup(db, { scopes: ['PARTICIPANT'] })
    const [uid] = group.uids
    const sockets = await Promise.all([1, 2].map(async (i) => rawSubscribe(instances[i].wsUrl, await instances[i].token(uid), resumeQuery, { guid: group.guid })))
    const admin = await instances[0].token('backend', { admin: true })
    const answer = await request({ url: instances[0].url, wsUrl: instances[0].wsUrl }, admin, DeactivateUserTypenameDocument, { uid })
    expect(answer.data).toEqual({ deactivateUser: { __typename: 'DeactivateUserPayload' } })
    expect(await Promise.all(sockets.map((socket) => socket.closed))).toEqual([4403, 4403])
  })

  test('after kill -9 of an instance, its subscriber resumes on another with after and gets every exit exactly once', async () => {
    const group = await seedGroup(db, { scopes: Array(9).fill('PARTICIPANT') })
    const [victim, survivor, other] = instances
    const token = await victim.token(group.owner)
    // Subscribing after an earlier exit: whenever the subscription registers, it misses nothing after it.
    const earlier = await leave(other, group.uids[8], group.guid)
    const onVictim = await rawSubscribe(victim.wsUrl, token, resumeQuery, { guid: group.guid, after: earlier })
    const before = await leave(other, group.uids[0], group.guid)
    await until(() => onVictim.results.length === 1, 'the subscriber on the victim has the first exit', waiting)

    expect((await victim.kill9()).signal).toBe('SIGKILL')
    expect(await onVictim.closed).toBe(1006)
    const whileDown = []
    for (const uid of group.uids.slice(1, 4)) whileDown.push(await leave(other, uid, group.guid))

    const resumed = await rawSubscribe(survivor.wsUrl, token, resumeQuery, { guid: group.guid, after: memberLeftIds(onVictim).at(-1) })
    const after = []
    for (const uid of group.uids.slice(4, 8)) after.push(await leave(other, uid, group.guid))
    await until(() => resumed.results.length === whileDown.length + after.length, 'the resumed subscriber has every later exit', waiting)
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(memberLeftIds(onVictim)).toEqual([before])
    expect(memberLeftIds(resumed)).toEqual([...whileDown, ...after])
    await resumed.leave()
  })
})
