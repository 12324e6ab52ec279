// Webhook endpoint management at the schema level: app-admin only, the secret shown once and
// stored sealed, URL validation, the deliveries connection fed by real exits, redelivery.
//
// On a private database: every exit writes a delivery for every enabled endpoint, so endpoints
// in the run's shared database would collect deliveries from every other test file's exits.
import { formatPrismaCursor } from '@pothos/plugin-prisma'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { AppDeps } from '../../src/context.js'
import type { Database } from '../../src/db/database.js'
import type { Clock } from '../../src/domain/clock.js'
import { leaveGroup } from '../../src/domain/groups/leave-group.js'
import { SecretBox } from '../../src/webhooks/secret-box.js'
import {
  SchemaWebhookCreateEndpointDocument,
  SchemaWebhookDeleteEndpointDocument,
  SchemaWebhookDeliveriesDocument,
  SchemaWebhookEndpointsDocument,
  SchemaWebhookEndpointTypeDocument,
  SchemaWebhookRedeliverDocument,
  SchemaWebhookRotateSecretDocument,
  SchemaWebhookUpdateEndpointDocument,
  type CreateWebhookEndpointInput,
  type SchemaWebhookDeliveriesQueryVariables,
} from '../generated/graphql.js'
import { adminViewer, executeAs, expectData, expectError, expectGraphQLError, expectPayload, testDeps, userViewer } from '../support/client.js'
import { uniqueId } from '../support/database.js'
import { createUsers, domainDeps, manualClock, seedGroup, userActor } from '../support/domain-fixtures.js'
import { openPrivateTestDatabase } from '../support/private-database.js'

/** testDeps seals with this key. */
const serverKey = 'schema-tests-server-key'

/**
 * Stands in for the dispatcher: testDeps' real one is never started, but nudge() (which
 * redeliverWebhook calls) would still run a pass and POST due deliveries, changing the rows
 * these tests read. Counting the nudges pins that a redelivery asks for a send.
 */
function countingDispatcher(): AppDeps['webhookDispatcher'] & { nudges: number } {
  return {
    nudges: 0,
    start() {},
    stop: async () => {},
    nudge() {
      this.nudges += 1
    },
  }
}

let db: Database
let deps: AppDeps
let dispatcher: ReturnType<typeof countingDispatcher>
const admin = adminViewer()

beforeAll(async () => {
  db = await openPrivateTestDatabase()
  dispatcher = countingDispatcher()
  deps = testDeps(db, { webhookDispatcher: dispatcher })
})
afterAll(() => db?.close())

/** An address nothing listens on (port 9, discard): nothing here is ever sent. */
const hookUrl = () => `http://127.0.0.1:9/hooks/${uniqueId('h')}`

async function createEndpoint(on: AppDeps = deps, input: Partial<CreateWebhookEndpointInput> = {}) {
  const result = await executeAs(on, admin, SchemaWebhookCreateEndpointDocument, { input: { url: hookUrl(), ...input } })
  return expectPayload(result, 'createWebhookEndpoint', 'CreateWebhookEndpointPayload')
}

/** A real exit (a participant leaves a fresh group), committed through the domain; its event id. */
async function exitOnce(clock?: Clock): Promise<bigint> {
  const g = await seedGroup(db, { scopes: ['PARTICIPANT'] })
  const { events } = await leaveGroup(domainDeps(db, clock), userActor(g.uids[0]), { guid: g.guid })
  expect(events).toHaveLength(1)
  return events[0].id
}

/** The deliveries connection of one endpoint, as the admin reads it. */
async function deliveriesOf(endpointId: string, variables: SchemaWebhookDeliveriesQueryVariables = {}) {
  const data = expectData(await executeAs(deps, admin, SchemaWebhookDeliveriesDocument, variables))
  const endpoint = data.webhookEndpoints.find((e) => e.id === endpointId)
  expect(endpoint, `endpoint ${endpointId} is listed`).toBeDefined()
  return endpoint!.deliveries
}

const nodesOf = (connection: Awaited<ReturnType<typeof deliveriesOf>>) => connection.edges.map((edge) => edge!.node)

async function deliveryIdFor(endpointId: string, eventId: bigint): Promise<string> {
  return (await db.prisma.webhookDelivery.findFirstOrThrow({ where: { endpointId, eventId } })).id
}

