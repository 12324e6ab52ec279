import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Webhook } from 'standardwebhooks'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, onTestFinished, test, vi, type MockInstance } from 'vitest'
import { openDatabase, type Database } from '../../src/db/database.js'
import {
  CreateWebhookEndpointDocument,
  DeleteWebhookEndpointDocument,
  LeaveGroupDocument,
  RedeliverWebhookDocument,
  RemoveMembersDocument,
  UpdateWebhookEndpointDocument,
  WebhookDeliveriesDocument,
  type WebhookDeliveriesQuery,
  type WebhookDeliveryStatus,
} from '../generated/graphql.js'
import { expectData, expectError, expectPayload } from '../support/client.js'
import { testDatabaseKind } from '../support/database.js'
import { seedGroup } from '../support/domain-fixtures.js'
import { openPrivateTestDatabase } from '../support/private-database.js'
import { request } from '../support/remote.js'
import { startTestServer, type TestServer } from '../support/server.js'
import { startWebhookReceiver, type ReceivedWebhook, type ReceiverBehaviour, type WebhookReceiver } from '../support/webhook-receiver.js'

// How deliveries behave over time: retries, timeouts, DEAD and redelivery, endpoints switched
// off or deleted, a restart with deliveries pending, and the deliveries listing. Real HTTP both
// ways: the server on port 0, a receiver on loopback. Every server has a database of its own,
// since its dispatcher serves every endpoint in its database (and needs its own retry timings).
// Each test deletes its endpoints when it ends, so a later test's exits do not reach them.

type Delivery = NonNullable<WebhookDeliveriesQuery['webhookEndpoints'][number]['deliveries']['edges'][number]>['node']

const TIMEOUT_MS = 200
/** Two attempts; the retry far enough ahead to delete or watch the delivery before it is due. */
const TWO_ATTEMPTS = '0.5'
const ok = () => ({ status: 200, body: '{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}' })
const failing = () => ({ status: 500, body: '{"ActionStatus":"FAIL","ErrorCode":1,"ErrorInfo":"down"}' })

interface Service {
  server: TestServer
  admin: string
}

/**
 * Fast polling, and a long timeout unless a test needs a short one: on PGlite the database runs
 * on the test process's event loop, which a burst of exits can block for a few hundred
 * milliseconds, long enough for a 200 ms deadline to pass before an answer that has arrived is read.
 */
const settingsFor = (retryDelays: string, timeoutMs = 5_000) => ({
  env: { WEBHOOK_RETRY_DELAYS: retryDelays, WEBHOOK_TIMEOUT_MS: String(timeoutMs) },
  webhooks: { pollMs: 25 },
})

/** A server with a database of its own. */
async function startService(retryDelays: string, timeoutMs?: number): Promise<Service> {
  const server = await startTestServer({ privateDatabase: true, ...settingsFor(retryDelays, timeoutMs) })
  return { server, admin: await server.token('backend', { admin: true }) }
}

interface Endpoint {
  id: string
  secret: string
  receiver: WebhookReceiver
}

/** A receiver and an endpoint pointing at it; both go away when the test ends (endpoint first). */
async function openEndpoint(service: Service, behaviour: ReceiverBehaviour = ok, options: { enabled?: boolean } = {}): Promise<Endpoint> {
  const receiver = await startWebhookReceiver(behaviour)
  const created = expectPayload(
    await request(service.server, service.admin, CreateWebhookEndpointDocument, { input: { url: receiver.url, enabled: options.enabled } }),
    'createWebhookEndpoint',
    'CreateWebhookEndpointPayload',
  )
  onTestFinished(async () => {
    // Already gone when the test deleted it itself; the answer does not matter here.
    await request(service.server, service.admin, DeleteWebhookEndpointDocument, { id: created.endpoint.id })
    await receiver.close()
  })
  expect(created.endpoint.enabled).toBe(options.enabled ?? true)
  return { id: created.endpoint.id, secret: created.secret, receiver }
}

interface Exit {
  eventId: string
  occurredAt: number
}

/** One committed exit: the member of a group leaves it (a fresh group unless one is given). */
async function leaveOne(server: TestServer, group?: { guid: string; uids: string[] }): Promise<Exit> {
  const g = group ?? (await seedGroup(server.db, { scopes: ['PARTICIPANT'] }))
  const left = expectPayload(
    await request(server, await server.token(g.uids[0]), LeaveGroupDocument, { guid: g.guid }),
    'leaveGroup',
    'LeaveGroupPayload',
  )
  return { eventId: left.event.id, occurredAt: Date.parse(left.event.occurredAt) }
}

