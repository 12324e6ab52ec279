import { setTimeout as sleep } from 'node:timers/promises'
import { Webhook } from 'standardwebhooks'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import type { Database } from '../../src/db/database.js'
import { systemClock } from '../../src/domain/clock.js'
import { recordExits } from '../../src/domain/exits/record-exit.js'
import { createWebhookEndpoint } from '../../src/domain/webhooks/manage-endpoints.js'
import { redeliverWebhook } from '../../src/domain/webhooks/redeliver-webhook.js'
import type { WebhookEndpointDeps } from '../../src/domain/webhooks/webhook-deps.js'
import type { MemberLeftEvent } from '../../src/generated/prisma/client.js'
import { assertAllowedHost } from '../../src/webhooks/address-policy.js'
import { postWebhook, type WebhookRequest, type WebhookResponse } from '../../src/webhooks/http-sender.js'
import { SecretBox } from '../../src/webhooks/secret-box.js'
import { generateWebhookSecret } from '../../src/webhooks/signing.js'
import { WebhookDispatcher, type WebhookDispatcherOptions } from '../../src/webhooks/webhook-dispatcher.js'
import { appAdmin, domainDeps, seedGroup } from '../support/domain-fixtures.js'
import { openPrivateTestDatabase } from '../support/private-database.js'
import { startWebhookReceiver, type ReceiverBehaviour, type WebhookReceiver } from '../support/webhook-receiver.js'

// The dispatcher against a real database and a real HTTP receiver on loopback. A private
// database: a dispatcher serves every endpoint in its database, so another file's endpoints and
// deliveries must not be there. Each test deletes its endpoints (and so its deliveries) after.

const TIMEOUT_MS = 10_000
const RETRY_DELAYS = [60, 600]

let db: Database
let deps: WebhookEndpointDeps
let groupGuid: string
const box = new SecretBox('webhook-dispatcher-test-key')
const secrets = new Map<string, string>()
const dispatchers: WebhookDispatcher[] = []
const receivers: WebhookReceiver[] = []
const errors: unknown[] = []

beforeAll(async () => {
  db = await openPrivateTestDatabase()
  deps = {
    ...domainDeps(db),
    webhookSecrets: { generate: generateWebhookSecret, seal: (secret) => box.seal(secret) },
    checkWebhookHost: (hostname) => assertAllowedHost(hostname, true),
  }
  groupGuid = (await seedGroup(db)).guid
})

afterEach(async () => {
  // No endpoint, nothing to claim: stopping dispatchers then only waits for the sends in flight,
  // which closing the receivers ends (their results update no row).
  await db.prisma.webhookEndpoint.deleteMany()
  const stopped = dispatchers.splice(0).map((d) => d.stop())
  await Promise.all(receivers.splice(0).map((r) => r.close()))
  await Promise.all(stopped)
  expect(errors.splice(0)).toEqual([])
})
afterAll(() => db?.close())

function dispatcher(options: Partial<WebhookDispatcherOptions> = {}): WebhookDispatcher {
  const d = unstoppedDispatcher(options)
  dispatchers.push(d)
  return d
}

/** One that is never stopped: it plays a process that died with a send in flight. */
function unstoppedDispatcher(options: Partial<WebhookDispatcherOptions> = {}): WebhookDispatcher {
  return new WebhookDispatcher({
    prisma: db.prisma,
    clock: systemClock,
    secretBox: box,
    appId: '1400000001',
    timeoutMs: TIMEOUT_MS,
    retryDelaysSeconds: RETRY_DELAYS,
    allowPrivate: true,
    // Never by timer: the tests drive it with dispatchOnce(), or start() it for its refills.
    pollMs: 3_600_000,
    onError: (error) => errors.push(error),
    ...options,
  })
}

const realPost = (request: WebhookRequest) => postWebhook(request, { timeoutMs: TIMEOUT_MS, allowPrivate: true })

async function receiver(behaviour?: ReceiverBehaviour): Promise<WebhookReceiver> {
  const started = await startWebhookReceiver(behaviour)
  receivers.push(started)
  return started
}

async function endpoint(url: string): Promise<string> {
  const { value } = await createWebhookEndpoint(deps, appAdmin, { url })
  secrets.set(value.endpoint.id, value.secret)
  return value.endpoint.id
}

