import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, expect, test } from 'vitest'
import { postWebhook, type WebhookRequest } from '../../src/webhooks/http-sender.js'

interface Receiver {
  url: string
  port: number
  /** Requests whose handler ran. */
  requests: Array<{ method: string; url: string; headers: IncomingMessage['headers']; body: string }>
  /** TCP connections accepted, whether or not a request followed. */
  connections: number
}

const servers: Server[] = []

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

async function receiver(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<Receiver> {
  const state: Receiver = { url: '', port: 0, requests: [], connections: 0 }
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      state.requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      })
      handle(req, res)
    })
  })
  server.on('connection', () => state.connections++)
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  state.port = (server.address() as AddressInfo).port
  state.url = `http://127.0.0.1:${state.port}`
  return state
}

function webhook(url: string, body = '{"event":"member.left"}'): WebhookRequest {
  return { url, headers: { 'x-departures-signature': 'sha256=abc' }, body }
}

const allowPrivate = { timeoutMs: 1000, allowPrivate: true }

test('a 2xx answer is ok, with its body', async () => {
  const server = await receiver((_req, res) => res.writeHead(200).end('thanks'))
  const response = await postWebhook(webhook(`${server.url}/hook`), allowPrivate)
  expect(response).toEqual({ ok: true, statusCode: 200, error: null, body: 'thanks' })
})

test('the body, headers and method arrive as sent', async () => {
  const server = await receiver((_req, res) => res.writeHead(204).end())
  const body = JSON.stringify({ event: 'member.left', name: 'Zoë ✓' })
  const headers = { 'x-departures-signature': 'sha256=abc', 'x-departures-event': 'member.left' }
  const response = await postWebhook({ url: `${server.url}/hooks/in?tenant=7`, headers, body }, allowPrivate)
  expect(response.ok).toBe(true)
  expect(server.requests).toHaveLength(1)
  const [received] = server.requests
  expect(received.method).toBe('POST')
  expect(received.url).toBe('/hooks/in?tenant=7')
  expect(received.body).toBe(body)
  expect(received.headers).toMatchObject({
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    'x-departures-signature': 'sha256=abc',
    'x-departures-event': 'member.left',
  })
})

test('a 500 answer is a failure with its status code and body', async () => {
  const server = await receiver((_req, res) => res.writeHead(500).end('database down'))
  const response = await postWebhook(webhook(server.url), allowPrivate)
  expect(response).toEqual({ ok: false, statusCode: 500, error: 'HTTP 500', body: 'database down' })
})

test('a redirect is a failure and is not followed', async () => {
  const target = await receiver((_req, res) => res.writeHead(200).end())
  const server = await receiver((_req, res) => res.writeHead(302, { location: `${target.url}/elsewhere` }).end())
  const response = await postWebhook(webhook(server.url), allowPrivate)
  expect(response).toMatchObject({ ok: false, statusCode: 302, error: 'HTTP 302 (redirects are not followed)' })
  expect(target.connections).toBe(0)
  expect(target.requests).toHaveLength(0)
})

test('a receiver that never answers times out within the deadline', async () => {
  const server = await receiver(() => {})
  const started = performance.now()
  const response = await postWebhook(webhook(server.url), { timeoutMs: 200, allowPrivate: true })
  const elapsed = performance.now() - started
  expect(response).toEqual({ ok: false, statusCode: null, error: 'no answer within 200 ms', body: '' })
  expect(server.requests).toHaveLength(1)
  expect(elapsed).toBeGreaterThanOrEqual(190)
  expect(elapsed).toBeLessThan(500)
})

