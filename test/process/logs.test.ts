import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, expect, test } from 'vitest'
import {
  CreateGroupDocument,
  CreateUserDocument,
  CreateWebhookEndpointDocument,
  JoinGroupDocument,
  LeaveGroupDocument,
  MemberLeftDocument,
  RotateWebhookSecretDocument,
} from '../generated/graphql.js'
import { expectError, expectPayload } from '../support/client.js'
import { uniqueId } from '../support/database.js'
import { scrape, scrapeUntil } from '../support/metrics-text.js'
import { request, subscribe } from '../support/remote.js'
import { startServerProcess, type LogEntry, type ServerProcess } from '../support/server-process.js'
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js'

// The real server process's stdout: one JSON object per line, the request id of every HTTP
// request and WebSocket operation on the lines about it, and nothing that authenticates anyone.

let server: ServerProcess
let receiver: WebhookReceiver

beforeAll(async () => {
  receiver = await startWebhookReceiver()
  // debug: the most the server ever writes about a request.
  server = await startServerProcess({ LOG_LEVEL: 'debug', WEBHOOK_ALLOW_PRIVATE: 'true' })
}, 120_000)
afterAll(async () => {
  await server?.kill9()
  await receiver?.close()
})

const completed = (reqId: string) => (entry: LogEntry) => entry.msg === 'request completed' && entry.reqId === reqId

async function postTypename(headers: Record<string, string> = {}): Promise<Response> {
  return postTypenameTo(server.url, headers)
}

async function postTypenameTo(url: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query: 'query Typename { __typename }', operationName: 'Typename' }),
  })
}

test('each HTTP request gets a request id, echoed in x-request-id and on its log line: the caller’s when sane, else a new one', async () => {
  const given = await postTypename({ 'x-request-id': 'caller-chosen.id:42' })
  expect(given.headers.get('x-request-id')).toBe('caller-chosen.id:42')
  const generated = await postTypename()
  const insane = await postTypename({ 'x-request-id': 'two words "and quotes"' })
  const probe = await fetch(`${server.origin}/healthz`)

  for (const response of [given, generated, insane, probe]) expect(response.status).toBe(200)
  const generatedId = generated.headers.get('x-request-id')!
  const replacedId = insane.headers.get('x-request-id')!
  expect(generatedId).toMatch(/^[0-9a-f-]{36}$/)
  expect(replacedId).toMatch(/^[0-9a-f-]{36}$/)
  expect(replacedId).not.toBe(generatedId)

  for (const id of ['caller-chosen.id:42', generatedId, replacedId]) {
    expect(await server.waitForEntry(completed(id))).toMatchObject({
      level: 'info',
      reqId: id,
      method: 'POST',
      path: '/graphql',
      status: 200,
      operationName: 'Typename',
      ms: expect.any(Number),
    })
  }
  // Probes are logged too, at debug (so they stay out of an info log).
  expect(await server.waitForEntry(completed(probe.headers.get('x-request-id')!))).toMatchObject({ level: 'debug', path: '/healthz', status: 200 })
})

test('a WebSocket operation’s lines carry its connection and operation ids, from accepted to closed', async () => {
  const admin = await server.token('backend', { admin: true })
  const live = subscribe(server, admin, MemberLeftDocument, {})
  const started = await server.waitForEntry((e) => e.msg === 'WebSocket operation started' && e.operationName === 'MemberLeft' && e.admin === true)
  const { connId, opId } = started as LogEntry & { connId: string; opId: string }
  expect(started.reqId).toBe(`${connId}/${opId}`)
  await live.close()

  await server.waitForEntry((e) => e.msg === 'WebSocket closed' && e.connId === connId)
  const aboutIt = server.entries().filter((e) => e.connId === connId)
  expect(aboutIt.map((e) => e.msg)).toEqual(['WebSocket connection accepted', 'WebSocket operation started', 'WebSocket operation completed', 'WebSocket closed'])
  // At debug: at info, a reconnect storm would write one synchronous line per socket and operation.
  expect(new Set(aboutIt.map((e) => e.level))).toEqual(new Set(['debug']))
  expect(aboutIt.filter((e) => e.opId !== undefined).map((e) => e.reqId)).toEqual([started.reqId, started.reqId])
})

