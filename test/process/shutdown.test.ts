import { once } from 'node:events'
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http'
import { afterEach, expect, test } from 'vitest'
import WebSocket from 'ws'
import { scrapeUntil } from '../support/metrics-text.js'
import { startServerProcess, type ServerProcess } from '../support/server-process.js'

// SIGTERM to the real server process: it stops accepting, closes WebSockets with 1001, lets
// in-flight requests finish and exits 0, all within SHUTDOWN_TIMEOUT_MS.

const servers: ServerProcess[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.kill9()))
})

async function start(env: Record<string, string>): Promise<ServerProcess> {
  const server = await startServerProcess(env)
  servers.push(server)
  return server
}

/** A graphql-ws connection with one live memberLeft subscription (the app admin's: every exit). */
async function openSubscription(server: ServerProcess): Promise<{ socket: WebSocket; closed: Promise<number> }> {
  const socket = new WebSocket(server.wsUrl, 'graphql-transport-ws')
  const closed = once(socket, 'close').then(([code]) => code as number)
  await once(socket, 'open')
  socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${await server.token('backend', { admin: true })}` } }))
  const [ack] = await once(socket, 'message')
  expect(JSON.parse(String(ack))).toMatchObject({ type: 'connection_ack' })
  socket.send(JSON.stringify({ id: 'live', type: 'subscribe', payload: { query: 'subscription { memberLeft { id } }' } }))
  await scrapeUntil(server.origin, undefined, (s) => s.get('departures_subscriptions') === 1, 'the subscription is live')
  return { socket, closed }
}

const BODY = JSON.stringify({ query: 'query Slow { __typename }' })

/**
 * A POST whose headers and first half of the body have reached the server; the rest is sent by
 * finish(). The server has parsed the headers (the request is in flight, not an idle
 * connection) once it has answered a request sent after them on another connection.
 */
async function startSlowRequest(server: ServerProcess, requestId: string): Promise<{ req: ClientRequest; response: Promise<IncomingMessage>; finish(): void }> {
  const req = httpRequest(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY), 'x-request-id': requestId },
  })
  const response = once(req, 'response').then(([res]) => res as IncomingMessage)
  response.catch(() => {})
  req.flushHeaders()
  req.write(BODY.slice(0, 10))
  await new Promise((resolve) => setTimeout(resolve, 50))
  expect((await fetch(`${server.origin}/healthz`)).status).toBe(200)
  return { req, response, finish: () => req.end(BODY.slice(10)) }
}

async function bodyOf(res: IncomingMessage): Promise<string> {
  let text = ''
  for await (const chunk of res) text += String(chunk)
  return text
}

// Each test starts its own process: a long timeout for a start under a full parallel run.
test('SIGTERM: new connections are refused, the open WebSocket closes with 1001, the slow request in flight completes, and the process exits 0 within SHUTDOWN_TIMEOUT_MS', { timeout: 120_000 }, async () => {
  const SHUTDOWN_TIMEOUT_MS = 8_000
  const server = await start({ SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS) })
  const { closed } = await openSubscription(server)
  const slow = await startSlowRequest(server, 'slow-request')

  const signalledAt = Date.now()
  const exit = server.stop('SIGTERM')
  await server.waitForEntry((e) => e.msg.startsWith('stopping'))
  expect(await closed).toBe(1001)
  await expect(fetch(`${server.origin}/healthz`), 'a new connection after the signal').rejects.toThrow()

  // The request is still open well after the signal, and is answered once its body is in.
  await new Promise((resolve) => setTimeout(resolve, 500))
  expect(server.entries().some((e) => e.msg === 'stopped'), 'the server must wait for the request').toBe(false)
  slow.finish()
  const res = await slow.response
  expect(res.statusCode).toBe(200)
  expect(JSON.parse(await bodyOf(res))).toEqual({ data: { __typename: 'Query' } })

  expect(await exit).toEqual({ code: 0, signal: null })
  expect(Date.now() - signalledAt).toBeLessThan(SHUTDOWN_TIMEOUT_MS)
  const entries = server.entries()
  expect(entries.find((e) => e.reqId === 'slow-request' && e.msg === 'request completed')).toMatchObject({ status: 200, operationName: 'Slow' })
  expect(entries.at(-1)).toMatchObject({ msg: 'stopped' })
  expect(entries.some((e) => e.level === 'warn' || e.level === 'error')).toBe(false)
})

test('at SHUTDOWN_TIMEOUT_MS what is still open is cut, and the process still exits 0 in time', { timeout: 120_000 }, async () => {
  const SHUTDOWN_TIMEOUT_MS = 1_500
  const server = await start({ SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS) })
  const stuck = await startSlowRequest(server, 'stuck-request')
  const cut = once(stuck.req, 'error')

  const signalledAt = Date.now()
  expect(await server.stop('SIGTERM')).toEqual({ code: 0, signal: null })
  expect(Date.now() - signalledAt).toBeLessThan(SHUTDOWN_TIMEOUT_MS)
  await cut
  expect(server.entries().some((e) => e.level === 'warn' && e.msg.includes('cutting the HTTP requests'))).toBe(true)
})