test('an endless body is cut at maxBodyBytes without waiting for the deadline', async () => {
  const server = await receiver((_req, res) => {
    res.writeHead(500, { 'content-type': 'text/plain' })
    const chunk = 'é'.repeat(1000)
    const pump = () => {
      while (!res.destroyed && res.write(chunk));
      if (!res.destroyed) res.once('drain', pump)
    }
    pump()
  })
  const started = performance.now()
  const response = await postWebhook(webhook(server.url), { timeoutMs: 2000, allowPrivate: true, maxBodyBytes: 101 })
  expect(performance.now() - started).toBeLessThan(1000)
  expect(response.ok).toBe(false)
  expect(response.statusCode).toBe(500)
  expect(response.error).toBe('HTTP 500')
  // 101 bytes would split a two-byte character, so the body stops one byte short.
  expect(response.body).toBe('é'.repeat(50))
})

test('an IP literal of a private address is refused before connecting', async () => {
  const server = await receiver((_req, res) => res.writeHead(200).end())
  const response = await postWebhook(webhook(server.url), { timeoutMs: 1000, allowPrivate: false })
  expect(response).toEqual({
    ok: false,
    statusCode: null,
    error: 'refusing 127.0.0.1: loopback, private and link-local addresses are not allowed (WEBHOOK_ALLOW_PRIVATE)',
    body: '',
  })
  expect(server.connections).toBe(0)
})

test('a name resolving to loopback is refused before connecting', async () => {
  const server = await receiver((_req, res) => res.writeHead(200).end())
  const response = await postWebhook(webhook(`http://localhost:${server.port}/hook`), {
    timeoutMs: 1000,
    allowPrivate: false,
  })
  expect(response.ok).toBe(false)
  expect(response.statusCode).toBeNull()
  expect(response.error).toMatch(/^refusing (127\.0\.0\.1|::1): /)
  expect(server.connections).toBe(0)
})

test('an IPv6 loopback literal is refused before connecting', async () => {
  const response = await postWebhook(webhook('http://[::1]:9/hook'), { timeoutMs: 1000, allowPrivate: false })
  expect(response.error).toMatch(/^refusing ::1: /)
})

test('only http and https URLs are sent', async () => {
  const ftp = await postWebhook(webhook('ftp://example.com/hook'), allowPrivate)
  expect(ftp).toMatchObject({
    ok: false,
    statusCode: null,
    error: 'unsupported URL scheme ftp: (only http: and https:)',
  })
  const garbage = await postWebhook(webhook('not a url'), allowPrivate)
  expect(garbage).toMatchObject({ ok: false, error: 'invalid URL' })
})

test('a closed port is a connection error, not a throw', async () => {
  const closed = createServer()
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
  const { port } = closed.address() as AddressInfo
  await new Promise((resolve) => closed.close(resolve))
  const response = await postWebhook(webhook(`http://127.0.0.1:${port}/`), allowPrivate)
  expect(response.ok).toBe(false)
  expect(response.statusCode).toBeNull()
  expect(response.error).toMatch(/ECONNREFUSED/)
})

test('consecutive posts to one receiver reuse the connection', async () => {
  const server = await receiver((_req, res) => res.writeHead(200).end('ok'))
  for (let i = 0; i < 5; i++) {
    expect((await postWebhook(webhook(server.url), allowPrivate)).ok).toBe(true)
  }
  expect(server.requests).toHaveLength(5)
  expect(server.connections).toBe(1)
})

test('a kept-alive connection the receiver closed before it was reused is retried once on a new one', async () => {
  const sockets = new Set<import('node:net').Socket>()
  const server = await receiver((_req, res) => res.writeHead(200).end('ok'))
  servers.at(-1)!.on('connection', (socket) => sockets.add(socket))
  expect((await postWebhook(webhook(`${server.url}/hook`), allowPrivate)).ok).toBe(true)
  // The receiver drops its idle connection and, in the same tick (before this process has seen
  // the close), the next POST takes that connection from the pool.
  sockets.forEach((socket) => socket.destroy())
  const response = await postWebhook(webhook(`${server.url}/hook`), allowPrivate)
  expect(response).toEqual({ ok: true, statusCode: 200, error: null, body: 'ok' })
  expect(server.requests).toHaveLength(2)
  expect(server.connections).toBe(2)
})