/** `count` committed exits: each has one PENDING delivery per endpoint. */
function exits(count: number): Promise<MemberLeftEvent[]> {
  return db.prisma.$transaction((tx) =>
    recordExits(
      tx,
      Array.from({ length: count }, (_, i) => ({
        exitType: 'QUIT' as const,
        reason: 'LEFT_BY_OWN_CHOICE' as const,
        groupGuid,
        memberUids: [`member${i}`],
        operatorUid: `member${i}`,
        occurredAt: new Date(),
      })),
    ),
  )
}

const deliveriesTo = (endpointId: string) => db.prisma.webhookDelivery.findMany({ where: { endpointId }, orderBy: { id: 'asc' } })
const delivery = (id: string) => db.prisma.webhookDelivery.findUniqueOrThrow({ where: { id } })

function deferred<T = void>() {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return { promise, resolve }
}

/** Polls `probe` until it returns something truthy; fails with `what` at the deadline. */
async function eventually<T>(what: string, probe: () => Promise<T | false | null | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const result = await probe()
    if (result) return result
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`)
    await sleep(20)
  }
}

describe('WebhookDispatcher', () => {
  test('a delivery whose dispatcher died mid-send is held until the lease lapses, then another sends it: same webhook-id, attempts 2', async () => {
    const LEASE_MS = 400
    const target = await receiver()
    const endpointId = await endpoint(target.url)
    const [event] = await exits(1)
    const [pending] = await deliveriesTo(endpointId)

    // The first dispatcher claims and starts the POST, which never ends: the process is gone.
    const inFlight = deferred<WebhookRequest>()
    const crashed = unstoppedDispatcher({ claimLeaseMs: LEASE_MS, post: (request) => (inFlight.resolve(request), new Promise<never>(() => {})) })
    void crashed.dispatchOnce()
    const lost = await inFlight.promise
    const claimedAt = Date.now()
    expect(lost.headers['webhook-id']).toBe(pending.id)
    expect(await delivery(pending.id)).toMatchObject({ status: 'PENDING', attempts: 1, claimedUntil: expect.any(Date) })

    // A second dispatcher cannot take it while the lease runs…
    const survivor = dispatcher()
    expect(await survivor.dispatchOnce()).toBe(0)
    expect(Date.now() - claimedAt, 'the check above must run inside the lease to mean anything').toBeLessThan(LEASE_MS)
    expect(target.received).toEqual([])

    // …and sends it once the lease has lapsed.
    await eventually('the survivor claims the lapsed delivery', async () => (await survivor.dispatchOnce()) === 1)
    expect(Date.now() - claimedAt).toBeGreaterThanOrEqual(LEASE_MS - 100)
    const [webhook] = await target.waitFor(1)
    expect(webhook.headers['webhook-id']).toBe(pending.id)
    expect(JSON.parse(webhook.body)).toMatchObject({ EventId: event.id.toString(), GroupId: groupGuid })
    const headers = Object.fromEntries(['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((name) => [name, String(webhook.headers[name])]))
    expect(new Webhook(secrets.get(endpointId)!).verify(webhook.body, headers)).toMatchObject({ EventId: event.id.toString() })
    expect(await delivery(pending.id)).toMatchObject({
      status: 'SUCCEEDED',
      attempts: 2,
      lastStatusCode: 200,
      lastError: null,
      claimedUntil: null,
      nextAttemptAt: null,
      deliveredAt: expect.any(Date),
    })
    expect(await survivor.dispatchOnce()).toBe(0)
    expect(target.received).toHaveLength(1)
  })

  test('stopping with a deadline cuts the sends still unanswered and gives their claims back: another dispatcher sends them at once, same webhook-id', async () => {
    const target = await receiver((_request, index) => (index < 2 ? 'hang' : { status: 200 }))
    const endpointId = await endpoint(target.url)
    await exits(2)
    const stopping = dispatcher({ post: realPost })
    stopping.start()
    const hung = await target.waitFor(2)
    const claimed = await deliveriesTo(endpointId)
    expect(claimed.map((d) => d.claimedUntil)).toEqual([expect.any(Date), expect.any(Date)])

    const stoppedAt = Date.now()
    await stopping.stop({ deadline: Date.now() + 200 })
    expect(Date.now() - stoppedAt, 'stop() waits until the deadline, then cuts').toBeGreaterThanOrEqual(150)
    expect(Date.now() - stoppedAt).toBeLessThan(TIMEOUT_MS / 2)
    for (const released of await deliveriesTo(endpointId)) {
      // The attempt counts (the receiver may have acted on it); nothing else about it changes.
      expect(released).toMatchObject({ status: 'PENDING', attempts: 1, claimedUntil: null, lastStatusCode: null, deliveredAt: null })
      expect(released.lastError).toMatch(/cut off/)
      expect(released.nextAttemptAt!.getTime()).toBeLessThanOrEqual(Date.now())
    }

    // Without the release the lease (TIMEOUT_MS + 30 s) would hold them for 40 s.
    expect(await dispatcher({ post: realPost }).dispatchOnce()).toBe(2)
    const resent = target.received.slice(2)
    expect(resent.map((w) => w.headers['webhook-id']).sort()).toEqual(hung.map((w) => w.headers['webhook-id']).sort())
    expect((await deliveriesTo(endpointId)).map((d) => [d.status, d.attempts])).toEqual([
      ['SUCCEEDED', 2],
      ['SUCCEEDED', 2],
    ])
  })

  test('a hanging endpoint holds only perEndpointConcurrency sends; a fast endpoint’s deliveries all go out meanwhile', async () => {
    const slow = await receiver(() => 'hang')
    const fast = await receiver()
    const slowId = await endpoint(slow.url)
    const fastId = await endpoint(fast.url)
    await exits(10)

    // Counts the sends in flight per receiver, around the real HTTP sender.
    const inFlight = new Map<string, number>()
    const peak = new Map<string, number>()
    const counted = async (request: WebhookRequest): Promise<WebhookResponse> => {
      const host = new URL(request.url).host
      inFlight.set(host, (inFlight.get(host) ?? 0) + 1)
      peak.set(host, Math.max(peak.get(host) ?? 0, inFlight.get(host)!))
      try {
        return await realPost(request)
      } finally {
        inFlight.set(host, inFlight.get(host)! - 1)
      }
    }
    const d = dispatcher({ perEndpointConcurrency: 2, post: counted })
    // Started, as in the service: each freed fast slot takes that endpoint's next delivery.
    d.start()

    const sent = await fast.waitFor(10, TIMEOUT_MS / 2)
    expect(new Set(sent.map((w) => w.headers['webhook-id'])).size).toBe(10)
    const fastRows = await eventually('every fast delivery recorded as SUCCEEDED', async () => {
      const rows = await deliveriesTo(fastId)
      return rows.every((r) => r.status === 'SUCCEEDED') && rows
    })
    expect(fastRows.map((r) => r.attempts)).toEqual(Array(10).fill(1))
    expect(sent.map((w) => w.headers['webhook-id']).sort()).toEqual(fastRows.map((r) => r.id).sort())

    await slow.waitFor(2)
    await sleep(200) // nothing more is sent to the slow endpoint while its two slots hang
    expect(slow.received).toHaveLength(2)
    const slowRows = await deliveriesTo(slowId)
    expect(slowRows.filter((r) => r.attempts === 1 && r.claimedUntil !== null).map((r) => r.id).sort()).toEqual(
      slow.received.map((w) => w.headers['webhook-id']).sort(),
    )
    expect(slowRows.filter((r) => r.attempts === 0 && r.claimedUntil === null)).toHaveLength(8)
    expect(slowRows.every((r) => r.status === 'PENDING')).toBe(true)
    expect(peak.get(new URL(slow.url).host)).toBe(2)
    expect(peak.get(new URL(fast.url).host)).toBeLessThanOrEqual(2)
  })

  test('a result for an attempt superseded by redeliverWebhook is not recorded over the newer attempt', async () => {
    // The first request to arrive is answered 200, the second 503: the releases below decide the order.
    const target = await receiver((_request, index) => (index === 0 ? { status: 200 } : { status: 503, body: 'try later' }))
    const endpointId = await endpoint(target.url)
    await exits(1)
    const [pending] = await deliveriesTo(endpointId)

    // Each attempt's POST waits for its release, then goes to the receiver for real.
    const started: { release: () => void }[] = []
    const startedOne = { next: deferred() }
    const d = dispatcher({
      post: async (request) => {
        const gate = deferred()
        started.push({ release: () => gate.resolve() })
        startedOne.next.resolve()
        await gate.promise
        return realPost(request)
      },
    })

    const first = d.dispatchOnce()
    await startedOne.next.promise
    expect(await delivery(pending.id)).toMatchObject({ attempts: 1, claimedUntil: expect.any(Date) })

    // Redelivered while the first attempt is in flight: claimed again at once, attempt 2.
    startedOne.next = deferred()
    const { value } = await redeliverWebhook(deps, appAdmin, { deliveryId: pending.id })
    expect(value.delivery).toMatchObject({ status: 'PENDING', attempts: 1, claimedUntil: null })
    const second = d.dispatchOnce()
    await startedOne.next.promise
    expect(started).toHaveLength(2)
    expect(await delivery(pending.id)).toMatchObject({ attempts: 2, claimedUntil: expect.any(Date) })

    // The superseded attempt succeeds: not recorded, attempt 2 still holds the delivery.
    started[0].release()
    await first
    expect(await delivery(pending.id)).toMatchObject({ status: 'PENDING', attempts: 2, claimedUntil: expect.any(Date), deliveredAt: null, lastStatusCode: null })

    // Attempt 2's own result (503) is recorded: a retry after the first delay.
    started[1].release()
    await second
    const after = await delivery(pending.id)
    expect(after).toMatchObject({ status: 'PENDING', attempts: 2, lastStatusCode: 503, lastError: 'HTTP 503: try later', claimedUntil: null, deliveredAt: null })
    expect(after.nextAttemptAt!.getTime() - Date.now()).toBeGreaterThan(RETRY_DELAYS[0] * 1000 * 0.85)
    expect(target.received.map((w) => w.headers['webhook-id'])).toEqual([pending.id, pending.id])
  })

  test('a stale failure of an attempt whose lease lapsed does not overwrite the success of the attempt that replaced it', async () => {
    const target = await receiver()
    const endpointId = await endpoint(target.url)
    await exits(1)
    const [pending] = await deliveriesTo(endpointId)

    const slowAnswer = deferred<WebhookResponse>()
    const inFlight = deferred()
    const late = unstoppedDispatcher({ claimLeaseMs: 200, post: () => (inFlight.resolve(), slowAnswer.promise) })
    const lateAttempt = late.dispatchOnce()
    await inFlight.promise

    const other = dispatcher()
    await eventually('the other dispatcher claims the lapsed delivery', async () => (await other.dispatchOnce()) === 1)
    expect(await delivery(pending.id)).toMatchObject({ status: 'SUCCEEDED', attempts: 2, lastStatusCode: 200 })

    // The first dispatcher was only slow, not dead: its failure arrives after all.
    slowAnswer.resolve({ ok: false, statusCode: 500, error: 'HTTP 500', body: '' })
    expect(await lateAttempt).toBe(1)
    await late.stop()
    expect(await delivery(pending.id)).toMatchObject({ status: 'SUCCEEDED', attempts: 2, lastStatusCode: 200, lastError: null, nextAttemptAt: null })
    expect(errors).toEqual([])
  })

  test('a redelivery asked for while an attempt is in flight is sent even if that attempt then succeeds', async () => {
    const target = await receiver()
    const endpointId = await endpoint(target.url)
    await exits(1)
    const [pending] = await deliveriesTo(endpointId)

    const gate = deferred()
    const posted = deferred()
    let calls = 0
    const d = dispatcher({
      post: async (request) => {
        if (++calls === 1) {
          posted.resolve()
          await gate.promise
        }
        return realPost(request)
      },
    })
    const first = d.dispatchOnce()
    await posted.promise
    await redeliverWebhook(deps, appAdmin, { deliveryId: pending.id })
    gate.resolve()
    await first // the superseded attempt succeeds before any dispatcher claims the redelivery
    const row = await delivery(pending.id)
    expect(row.attempts === 1 && row.status === 'SUCCEEDED', 'the superseded attempt recorded its success over the redelivery').toBe(false)

    await eventually('the redelivery is sent', async () => {
      await d.dispatchOnce()
      return target.received.length === 2
    }, 2_000)
    expect(await delivery(pending.id)).toMatchObject({ status: 'SUCCEEDED', attempts: 2 })
  })
})