describe('authorization', () => {
  test('a plain user gets a top-level FORBIDDEN for webhookEndpoints and each of the five mutations, and changes nothing', async () => {
    const [uid] = await createUsers(db, 1)
    const user = userViewer(uid)
    const { endpoint, secret } = await createEndpoint()
    const eventId = await exitOnce()
    const deliveryId = await deliveryIdFor(endpoint.id, eventId)
    const stored = await db.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: endpoint.id } })
    const endpointsBefore = await db.prisma.webhookEndpoint.count()
    const nudgesBefore = dispatcher.nudges

    const list = await executeAs(deps, user, SchemaWebhookEndpointsDocument)
    expectGraphQLError(list, 'FORBIDDEN')
    expect(list.data ?? null).toBeNull()

    const url = hookUrl()
    const attempts = [
      ['createWebhookEndpoint', await executeAs(deps, user, SchemaWebhookCreateEndpointDocument, { input: { url } })],
      ['updateWebhookEndpoint', await executeAs(deps, user, SchemaWebhookUpdateEndpointDocument, { id: endpoint.id, url: hookUrl(), enabled: false })],
      ['deleteWebhookEndpoint', await executeAs(deps, user, SchemaWebhookDeleteEndpointDocument, { id: endpoint.id })],
      ['rotateWebhookSecret', await executeAs(deps, user, SchemaWebhookRotateSecretDocument, { id: endpoint.id })],
      ['redeliverWebhook', await executeAs(deps, user, SchemaWebhookRedeliverDocument, { deliveryId })],
    ] as const
    for (const [field, result] of attempts) {
      const error = expectGraphQLError(result, 'FORBIDDEN')
      expect(error.path, field).toEqual([field])
      expect(result.data ?? null, field).toBeNull()
    }

    expect(await db.prisma.webhookEndpoint.count()).toBe(endpointsBefore)
    expect(await db.prisma.webhookEndpoint.count({ where: { url } })).toBe(0)
    expect(await db.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: endpoint.id } })).toEqual(stored)
    expect(new SecretBox(serverKey).open(stored.sealedSecret)).toBe(secret)
    expect(await db.prisma.webhookDelivery.findUniqueOrThrow({ where: { id: deliveryId } })).toMatchObject({ status: 'PENDING', attempts: 0 })
    expect(dispatcher.nudges).toBe(nudgesBefore)
  })
  test('without a viewer, webhookEndpoints and the mutations answer UNAUTHENTICATED', async () => {
    expectGraphQLError(await executeAs(deps, null, SchemaWebhookEndpointsDocument), 'UNAUTHENTICATED')
    expectGraphQLError(await executeAs(deps, null, SchemaWebhookCreateEndpointDocument, { input: { url: hookUrl() } }), 'UNAUTHENTICATED')
    expectGraphQLError(await executeAs(deps, null, SchemaWebhookRedeliverDocument, { deliveryId: uniqueId('msg') }), 'UNAUTHENTICATED')
  })
})

describe('createWebhookEndpoint', () => {
  test('returns a whsec_ secret once and stores it only sealed with the server key', async () => {
    const clock = manualClock(new Date('2026-04-01T08:00:00Z'))
    const url = hookUrl()
    const { endpoint, secret } = await createEndpoint(testDeps(db, { clock, webhookDispatcher: dispatcher }), { url })
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
    expect(Buffer.from(secret.slice('whsec_'.length), 'base64')).toHaveLength(32)
    expect(endpoint).toEqual({ id: expect.stringMatching(/^we_/), url, enabled: true, createdAt: '2026-04-01T08:00:00.000Z' })

    const stored = await db.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: endpoint.id } })
    const key = secret.slice('whsec_'.length)
    expect(stored.sealedSecret).not.toContain(secret)
    expect(stored.sealedSecret).not.toContain(key)
    expect(stored.sealedSecret).not.toContain(Buffer.from(key, 'base64').toString('base64url'))
    expect(new SecretBox(serverKey).open(stored.sealedSecret)).toBe(secret)
    expect(() => new SecretBox('another-server-key').open(stored.sealedSecret)).toThrow(/cannot decrypt/)

    // Each endpoint has its own secret.
    const other = await createEndpoint()
    expect(other.secret).not.toBe(secret)
  })

  test('enabled defaults to true and false is kept', async () => {
    expect((await createEndpoint(deps, {})).endpoint.enabled).toBe(true)
    expect((await createEndpoint(deps, { enabled: null })).endpoint.enabled).toBe(true)
    const off = await createEndpoint(deps, { enabled: false })
    expect(off.endpoint.enabled).toBe(false)
    expect(await db.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: off.endpoint.id } })).toMatchObject({ enabled: false })
  })

  test('each invalid URL is ERR_INVALID_INPUT on input.url and creates nothing', async () => {
    const tooLong = `http://127.0.0.1/${'a'.repeat(2048 - 'http://127.0.0.1/'.length + 1)}`
    expect(tooLong).toHaveLength(2049)
    const cases = ['not a url', '/relative/path', 'ftp://127.0.0.1/hook', 'http://user:pass@127.0.0.1/hook', 'https://user@127.0.0.1/hook', tooLong]
    const before = await db.prisma.webhookEndpoint.count()
    for (const url of cases) {
      const result = await executeAs(deps, admin, SchemaWebhookCreateEndpointDocument, { input: { url } })
      const error = expectError(result, 'createWebhookEndpoint', 'ERR_INVALID_INPUT')
      expect(error.__typename, url.slice(0, 40)).toBe('DomainError')
      expect(error.message, url.slice(0, 40)).toMatch(/^input\.url: /)
    }
    expect(await db.prisma.webhookEndpoint.count()).toBe(before)
  })

  test('a URL of exactly 2,048 characters is accepted', async () => {
    const url = `http://127.0.0.1/${'a'.repeat(2048 - 'http://127.0.0.1/'.length)}`
    expect(url).toHaveLength(2048)
    expect((await createEndpoint(deps, { url })).endpoint.url).toBe(url)
  })
})

