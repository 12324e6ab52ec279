import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { buildSchema } from 'graphql'
import { GRAPHQL_TRANSPORT_WS_PROTOCOL } from 'graphql-ws'
import { Writable } from 'node:stream'
import { afterEach, expect, test } from 'vitest'
import { WebSocket, WebSocketServer } from 'ws'
import { createLogger } from '../../src/operations/logger.js'
import { serveGraphqlWs, type SocketExtra } from '../../src/websocket/graphql-ws-server.js'
import { until } from '../support/until.js'

const schema = buildSchema('type Query { ok: Boolean }')
let stop: (() => Promise<void>) | undefined
afterEach(async () => {
  await stop?.()
  stop = undefined
})

/** A server whose onConnect hands each connection to the test, and a client that sends connection_init. */
async function serve(onConnect: (extra: SocketExtra) => Promise<boolean>, log = createLogger({ level: 'warn' })) {
  const webSockets = new WebSocketServer({ port: 0, host: '127.0.0.1' })
  await once(webSockets, 'listening')
  const server = serveGraphqlWs({ schema, onConnect: (ctx) => onConnect(ctx.extra) }, webSockets, 60_000, log)
  stop = () => server.dispose()
  const client = new WebSocket(`ws://127.0.0.1:${(webSockets.address() as AddressInfo).port}`, GRAPHQL_TRANSPORT_WS_PROTOCOL)
  await once(client, 'open')
  client.send(JSON.stringify({ type: 'connection_init' }))
  return client
}

test('close hooks run once when the socket closes, in order, and one added after the close runs at once', async () => {
  const ran: string[] = []
  let connected!: (extra: SocketExtra) => void
  const connection = new Promise<SocketExtra>((resolve) => (connected = resolve))
  const client = await serve(async (extra) => {
    extra.onClose(() => {
      ran.push('first')
    })
    extra.onClose(() => {
      ran.push('second')
    })
    connected(extra)
    return true
  })
  const extra = await connection
  await once(client, 'message')
  expect(ran).toEqual([])

  client.close()
  await until(() => ran.length === 2, 'the close hooks ran')
  expect(ran).toEqual(['first', 'second'])
  // Added late (a presence write that finished after the client left): not lost.
  extra.onClose(() => {
    ran.push('late')
  })
  expect(ran).toEqual(['first', 'second', 'late'])
  await new Promise((resolve) => setTimeout(resolve, 50))
  expect(ran).toEqual(['first', 'second', 'late'])
})

test("a close hook's failure is logged with the connection's id and what it was doing; the other hooks still run", async () => {
  const lines: Record<string, unknown>[] = []
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)))
      done()
    },
  })
  let ran = false
  const client = await serve(async (extra) => {
    extra.onClose(() => Promise.reject(new Error('database gone')), 'could not record a closed connection')
    extra.onClose(() => {
      ran = true
    })
    return true
  }, createLogger({ level: 'warn', destination }))
  await once(client, 'message')
  client.close()
  await until(() => lines.length === 1 && ran, 'the failure is logged and the second hook ran')
  expect(lines[0]).toMatchObject({ level: 'error', msg: 'could not record a closed connection', err: { message: 'database gone' } })
  expect(lines[0].connId).toEqual(expect.stringMatching(/^[0-9a-z]+-\d+$/))
})

test('each connection gets its own number; the socket is the one the client opened', async () => {
  const seen: SocketExtra[] = []
  const open = async () => {
    const client = await serve(async (extra) => {
      seen.push(extra)
      return true
    })
    await once(client, 'message')
    client.close()
    await stop?.()
    stop = undefined
  }
  await open()
  await open()
  expect(seen).toHaveLength(2)
  expect(seen[1].connNumber).toBeGreaterThan(seen[0].connNumber)
  expect(seen[0].socket).not.toBe(seen[1].socket)
})

test('a message that is not graphql-ws JSON closes the socket with 4400; a good one after connection_init is answered', async () => {
  for (const bad of ['not json', '[1,2]', '5', '{"type":"no such type"}', '{"id":1,"type":"subscribe"}']) {
    const client = await serve(async () => true)
    await once(client, 'message')
    client.send(bad)
    const [code] = (await once(client, 'close')) as [number]
    expect({ bad, code }).toEqual({ bad, code: 4400 })
    await stop?.()
    stop = undefined
  }
  const client = await serve(async () => true)
  await once(client, 'message')
  client.send(JSON.stringify({ id: 'q', type: 'subscribe', payload: { query: '{ ok }' } }))
  const [answer] = (await once(client, 'message')) as [Buffer]
  expect(JSON.parse(String(answer))).toEqual({ id: 'q', type: 'next', payload: { data: { ok: null } } })
})
