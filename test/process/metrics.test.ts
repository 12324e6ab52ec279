import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, expect, test } from 'vitest'
import {
  AddMembersDocument,
  CreateGroupDocument,
  CreateUserDocument,
  CreateWebhookEndpointDocument,
  KickGroupMemberDocument,
  LeaveGroupDocument,
  MemberLeftDocument,
} from '../generated/graphql.js'
import { expectPayload } from '../support/client.js'
import { uniqueId } from '../support/database.js'
import { parseMetrics, scrape, scrapeUntil } from '../support/metrics-text.js'
import { request, subscribe } from '../support/remote.js'
import { startServerProcess, type ServerProcess } from '../support/server-process.js'
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js'

// GET /metrics of the real server process: values that match what the test did.

const METRICS_TOKEN = `metrics-${randomBytes(12).toString('hex')}`
let server: ServerProcess
let receiver: WebhookReceiver

beforeAll(async () => {
  receiver = await startWebhookReceiver()
  server = await startServerProcess({ METRICS_TOKEN, WEBHOOK_ALLOW_PRIVATE: 'true' })
}, 120_000)
afterAll(async () => {
  await server?.kill9()
  await receiver?.close()
})

test('with METRICS_TOKEN, /metrics answers 401 without the bearer token or with another, 200 with it', async () => {
  const without = await fetch(`${server.origin}/metrics`)
  expect(without.status).toBe(401)
  expect(without.headers.get('www-authenticate')).toMatch(/^Bearer/)
  expect(await without.text()).not.toContain('departures_')
  const wrong = await fetch(`${server.origin}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}x` } })
  expect(wrong.status).toBe(401)
  const admin = await fetch(`${server.origin}/metrics`, { headers: { authorization: `Bearer ${await server.token('backend', { admin: true })}` } })
  expect(admin.status, 'an API token is not the metrics token').toBe(401)

  const allowed = await fetch(`${server.origin}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
  expect(allowed.status).toBe(200)
  expect(allowed.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
  const samples = parseMetrics(await allowed.text())
  // The standard process metrics come with the service's own.
  expect(samples.get('process_resident_memory_bytes')).toBeGreaterThan(0)
  expect(samples.has('process_cpu_user_seconds_total')).toBe(true)
  expect(samples.has('nodejs_eventloop_lag_seconds')).toBe(true)
})

test('exits, live connections and subscriptions, delivery latencies and webhook deliveries are what the test did', async () => {
  const admin = await server.token('backend', { admin: true })
  const [owner, ...members] = Array.from({ length: 4 }, () => uniqueId('m'))
  for (const uid of [owner, ...members]) {
    expectPayload(await request(server, admin, CreateUserDocument, { input: { uid, name: uid } }), 'createUser', 'CreateUserPayload')
  }
  const guid = uniqueId('g')
  const ownerToken = await server.token(owner)
  expectPayload(await request(server, ownerToken, CreateGroupDocument, { input: { guid, name: 'metrics', type: 'PUBLIC' } }), 'createGroup', 'CreateGroupPayload')
  expectPayload(await request(server, ownerToken, AddMembersDocument, { guid, members: members.map((uid) => ({ uid })) }), 'addMembers', 'AddMembersPayload')
  expectPayload(await request(server, admin, CreateWebhookEndpointDocument, { input: { url: receiver.url } }), 'createWebhookEndpoint', 'CreateWebhookEndpointPayload')

  const before = await scrape(server.origin, METRICS_TOKEN)
  expect(before.get('departures_member_exits_total{exit_type="QUIT"}')).toBe(0)
  expect(before.get('departures_ws_connections')).toBe(0)
  expect(before.get('departures_subscriptions')).toBe(0)
  expect(before.get('departures_event_delivery_seconds_count')).toBe(0)
  expect(before.get('departures_webhook_deliveries{status="PENDING"}')).toBe(0)

  const live = subscribe(server, ownerToken, MemberLeftDocument, { guid })
  await scrapeUntil(server.origin, METRICS_TOKEN, (s) => s.get('departures_subscriptions') === 1, 'the subscription is live')
  expect((await scrape(server.origin, METRICS_TOKEN)).get('departures_ws_connections')).toBe(1)

  // Two members leave, the owner kicks the third: three exits, three events, three webhooks.
  for (const uid of members.slice(0, 2)) {
    expectPayload(await request(server, await server.token(uid), LeaveGroupDocument, { guid }), 'leaveGroup', 'LeaveGroupPayload')
  }
  expectPayload(await request(server, ownerToken, KickGroupMemberDocument, { guid, uid: members[2] }), 'kickGroupMember', 'KickGroupMemberPayload')
  for (let i = 0; i < 3; i++) await live.next()
  await receiver.waitFor(3)

  const after = await scrapeUntil(
    server.origin,
    METRICS_TOKEN,
    (s) => s.get('departures_webhook_deliveries{status="SUCCEEDED"}') === 3,
    'the three deliveries are recorded as SUCCEEDED',
  )
  expect(after.get('departures_member_exits_total{exit_type="QUIT"}')).toBe(2)
  expect(after.get('departures_member_exits_total{exit_type="KICKED"}')).toBe(1)
  expect(after.get('departures_member_exits_total{exit_type="BANNED"}')).toBe(0)
  // One subscriber: each event written once, so observed once.
  expect(after.get('departures_event_delivery_seconds_count')).toBe(3)
  expect(after.get('departures_event_delivery_seconds_sum')).toBeGreaterThan(0)
  expect(after.get('departures_event_delivery_seconds_bucket{le="+Inf"}')).toBe(3)
  expect(after.get('departures_webhook_deliveries{status="PENDING"}')).toBe(0)
  expect(after.get('departures_webhook_deliveries{status="DEAD"}')).toBe(0)

  await live.close()
  await scrapeUntil(
    server.origin,
    METRICS_TOKEN,
    (s) => s.get('departures_subscriptions') === 0 && s.get('departures_ws_connections') === 0,
    'the subscription and its connection are gone',
  )
})