test('every stdout line is one JSON object, and no token, secret, password or signature is in any, after requests that carried them', async () => {
  const admin = await server.token('backend', { admin: true })
  const [owner, joiner] = [uniqueId('owner'), uniqueId('joiner')]
  for (const uid of [owner, joiner]) {
    expectPayload(await request(server, admin, CreateUserDocument, { input: { uid, name: uid } }), 'createUser', 'CreateUserPayload')
  }
  const ownerToken = await server.token(owner)
  const joinerToken = await server.token(joiner)
  const password = `pw-${randomBytes(9).toString('hex')}`
  const wrongPassword = `wrong-${randomBytes(9).toString('hex')}`
  const guid = uniqueId('g')
  expectPayload(
    await request(server, ownerToken, CreateGroupDocument, { input: { guid, name: 'secrets', type: 'PASSWORD', password } }),
    'createGroup',
    'CreateGroupPayload',
  )
  expectError(await request(server, joinerToken, JoinGroupDocument, { guid, password: wrongPassword }), 'joinGroup', 'ERR_WRONG_PASSWORD')
  expectPayload(await request(server, joinerToken, JoinGroupDocument, { guid, password }), 'joinGroup', 'JoinGroupPayload')
  // The variables in a GET's query string (refused: mutations need POST).
  const query = encodeURIComponent('mutation Join($guid: ID!, $password: String) { joinGroup(guid: $guid, password: $password) { __typename } }')
  const viaGet = await fetch(`${server.url}?query=${query}&variables=${encodeURIComponent(JSON.stringify({ guid, password }))}`, {
    headers: { authorization: `Bearer ${joinerToken}`, accept: 'application/json' },
  })
  expect(viaGet.status).toBe(405)
  // A token that fails: refused, and not written down either.
  const forged = `${joinerToken.slice(0, -4)}AAAA`
  expect((await fetch(server.url, { method: 'POST', headers: { authorization: `Bearer ${forged}`, 'content-type': 'application/json' }, body: '{"query":"{ me { uid } }"}' })).status).toBe(401)

  const created = expectPayload(
    await request(server, admin, CreateWebhookEndpointDocument, { input: { url: receiver.url } }),
    'createWebhookEndpoint',
    'CreateWebhookEndpointPayload',
  )
  const rotated = expectPayload(await request(server, admin, RotateWebhookSecretDocument, { id: created.endpoint.id }), 'rotateWebhookSecret', 'RotateWebhookSecretPayload')

  // A subscriber (its token in connection_init) sees the joiner leave; the webhook is signed.
  const subscriptionsBefore = (await scrape(server.origin)).get('departures_subscriptions')!
  const live = subscribe(server, ownerToken, MemberLeftDocument, { guid })
  await scrapeUntil(server.origin, undefined, (s) => s.get('departures_subscriptions') === subscriptionsBefore + 1, 'the subscription is live')
  expectPayload(await request(server, joinerToken, LeaveGroupDocument, { guid }), 'leaveGroup', 'LeaveGroupPayload')
  await live.next()
  await live.close()
  const [webhook] = await receiver.waitFor(1)
  const signature = String(webhook.headers['webhook-signature'])
  expect(signature).toMatch(/^v1,/)

  // Everything the process will write, shutdown included.
  expect(await server.stop()).toEqual({ code: 0, signal: null })
  const entries = server.entries()
  expect(entries.length).toBe(server.lines.length)
  for (const entry of entries) expect(entry).toMatchObject({ level: expect.any(String), time: expect.any(String), msg: expect.any(String) })
  // The requests above were logged (at debug, everything about them that is logged at all).
  expect(entries.some((e) => e.msg === 'request completed' && e.operationName === 'JoinGroup' && e.uid === joiner)).toBe(true)

  const stdout = server.lines.join('\n')
  const secrets = {
    'admin token': admin,
    'owner token': ownerToken,
    'joiner token': joinerToken,
    'forged token': forged,
    'group password': password,
    'wrong password': wrongPassword,
    'webhook secret': created.secret,
    'rotated webhook secret': rotated.secret,
    'webhook signature': signature.slice('v1,'.length),
    AUTH_SECRET: server.authSecret,
  }
  for (const [what, value] of Object.entries(secrets)) {
    expect(stdout.includes(value), `the ${what} is in the log`).toBe(false)
    expect(server.stderr.includes(value), `the ${what} is on stderr`).toBe(false)
  }
})

test('at LOG_LEVEL=warn the line with the URL is still printed, and requests and WebSocket operations write nothing', async () => {
  const quiet = await startServerProcess({ LOG_LEVEL: 'warn' })
  try {
    // startServerProcess found the URL in the listening line: that line was printed.
    const admin = await quiet.token('backend', { admin: true })
    const live = subscribe(quiet, admin, MemberLeftDocument, {})
    expect((await postTypenameTo(quiet.url)).status).toBe(200)
    await live.close()
    expect(await quiet.stop()).toEqual({ code: 0, signal: null })
    const infoLines = quiet.entries().filter((e) => e.level === 'info' || e.level === 'debug')
    expect(infoLines.map((e) => e.msg)).toEqual([expect.stringMatching(/^Departures is listening/)])
    expect(infoLines[0]).toMatchObject({ url: quiet.url })
  } finally {
    await quiet.kill9()
  }
})