const eventIdOf = (webhook: ReceivedWebhook): string => JSON.parse(webhook.body).EventId
const webhookIdOf = (webhook: ReceivedWebhook): string => String(webhook.headers['webhook-id'])

function verify(webhook: ReceivedWebhook, secret: string): unknown {
  const headers = Object.fromEntries(['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((name) => [name, String(webhook.headers[name])]))
  return new Webhook(secret).verify(webhook.body, headers)
}

/** Polls `read` until `done` holds, or fails after `timeoutMs` showing the last value read. */
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await read()
    if (done(value)) return value
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms; last seen: ${JSON.stringify(value)}`)
    await sleep(20)
  }
}

/** The requests that reached `receiver` for one event (at least `count` of them). */
async function requestsFor(receiver: WebhookReceiver, eventId: string, count = 1, timeoutMs = 10_000): Promise<ReceivedWebhook[]> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const matching = receiver.received.filter((w) => eventIdOf(w) === eventId)
    if (matching.length >= count) return matching
    const remaining = deadline - Date.now()
    if (remaining <= 0) throw new Error(`the receiver got ${matching.length} of ${count} webhooks for event ${eventId} within ${timeoutMs} ms`)
    await receiver.waitFor(receiver.received.length + 1, remaining).catch(() => undefined)
  }
}

/** One endpoint's deliveries page, through the webhookEndpoints query. */
async function deliveriesPage(
  service: Service,
  endpointId: string,
  args: { status?: WebhookDeliveryStatus; first?: number; after?: string } = {},
): Promise<{ nodes: Delivery[]; cursors: string[]; hasNextPage: boolean; endCursor: string | null }> {
  const data = expectData(await request(service.server, service.admin, WebhookDeliveriesDocument, { first: 100, ...args }))
  const endpoint = data.webhookEndpoints.find((e) => e.id === endpointId)
  if (!endpoint) throw new Error(`webhookEndpoints does not list ${endpointId}`)
  const edges = endpoint.deliveries.edges.map((edge) => edge!)
  return {
    nodes: edges.map((edge) => edge.node),
    cursors: edges.map((edge) => edge.cursor),
    hasNextPage: endpoint.deliveries.pageInfo.hasNextPage,
    endCursor: endpoint.deliveries.pageInfo.endCursor ?? null,
  }
}

async function deliveryOf(service: Service, endpointId: string, eventId: string): Promise<Delivery | undefined> {
  return (await deliveriesPage(service, endpointId)).nodes.find((d) => d.event.id === eventId)
}

/** The delivery once it is SUCCEEDED or DEAD. */
function settled(service: Service, endpointId: string, eventId: string, timeoutMs?: number): Promise<Delivery> {
  return until(
    () => deliveryOf(service, endpointId, eventId),
    (d) => d !== undefined && d.status !== 'PENDING',
    `the delivery of event ${eventId} to ${endpointId} did not settle`,
    timeoutMs,
  ) as Promise<Delivery>
}

// A failure to send or record shows up only as a log line (and a retry): fail the test on it.
let consoleError: MockInstance<typeof console.error>
beforeEach(() => {
  consoleError = vi.spyOn(console, 'error')
})
afterEach(() => {
  const dispatchErrors = consoleError.mock.calls.filter(([message]) => typeof message === 'string' && message.startsWith('webhook'))
  consoleError.mockRestore()
  expect(dispatchErrors, 'the dispatcher logged errors').toEqual([])
})

describe('three attempts, 50 ms apart', () => {
  let service: Service
  beforeAll(async () => {
    service = await startService('0.05,0.05', TIMEOUT_MS)
  })
  afterAll(async () => {
    await service?.server.stop()
  })

  test('a receiver answering 500 twice gets three attempts with one webhook-id and body, each signed when sent', async () => {
    const endpoint = await openEndpoint(service, (_request, index) => (index < 2 ? failing() : ok()))
    const exit = await leaveOne(service.server)

    const attempts = await endpoint.receiver.waitFor(3)
    expect(attempts.map(eventIdOf)).toEqual([exit.eventId, exit.eventId, exit.eventId])
    const [first] = attempts
    expect(webhookIdOf(first)).toMatch(/^msg_/)
    for (const attempt of attempts) {
      expect(webhookIdOf(attempt)).toBe(webhookIdOf(first))
      expect(attempt.body).toBe(first.body)
      expect(verify(attempt, endpoint.secret)).toMatchObject({ EventId: exit.eventId })
      // Signed at the attempt, not once when the delivery was written.
      expect(Math.abs(Number(attempt.headers['webhook-timestamp']) - attempt.receivedAt / 1000)).toBeLessThan(2)
    }
    // Backoff: each retry waits its delay (50 ms, jitter at most ±10%) after the failure.
    expect(attempts[1].receivedAt - attempts[0].receivedAt).toBeGreaterThanOrEqual(40)
    expect(attempts[2].receivedAt - attempts[1].receivedAt).toBeGreaterThanOrEqual(40)

    const delivery = await settled(service, endpoint.id, exit.eventId)
    expect(delivery).toMatchObject({
      id: webhookIdOf(first),
      status: 'SUCCEEDED',
      attempts: 3,
      lastStatusCode: 200,
      lastError: null,
      nextAttemptAt: null,
    })
    expect(Date.parse(delivery.deliveredAt!)).toBeGreaterThanOrEqual(exit.occurredAt)
    expect(endpoint.receiver.received).toHaveLength(3)
  })

  test('a receiver that never answers times out and is retried', async () => {
    const endpoint = await openEndpoint(service, (_request, index) => (index < 2 ? 'hang' : ok()))
    const exit = await leaveOne(service.server)

    const [first] = await endpoint.receiver.waitFor(1)
    const between = await until(
      () => deliveryOf(service, endpoint.id, exit.eventId),
      (d) => d?.lastError != null,
      'the timed-out attempt was not recorded',
    )
    expect(between).toMatchObject({ id: webhookIdOf(first), status: 'PENDING', lastStatusCode: null, deliveredAt: null })
    expect(between!.lastError).toMatch(new RegExp(`no answer within ${TIMEOUT_MS} ms`))
    expect(between!.nextAttemptAt).not.toBeNull()

    const [, second] = await endpoint.receiver.waitFor(2)
    expect(webhookIdOf(second)).toBe(webhookIdOf(first))
    // The first attempt was given up only after the timeout, then the retry delay passed.
    expect(second.receivedAt - first.receivedAt).toBeGreaterThanOrEqual(TIMEOUT_MS)

    const delivery = await settled(service, endpoint.id, exit.eventId)
    expect(delivery).toMatchObject({ status: 'SUCCEEDED', attempts: 3, lastStatusCode: 200, lastError: null })
  })

  test('a disabled endpoint gets no delivery; enabled again it gets new exits but not the ones it missed', async () => {
    const on = await openEndpoint(service)
    const off = await openEndpoint(service, ok, { enabled: false })

    const missed = await leaveOne(service.server)
    // The enabled endpoint's delivery shows the dispatcher has been through this exit.
    await requestsFor(on.receiver, missed.eventId)
    expect((await deliveriesPage(service, off.id)).nodes).toEqual([])

    const enabled = expectPayload(
      await request(service.server, service.admin, UpdateWebhookEndpointDocument, { id: off.id, enabled: true }),
      'updateWebhookEndpoint',
      'UpdateWebhookEndpointPayload',
    )
    expect(enabled.endpoint.enabled).toBe(true)

    // Both enabled endpoints get their own delivery of one exit: own webhook-id, own secret.
    const both = await leaveOne(service.server)
    const [toOn] = await requestsFor(on.receiver, both.eventId)
    const [toOff] = await requestsFor(off.receiver, both.eventId)
    expect(webhookIdOf(toOn)).not.toBe(webhookIdOf(toOff))
    expect(verify(toOn, on.secret)).toMatchObject({ EventId: both.eventId })
    expect(verify(toOff, off.secret)).toMatchObject({ EventId: both.eventId })
    expect(() => verify(toOff, on.secret)).toThrow()
    expect((await settled(service, on.id, both.eventId)).id).toBe(webhookIdOf(toOn))
    expect((await settled(service, off.id, both.eventId)).id).toBe(webhookIdOf(toOff))

    // Switched off by an update, an endpoint gets nothing for the next exit.
    expectPayload(
      await request(service.server, service.admin, UpdateWebhookEndpointDocument, { id: on.id, enabled: false }),
      'updateWebhookEndpoint',
      'UpdateWebhookEndpointPayload',
    )
    const later = await leaveOne(service.server)
    await requestsFor(off.receiver, later.eventId)

    // Which exits each endpoint got (at least once: a retry may repeat one).
    const eventsAt = (endpoint: Endpoint) => [...new Set(endpoint.receiver.received.map(eventIdOf))]
    expect(eventsAt(off)).toEqual([both.eventId, later.eventId])
    expect((await deliveriesPage(service, off.id)).nodes.map((d) => d.event.id)).toEqual([later.eventId, both.eventId])
    expect(eventsAt(on)).toEqual([missed.eventId, both.eventId])
    expect((await deliveriesPage(service, on.id)).nodes.map((d) => d.event.id)).toEqual([both.eventId, missed.eventId])
  })

  test("a disabled endpoint's pending delivery waits until the endpoint is enabled again", async () => {
    let answering = false
    const endpoint = await openEndpoint(service, () => (answering ? ok() : 'hang'))
    const exit = await leaveOne(service.server)
    await endpoint.receiver.waitFor(1)
    // Switched off while the first attempt is still waiting for its answer.
    expectPayload(
      await request(service.server, service.admin, UpdateWebhookEndpointDocument, { id: endpoint.id, enabled: false }),
      'updateWebhookEndpoint',
      'UpdateWebhookEndpointPayload',
    )
    // Once no attempt is in flight, with the retry due and several polls past it, nothing more is sent.
    const idle = await until(
      () => service.server.db.prisma.webhookDelivery.findFirstOrThrow({ where: { endpointId: endpoint.id, eventId: BigInt(exit.eventId) } }),
      (d) => d.lastError !== null && d.claimedUntil === null,
      'the timed-out attempt was not recorded',
    )
    expect(idle).toMatchObject({ status: 'PENDING', lastStatusCode: null })
    expect(idle.lastError).toMatch(/no answer/)
    const sent = endpoint.receiver.received.length
    expect(sent).toBe(idle.attempts)
    await sleep(Math.max(0, idle.nextAttemptAt!.getTime() - Date.now()) + 250)
    expect(endpoint.receiver.received).toHaveLength(sent)
    expect(await deliveryOf(service, endpoint.id, exit.eventId)).toMatchObject({ status: 'PENDING', attempts: idle.attempts })

    answering = true
    expectPayload(
      await request(service.server, service.admin, UpdateWebhookEndpointDocument, { id: endpoint.id, enabled: true }),
      'updateWebhookEndpoint',
      'UpdateWebhookEndpointPayload',
    )
    const retry = (await endpoint.receiver.waitFor(sent + 1))[sent]
    expect(eventIdOf(retry)).toBe(exit.eventId)
    expect(await settled(service, endpoint.id, exit.eventId)).toMatchObject({ status: 'SUCCEEDED', attempts: idle.attempts + 1 })
  })
})

describe('two attempts, half a second apart', () => {
  let service: Service
  beforeAll(async () => {
    service = await startService(TWO_ATTEMPTS)
  })
  afterAll(async () => {
    await service?.server.stop()
  })

  test('a delivery whose attempts run out is DEAD; redeliverWebhook sends it again at once', async () => {
    const endpoint = await openEndpoint(service, failing)
    const exit = await leaveOne(service.server)

    const dead = await settled(service, endpoint.id, exit.eventId)
    expect(dead).toMatchObject({ status: 'DEAD', attempts: 2, lastStatusCode: 500, nextAttemptAt: null, deliveredAt: null })
    expect(dead.lastError).toMatch(/HTTP 500/)
    expect(endpoint.receiver.received).toHaveLength(2)

    endpoint.receiver.behave(ok)
    const asked = Date.now()
    const redelivered = expectPayload(
      await request(service.server, service.admin, RedeliverWebhookDocument, { deliveryId: dead.id }),
      'redeliverWebhook',
      'RedeliverWebhookPayload',
    )
    expect(redelivered.delivery).toMatchObject({ id: dead.id, status: 'PENDING', attempts: 2 })
    expect(Date.parse(redelivered.delivery.nextAttemptAt!)).toBeLessThanOrEqual(Date.now())
    const [, , third] = await endpoint.receiver.waitFor(3)
    expect(webhookIdOf(third)).toBe(dead.id)
    expect(verify(third, endpoint.secret)).toMatchObject({ EventId: exit.eventId })
    expect(third.receivedAt - asked).toBeLessThan(2_000)
    expect(await settled(service, endpoint.id, exit.eventId)).toMatchObject({
      id: dead.id,
      status: 'SUCCEEDED',
      attempts: 3,
      lastStatusCode: 200,
      lastError: null,
      nextAttemptAt: null,
    })

    // Whatever its status: a SUCCEEDED delivery is sent once more too.
    expectPayload(
      await request(service.server, service.admin, RedeliverWebhookDocument, { deliveryId: dead.id }),
      'redeliverWebhook',
      'RedeliverWebhookPayload',
    )
    const [, , , fourth] = await endpoint.receiver.waitFor(4)
    expect(webhookIdOf(fourth)).toBe(dead.id)
    await until(
      () => deliveryOf(service, endpoint.id, exit.eventId),
      (d) => d?.status === 'SUCCEEDED' && d.attempts === 4,
      'the second redelivery did not succeed',
    )

    expectError(
      await request(service.server, service.admin, RedeliverWebhookDocument, { deliveryId: 'msg_00000000000000000000000000000000' }),
      'redeliverWebhook',
      'ERR_WEBHOOK_NOT_FOUND',
    )
  })

  test('an endpoint lists its deliveries newest first, filtered by status and paged with first/after', async () => {
    const failingGroups = new Set<string>()
    const endpoint = await openEndpoint(service, (webhook) => (failingGroups.has(JSON.parse(webhook.body).GroupId) ? failing() : ok()))
    // Which exits fail is decided by group, before the exit: the webhook may arrive before the mutation's answer.
    const exits: Exit[] = []
    for (let i = 0; i < 4; i++) {
      const g = await seedGroup(service.server.db, { scopes: ['PARTICIPANT'] })
      if (i % 2 === 0) failingGroups.add(g.guid)
      exits.push(await leaveOne(service.server, g))
    }
    // Deliveries are ordered by their exit's time; the exits committed one after another.
    for (let i = 1; i < exits.length; i++) expect(exits[i].occurredAt).toBeGreaterThan(exits[i - 1].occurredAt)
    const [e1, e2, e3, e4] = exits.map((e) => e.eventId)

    await until(
      () => deliveriesPage(service, endpoint.id),
      (page) => page.nodes.length === 4 && page.nodes.every((d) => d.status !== 'PENDING'),
      'the four deliveries did not settle',
    )

    const dead1 = await deliveriesPage(service, endpoint.id, { status: 'DEAD', first: 1 })
    expect(dead1.nodes.map((d) => [d.event.id, d.status])).toEqual([[e3, 'DEAD']])
    expect(dead1.hasNextPage).toBe(true)
    const dead2 = await deliveriesPage(service, endpoint.id, { status: 'DEAD', first: 1, after: dead1.endCursor! })
    expect(dead2.nodes.map((d) => [d.event.id, d.status])).toEqual([[e1, 'DEAD']])
    expect(dead2.hasNextPage).toBe(false)

    const succeeded = await deliveriesPage(service, endpoint.id, { status: 'SUCCEEDED' })
    expect(succeeded.nodes.map((d) => d.event.id)).toEqual([e4, e2])
    expect(succeeded.nodes.every((d) => d.attempts === 1 && d.lastStatusCode === 200)).toBe(true)
    expect((await deliveriesPage(service, endpoint.id, { status: 'PENDING' })).nodes).toEqual([])

    const page1 = await deliveriesPage(service, endpoint.id, { first: 3 })
    expect(page1.nodes.map((d) => d.event.id)).toEqual([e4, e3, e2])
    expect(page1.hasNextPage).toBe(true)
    expect(page1.endCursor).toBe(page1.cursors[2])
    const page2 = await deliveriesPage(service, endpoint.id, { first: 3, after: page1.endCursor! })
    expect(page2.nodes.map((d) => d.event.id)).toEqual([e1])
    expect(page2.hasNextPage).toBe(false)
  })

  test('deleting an endpoint removes its deliveries: a pending retry is never sent', async () => {
    const doomed = await openEndpoint(service, failing)
    // Fails once too, at the same moment: its retry shows the dispatcher was retrying meanwhile.
    const control = await openEndpoint(service, (_request, index) => (index === 0 ? failing() : ok()))
    const exit = await leaveOne(service.server)

    await doomed.receiver.waitFor(1)
    const prisma = service.server.db.prisma
    const pending = await until(
      () => prisma.webhookDelivery.findFirst({ where: { endpointId: doomed.id, eventId: BigInt(exit.eventId) } }),
      (d) => d?.lastStatusCode === 500,
      'the first attempt was not recorded',
    )
    expect(pending).toMatchObject({ status: 'PENDING', attempts: 1 })

    expectPayload(
      await request(service.server, service.admin, DeleteWebhookEndpointDocument, { id: doomed.id }),
      'deleteWebhookEndpoint',
      'DeleteWebhookEndpointPayload',
    )
    // Deleted while the retry was still ahead, or this test proves nothing.
    expect(Date.now()).toBeLessThan(pending!.nextAttemptAt!.getTime())
    expect(await prisma.webhookDelivery.count({ where: { endpointId: doomed.id } })).toBe(0)
    expect(await prisma.webhookEndpoint.count({ where: { id: doomed.id } })).toBe(0)
    const listed = expectData(await request(service.server, service.admin, WebhookDeliveriesDocument, {}))
    expect(listed.webhookEndpoints.map((e) => e.id)).not.toContain(doomed.id)

    const [, controlRetry] = await control.receiver.waitFor(2, 5_000)
    expect(eventIdOf(controlRetry)).toBe(exit.eventId)
    // Past the deleted delivery's own due time, by several polls: nothing came.
    await sleep(Math.max(0, pending!.nextAttemptAt!.getTime() - Date.now()) + 250)
    expect(doomed.receiver.received).toHaveLength(1)
    expect(await settled(service, control.id, exit.eventId)).toMatchObject({ status: 'SUCCEEDED', attempts: 2 })
  })

  test('two instances over one database send each delivery once', async () => {
    const second = await startTestServer({ database: service.server.db, authSecret: service.server.authSecret, ...settingsFor(TWO_ATTEMPTS) })
    try {
      const endpoint = await openEndpoint(service)
      // Exits committed on both instances at once; both dispatchers claim from the same outbox.
      const exits = await Promise.all(Array.from({ length: 8 }, (_, i) => leaveOne(i % 2 === 0 ? service.server : second)))
      const page = await until(
        () => deliveriesPage(service, endpoint.id),
        (p) => p.nodes.length === exits.length && p.nodes.every((d) => d.status === 'SUCCEEDED'),
        'the deliveries did not all succeed',
      )
      // One claim each (attempts counts claims), one request each.
      expect(page.nodes.map((d) => d.attempts)).toEqual(exits.map(() => 1))
      expect(endpoint.receiver.received.map(eventIdOf).sort()).toEqual(exits.map((e) => e.eventId).sort())
      expect(new Set(endpoint.receiver.received.map(webhookIdOf)).size).toBe(exits.length)
    } finally {
      await second.stop()
    }
  })
})

describe('restart', () => {
  /**
   * A database that outlives a server. PGlite: files in a temporary DATA_DIR, closed and opened
   * again as on a real restart. PostgreSQL: a private database kept open across both servers.
   */
  async function restartableDatabase(): Promise<{ open(): Promise<Database>; close(db: Database): Promise<void>; dispose(): Promise<void> }> {
    if (testDatabaseKind() === 'postgres') {
      const db = await openPrivateTestDatabase()
      return { open: async () => db, close: async () => {}, dispose: () => db.close() }
    }
    const dataDir = await mkdtemp(join(tmpdir(), 'departures-webhooks-'))
    return {
      open: async () => {
        const db = await openDatabase({ dataDir })
        await db.migrate()
        return db
      },
      close: (db) => db.close(),
      dispose: () => rm(dataDir, { recursive: true, force: true }),
    }
  }

  test('deliveries pending when the server stops are all sent by the next one', async () => {
    // Retries every 0.2 s, many of them: pending, never DEAD, whenever the stop comes.
    const settings = settingsFor(Array(30).fill('0.2').join(','))
    const storage = await restartableDatabase()
    const receiver = await startWebhookReceiver(failing)
    let db: Database | undefined
    let server: TestServer | undefined
    try {
      db = await storage.open()
      server = await startTestServer({ database: db, ...settings })
      const authSecret = server.authSecret
      const admin = await server.token('backend', { admin: true })
      const created = expectPayload(
        await request(server, admin, CreateWebhookEndpointDocument, { input: { url: receiver.url } }),
        'createWebhookEndpoint',
        'CreateWebhookEndpointPayload',
      )
      const eventIds: string[] = []
      for (let i = 0; i < 3; i++) eventIds.push((await leaveOne(server)).eventId)
      const batch = await seedGroup(server.db, { scopes: ['PARTICIPANT', 'PARTICIPANT'] })
      const removed = expectPayload(await request(server, admin, RemoveMembersDocument, { guid: batch.guid, uids: batch.uids }), 'removeMembers', 'RemoveMembersPayload')
      eventIds.push(removed.event!.id)

      // Every exit has been tried (and refused) at least once before the stop.
      for (const eventId of eventIds) await requestsFor(receiver, eventId)
      await server.stop()
      server = undefined
      const before = await db.prisma.webhookDelivery.findMany({ where: { endpointId: created.endpoint.id } })
      expect(before.map((d) => d.eventId.toString()).sort()).toEqual([...eventIds].sort())
      for (const delivery of before) {
        expect(delivery).toMatchObject({ status: 'PENDING', lastStatusCode: 500, claimedUntil: null })
        expect(delivery.attempts).toBeGreaterThanOrEqual(1)
      }
      await storage.close(db)
      db = undefined

      const sentBefore = receiver.received.length
      receiver.behave(ok)
      db = await storage.open()
      server = await startTestServer({ database: db, authSecret, ...settings })
      const restarted = { server, admin: await server.token('backend', { admin: true }) }

      for (const eventId of eventIds) {
        const afterRestart = await until(
          async () => receiver.received.slice(sentBefore).filter((w) => eventIdOf(w) === eventId),
          (matching) => matching.length > 0,
          `event ${eventId} was not sent after the restart`,
        )
        const delivery = before.find((d) => d.eventId.toString() === eventId)!
        expect(webhookIdOf(afterRestart[0])).toBe(delivery.id)
        expect(verify(afterRestart[0], created.secret)).toMatchObject({ EventId: eventId })
      }
      const page = await until(
        () => deliveriesPage(restarted, created.endpoint.id),
        (p) => p.nodes.length === eventIds.length && p.nodes.every((d) => d.status === 'SUCCEEDED'),
        'the deliveries did not all succeed after the restart',
      )
      expect(page.nodes.map((d) => d.event.id).sort()).toEqual([...eventIds].sort())
      for (const delivery of page.nodes) expect(delivery).toMatchObject({ lastStatusCode: 200, lastError: null, nextAttemptAt: null })
    } finally {
      await server?.stop()
      if (db) await storage.close(db)
      await receiver.close()
      await storage.dispose()
    }
  })

  test('a server stopping while a receiver has not answered gives the claim back within SHUTDOWN_TIMEOUT_MS: the next one sends it at once', async () => {
    const SHUTDOWN_TIMEOUT_MS = 1_500
    const db = await openPrivateTestDatabase()
    const receiver = await startWebhookReceiver(() => 'hang')
    let server: TestServer | undefined
    try {
      // A webhook timeout far beyond the shutdown timeout: only the shutdown can end the send.
      const settings = { env: { WEBHOOK_TIMEOUT_MS: '30000', SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS) }, webhooks: { pollMs: 25 } }
      server = await startTestServer({ database: db, ...settings })
      const authSecret = server.authSecret
      const admin = await server.token('backend', { admin: true })
      expectPayload(await request(server, admin, CreateWebhookEndpointDocument, { input: { url: receiver.url } }), 'createWebhookEndpoint', 'CreateWebhookEndpointPayload')
      const exit = await leaveOne(server)
      const [hung] = await requestsFor(receiver, exit.eventId)

      const stoppedAt = Date.now()
      await server.stop()
      server = undefined
      expect(Date.now() - stoppedAt).toBeLessThan(SHUTDOWN_TIMEOUT_MS)
      const [released] = await db.prisma.webhookDelivery.findMany({ where: { id: webhookIdOf(hung) } })
      expect(released).toMatchObject({ status: 'PENDING', attempts: 1, claimedUntil: null })

      // Its lease (WEBHOOK_TIMEOUT_MS + 30 s) would have held it for a minute.
      receiver.behave(ok)
      server = await startTestServer({ database: db, authSecret, ...settings })
      const [resent] = (await requestsFor(receiver, exit.eventId, 2, 5_000)).slice(1)
      expect(webhookIdOf(resent)).toBe(webhookIdOf(hung))
    } finally {
      await server?.stop()
      await receiver.close()
      await db.close()
    }
  })
})