describe('updateWebhookEndpoint', () => {
  test('changes the url and enabled, keeps what is not given, and leaves the secret alone', async () => {
    const { endpoint } = await createEndpoint()
    const sealed = (await db.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: endpoint.id } })).sealedSecret
    const url = hookUrl()

    const both = await executeAs(deps, admin, SchemaWebhookUpdateEndpointDocument, { id: endpoint.id, url, enabled: false })
    expect(expectPayload(both, 'updateWebhookEndpoint', 'UpdateWebhookEndpointPayload').endpoint).toEqual({ ...endpoint, url, enabled: false })

    const enabledOnly = await executeAs(deps, admin, SchemaWebhookUpdateEndpointDocument, { id: endpoint.id, enabled: true })
    expect(expectPayload(enabledOnly, 'updateWebhookEndpoint', 'UpdateWebhookEndpointPayload').endpoint).toEqual({ ...endpoint, url, enabled: true })

    const urlOnly = await executeAs(deps, admin, SchemaWebhookUpdateEndpointDocument, { id: endpoint.id, url: endpoint.url })
    expect(expectPayload(urlOnly, 'updateWebhookEndpoint', 'UpdateWebhookEndpointPayload').endpoint).toEqual({ ...endpoint, enabled: true })

    const listed = expectData(await executeAs(deps, admin, SchemaWebhookEndpointsDocument)).webhookEndpoints.find((e) => e.id === endpoint.id)
    expect(listed).toEqual(endpoint)
    expect((await db.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: endpoint.id } })).sealedSecret).toBe(sealed)
  })

  test('an unknown id is ERR_WEBHOOK_NOT_FOUND', async () => {
    const result = await executeAs(deps, admin, SchemaWebhookUpdateEndpointDocument, { id: uniqueId('we'), enabled: false })
    expect(expectError(result, 'updateWebhookEndpoint', 'ERR_WEBHOOK_NOT_FOUND').__typename).toBe('DomainError')
  })

  test('a bad url is ERR_INVALID_INPUT naming url and changes nothing', async () => {
    const { endpoint } = await createEndpoint()
    for (const url of ['not a url', 'ftp://127.0.0.1/hook', 'http://user:pass@127.0.0.1/hook', `http://127.0.0.1/${'a'.repeat(2040)}`]) {
      const result = await executeAs(deps, admin, SchemaWebhookUpdateEndpointDocument, { id: endpoint.id, url, enabled: false })
      expect(expectError(result, 'updateWebhookEndpoint', 'ERR_INVALID_INPUT').message, url.slice(0, 40)).toMatch(/^url: /)
    }
    expect(await db.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: endpoint.id } })).toMatchObject({ url: endpoint.url, enabled: true })
  })
})

