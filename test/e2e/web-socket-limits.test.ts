import { once } from 'node:events'
import { print } from 'graphql'
import WebSocket from 'ws'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { MemberLeftResumeDocument } from '../generated/graphql.js'
import { createUsers } from '../support/domain-fixtures.js'
import { startTestServer, type TestServer } from '../support/server.js'

// The limits a WebSocket client meets (contract README, "WebSocket limits"), spoken by hand so
// that close codes and per-id error messages are seen as they are sent.

interface Message {
  type: string
  id?: string
  payload?: unknown
}

interface Socket {
  messages: Message[]
  closed: Promise<number>
  send(message: Message | string): void
  /** Resolves with the first message (already received or to come) that matches. */
  message(matches: (message: Message) => boolean, timeoutMs?: number): Promise<Message>
  close(): Promise<number>
}

async function open(server: TestServer): Promise<Socket> {
  const socket = new WebSocket(server.wsUrl, 'graphql-transport-ws')
  const messages: Message[] = []
  const waiters = new Set<() => void>()
  socket.on('message', (data) => {
    messages.push(JSON.parse(String(data)) as Message)
    for (const wake of waiters) wake()
  })
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)))
  await once(socket, 'open')
  return {
    messages,
    closed,
    send: (message) => socket.send(typeof message === 'string' ? message : JSON.stringify(message)),
    message: async (matches, timeoutMs = 5_000) => {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const found = messages.find(matches)
        if (found) return found
        if (Date.now() > deadline) throw new Error(`no matching message within ${timeoutMs} ms: ${JSON.stringify(messages)}`)
        await new Promise<void>((resolve) => {
          const wake = () => {
            waiters.delete(wake)
            resolve()
          }
          waiters.add(wake)
          setTimeout(wake, 50)
        })
      }
    },
    close: () => {
      socket.close(1000)
      return closed
    },
  }
}

/** A socket past connection_ack, or the close code that refused it. */
async function connectAs(server: TestServer, uid: string): Promise<Socket | number> {
  const socket = await open(server)
  socket.send({ type: 'connection_init', payload: { authorization: `Bearer ${await server.token(uid)}` } })
  const acknowledged = socket.message((m) => m.type === 'connection_ack').then(() => socket)
  return Promise.race([acknowledged, socket.closed])
}

const subscription = (id: string, guid: string): Message => ({ id, type: 'subscribe', payload: { query: print(MemberLeftResumeDocument), variables: { guid } } })

describe('WebSocket limits', { timeout: 30_000 }, () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer({ env: { MAX_CONNECTIONS_PER_USER: '2', MAX_SUBSCRIPTIONS_PER_CONNECTION: '2', WS_MAX_MESSAGE_BYTES: '2048' } })
  }, 60_000)
  afterAll(() => server?.stop())

  test("a user's connection beyond MAX_CONNECTIONS_PER_USER is closed with 4429; other users, and the user once a connection ends, are not", async () => {
    const [ann, ben] = await createUsers(server.db, 2)
    const first = await connectAs(server, ann)
    const second = await connectAs(server, ann)
    expect(typeof first).toBe('object')
    expect(typeof second).toBe('object')
    expect(await connectAs(server, ann)).toBe(4429)
    const bens = await connectAs(server, ben)
    expect(typeof bens).toBe('object')

    await (first as Socket).close()
    const deadline = Date.now() + 5_000
    while (server.deps.liveSessions.count(ann) > 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
    const again = await connectAs(server, ann)
    expect(typeof again).toBe('object')
    for (const socket of [second, bens, again]) await (socket as Socket).close()
  })

  test('an operation beyond MAX_SUBSCRIPTIONS_PER_CONNECTION gets an error for its id; the connection and the others go on', async () => {
    const [uid] = await createUsers(server.db, 1)
    const socket = (await connectAs(server, uid)) as Socket
    socket.send(subscription('1', 'g-limits-1'))
    socket.send(subscription('2', 'g-limits-2'))
    socket.send(subscription('3', 'g-limits-3'))
    const refused = await socket.message((m) => m.type === 'error' && m.id === '3')
    expect(refused.payload).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'TOO_MANY_SUBSCRIPTIONS', limit: 2 }) })])
    expect(socket.messages.some((m) => m.type === 'error' && m.id !== '3')).toBe(false)

    // Completing one frees its place.
    socket.send({ id: '1', type: 'complete' })
    await new Promise((r) => setTimeout(r, 200))
    socket.send(subscription('4', 'g-limits-4'))
    await new Promise((r) => setTimeout(r, 500))
    expect(socket.messages.some((m) => m.type === 'error' && m.id === '4')).toBe(false)
    expect(await Promise.race([socket.closed, new Promise((r) => setTimeout(() => r('open'), 100))])).toBe('open')
    await socket.close()
  })

  test('a connection that sends no connection_init within 3 s is closed with 4408', async () => {
    const socket = await open(server)
    const started = Date.now()
    expect(await socket.closed).toBe(4408)
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_900)
    expect(Date.now() - started).toBeLessThan(6_000)
  })

  test('a message larger than WS_MAX_MESSAGE_BYTES closes the socket with 1009', async () => {
    const [uid] = await createUsers(server.db, 1)
    const socket = (await connectAs(server, uid)) as Socket
    socket.send({ id: '1', type: 'subscribe', payload: { query: `{ me { uid } } # ${'x'.repeat(4096)}` } })
    expect(await socket.closed).toBe(1009)
  })
})