describe('rotateWebhookSecret', () => {
  test('returns a different secret and replaces the sealed value; url and enabled stay', async () => {
    const { endpoint, secret } = await createEndpoint(deps, { enabled: false })
    const before = await db.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: endpoint.id } })

    const result = await executeAs(deps, admin, SchemaWebhookRotateSecretDocument, { id: endpoint.id })
    const rotated = expectPayload(result, 'rotateWebhookSecret', 'RotateWebhookSecretPayload')
    expect(rotated.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
    expect(rotated.secret).not.toBe(secret)
    expect(rotated.endpoint).toEqual(endpoint)

    const after = await db.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: endpoint.id } })
    expect(after.sealedSecret).not.toBe(before.sealedSecret)
    expect(after.sealedSecret).not.toContain(rotated.secret.slice('whsec_'.length))
    expect(new SecretBox(serverKey).open(after.sealedSecret)).toBe(rotated.secret)
    expect(after).toEqual({ ...before, sealedSecret: after.sealedSecret })
  })

  test('an unknown id is ERR_WEBHOOK_NOT_FOUND', async () => {
    const result = await executeAs(deps, admin, SchemaWebhookRotateSecretDocument, { id: uniqueId('we') })
    expectError(result, 'rotateWebhookSecret', 'ERR_WEBHOOK_NOT_FOUND')
  })
})

describe('deleteWebhookEndpoint', () => {
  test('returns the id; the endpoint and its deliveries are gone, the exit stays; deleting again is ERR_WEBHOOK_NOT_FOUND', async () => {
    const { endpoint } = await createEndpoint()
    const eventId = await exitOnce()
    expect(await db.prisma.webhookDelivery.count({ where: { endpointId: endpoint.id } })).toBe(1)

    const result = await executeAs(deps, admin, SchemaWebhookDeleteEndpointDocument, { id: endpoint.id })
    expect(expectPayload(result, 'deleteWebhookEndpoint', 'DeleteWebhookEndpointPayload').id).toBe(endpoint.id)
    expect(await db.prisma.webhookEndpoint.count({ where: { id: endpoint.id } })).toBe(0)
    expect(await db.prisma.webhookDelivery.count({ where: { endpointId: endpoint.id } })).toBe(0)
    expect(await db.prisma.memberLeftEvent.count({ where: { id: eventId } })).toBe(1)
    const listed = expectData(await executeAs(deps, admin, SchemaWebhookEndpointsDocument)).webhookEndpoints
    expect(listed.map((e) => e.id)).not.toContain(endpoint.id)

    const again = await executeAs(deps, admin, SchemaWebhookDeleteEndpointDocument, { id: endpoint.id })
    expectError(again, 'deleteWebhookEndpoint', 'ERR_WEBHOOK_NOT_FOUND')
  })
})

describe('webhookEndpoints', () => {
  test('lists every endpoint oldest first, by createdAt rather than by when it was written', async () => {
    const clock = manualClock(new Date('2026-05-01T00:00:00Z'))
    const timed = testDeps(db, { clock, webhookDispatcher: dispatcher })
    const middle = (await createEndpoint(timed)).endpoint
    clock.advance(60_000)
    const newest = (await createEndpoint(timed)).endpoint
    clock.advance(-3_600_000)
    const oldest = (await createEndpoint(timed)).endpoint

    const listed = expectData(await executeAs(deps, admin, SchemaWebhookEndpointsDocument)).webhookEndpoints
    const mine = listed.filter((e) => [middle.id, newest.id, oldest.id].includes(e.id))
    expect(mine).toEqual([oldest, middle, newest])
    const order = listed.map((e) => [e.createdAt, e.id].join(' '))
    expect(order).toEqual([...order].sort())
    expect(listed).toHaveLength(await db.prisma.webhookEndpoint.count())
  })

  test('an exit writes one PENDING delivery per enabled endpoint, due when it happened; a disabled endpoint gets none', async () => {
    const on = (await createEndpoint()).endpoint
    const off = (await createEndpoint(deps, { enabled: false })).endpoint
    const clock = manualClock(new Date('2026-02-03T04:05:06.789Z'))
    const eventId = await exitOnce(clock)

    const enabled = await db.prisma.webhookEndpoint.count({ where: { enabled: true } })
    expect(await db.prisma.webhookDelivery.count({ where: { eventId } })).toBe(enabled)
    expect(nodesOf(await deliveriesOf(off.id))).toEqual([])
    expect(nodesOf(await deliveriesOf(on.id))).toEqual([
      {
        id: expect.stringMatching(/^msg_[0-9a-f]{32}$/),
        status: 'PENDING',
        attempts: 0,
        lastStatusCode: null,
        lastError: null,
        nextAttemptAt: '2026-02-03T04:05:06.789Z',
        deliveredAt: null,
        event: { id: eventId.toString(), exitType: 'QUIT' },
      },
    ])
  })

  test('deliveries come newest first and filter by status', async () => {
    const { endpoint } = await createEndpoint()
    const clock = manualClock(new Date('2026-03-01T00:00:00Z'))
    const events: bigint[] = []
    for (let i = 0; i < 4; i++) {
      events.push(await exitOnce(clock))
      clock.advance(1000)
    }
    const [dead, succeeded, pendingOld, pendingNew] = await Promise.all(events.map((id) => deliveryIdFor(endpoint.id, id)))
    await db.prisma.webhookDelivery.update({
      where: { id: dead },
      data: { status: 'DEAD', attempts: 6, lastStatusCode: 500, lastError: 'HTTP 500: boom', nextAttemptAt: null },
    })
    const deliveredAt = new Date('2026-03-01T00:00:05Z')
    await db.prisma.webhookDelivery.update({
      where: { id: succeeded },
      data: { status: 'SUCCEEDED', attempts: 1, lastStatusCode: 200, deliveredAt, nextAttemptAt: null },
    })

    const all = nodesOf(await deliveriesOf(endpoint.id))
    expect(all.map((d) => d.id)).toEqual([pendingNew, pendingOld, succeeded, dead])
    expect(all.map((d) => d.event.id)).toEqual([...events].reverse().map(String))
    expect(all.every((d) => d.event.exitType === 'QUIT')).toBe(true)

    const deadOnes = nodesOf(await deliveriesOf(endpoint.id, { status: 'DEAD' }))
    expect(deadOnes).toEqual([
      {
        id: dead,
        status: 'DEAD',
        attempts: 6,
        lastStatusCode: 500,
        lastError: 'HTTP 500: boom',
        nextAttemptAt: null,
        deliveredAt: null,
        event: { id: events[0].toString(), exitType: 'QUIT' },
      },
    ])
    const succeededOnes = nodesOf(await deliveriesOf(endpoint.id, { status: 'SUCCEEDED' }))
    expect(succeededOnes).toMatchObject([{ id: succeeded, status: 'SUCCEEDED', attempts: 1, lastStatusCode: 200, deliveredAt: deliveredAt.toISOString() }])
    const pending = nodesOf(await deliveriesOf(endpoint.id, { status: 'PENDING' }))
    expect(pending.map((d) => d.id)).toEqual([pendingNew, pendingOld])
  })

  test('deliveries page with first and after, also under a status filter', async () => {
    const { endpoint } = await createEndpoint()
    const clock = manualClock(new Date('2026-03-02T00:00:00Z'))
    const events: bigint[] = []
    for (let i = 0; i < 5; i++) {
      events.push(await exitOnce(clock))
      clock.advance(1000)
    }
    const newestFirst = await Promise.all([...events].reverse().map((id) => deliveryIdFor(endpoint.id, id)))

    const first = await deliveriesOf(endpoint.id, { first: 2 })
    expect(nodesOf(first).map((d) => d.id)).toEqual(newestFirst.slice(0, 2))
    expect(first.pageInfo.hasNextPage).toBe(true)
    expect(first.pageInfo.endCursor).toBe(first.edges[1]!.cursor)

    const second = await deliveriesOf(endpoint.id, { first: 2, after: first.pageInfo.endCursor })
    expect(nodesOf(second).map((d) => d.id)).toEqual(newestFirst.slice(2, 4))
    expect(second.pageInfo.hasNextPage).toBe(true)

    const third = await deliveriesOf(endpoint.id, { first: 2, after: second.pageInfo.endCursor })
    expect(nodesOf(third).map((d) => d.id)).toEqual(newestFirst.slice(4))
    expect(third.pageInfo.hasNextPage).toBe(false)

    // The second newest is DEAD: the PENDING pages skip it.
    await db.prisma.webhookDelivery.update({ where: { id: newestFirst[1] }, data: { status: 'DEAD', nextAttemptAt: null } })
    const pendingFirst = await deliveriesOf(endpoint.id, { status: 'PENDING', first: 2 })
    expect(nodesOf(pendingFirst).map((d) => d.id)).toEqual([newestFirst[0], newestFirst[2]])
    const pendingRest = await deliveriesOf(endpoint.id, { status: 'PENDING', first: 2, after: pendingFirst.pageInfo.endCursor })
    expect(nodesOf(pendingRest).map((d) => d.id)).toEqual([newestFirst[3], newestFirst[4]])
    expect(pendingRest.pageInfo.hasNextPage).toBe(false)
  })

  test('a page size out of range or a foreign cursor is a top-level ERR_INVALID_INPUT naming the argument', async () => {
    await createEndpoint()
    for (const first of [0, -1, 101]) {
      const result = await executeAs(deps, admin, SchemaWebhookDeliveriesDocument, { first })
      expectGraphQLError(result, 'ERR_INVALID_INPUT', 'deliveries.first')
      expect(result.data ?? null).toBeNull()
    }
    const foreign = [
      'not-a-cursor',
      formatPrismaCursor({ id: 12n }, 'id'), // an event feed's BigInt cursor
      formatPrismaCursor({ groupGuid: 'g_1', uid: 'u_1' }, ['groupGuid', 'uid']), // a members connection's
    ]
    for (const after of foreign) {
      expectGraphQLError(await executeAs(deps, admin, SchemaWebhookDeliveriesDocument, { first: 1, after }), 'ERR_INVALID_INPUT', 'deliveries.after')
    }
  })
})

describe('redeliverWebhook', () => {
  test('a DEAD delivery becomes PENDING, due now, with its attempts unchanged, and the dispatcher is nudged', async () => {
    const { endpoint } = await createEndpoint()
    const eventId = await exitOnce()
    const id = await deliveryIdFor(endpoint.id, eventId)
    await db.prisma.webhookDelivery.update({
      where: { id },
      data: { status: 'DEAD', attempts: 6, lastStatusCode: 503, lastError: 'HTTP 503', nextAttemptAt: null, claimedUntil: new Date('2026-01-01T00:00:00Z') },
    })
    const clock = manualClock(new Date('2026-07-01T12:34:56.789Z'))
    const nudges = dispatcher.nudges

    const result = await executeAs(testDeps(db, { clock, webhookDispatcher: dispatcher }), admin, SchemaWebhookRedeliverDocument, { deliveryId: id })
    const { delivery } = expectPayload(result, 'redeliverWebhook', 'RedeliverWebhookPayload')
    expect(delivery).toMatchObject({ id, status: 'PENDING', attempts: 6, nextAttemptAt: '2026-07-01T12:34:56.789Z', event: { id: eventId.toString(), exitType: 'QUIT' } })
    expect(await db.prisma.webhookDelivery.findUniqueOrThrow({ where: { id } })).toMatchObject({
      status: 'PENDING',
      attempts: 6,
      nextAttemptAt: clock.now(),
      claimedUntil: null,
    })
    expect(dispatcher.nudges).toBe(nudges + 1)
  })

  test('a SUCCEEDED delivery is sent again too', async () => {
    const { endpoint } = await createEndpoint()
    const id = await deliveryIdFor(endpoint.id, await exitOnce())
    await db.prisma.webhookDelivery.update({ where: { id }, data: { status: 'SUCCEEDED', attempts: 1, deliveredAt: new Date(), nextAttemptAt: null } })
    const clock = manualClock(new Date('2026-07-02T00:00:00Z'))
    const result = await executeAs(testDeps(db, { clock, webhookDispatcher: dispatcher }), admin, SchemaWebhookRedeliverDocument, { deliveryId: id })
    expect(expectPayload(result, 'redeliverWebhook', 'RedeliverWebhookPayload').delivery).toMatchObject({
      status: 'PENDING',
      attempts: 1,
      nextAttemptAt: '2026-07-02T00:00:00.000Z',
    })
  })

  test('an unknown delivery id is ERR_WEBHOOK_NOT_FOUND and nudges nothing', async () => {
    const nudges = dispatcher.nudges
    const result = await executeAs(deps, admin, SchemaWebhookRedeliverDocument, { deliveryId: uniqueId('msg') })
    expect(expectError(result, 'redeliverWebhook', 'ERR_WEBHOOK_NOT_FOUND').__typename).toBe('DomainError')
    expect(dispatcher.nudges).toBe(nudges)
  })
})

describe('the schema', () => {
  test('WebhookEndpoint has no field that exposes the secret', async () => {
    const type = expectData(await executeAs(deps, admin, SchemaWebhookEndpointTypeDocument)).__type
    const names = type!.fields!.map((f) => f.name)
    expect(names.sort()).toEqual(['createdAt', 'deliveries', 'deliveryCounts', 'enabled', 'id', 'url'])
    expect(names.filter((name) => /secret/i.test(name))).toEqual([])
  })
})
