import { once } from 'node:events'
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface ReceivedWebhook {
  path: string
  query: URLSearchParams
  headers: IncomingHttpHeaders
  body: string
  receivedAt: number
}

/** What the receiver does with a request: answer a status (and body), or never answer. */
export type ReceiverBehaviour = (request: ReceivedWebhook, index: number) => { status: number; body?: string } | 'hang'

/** A real HTTP server on loopback that records every webhook it receives. */
export interface WebhookReceiver {
  url: string
  received: ReceivedWebhook[]
  behave(behaviour: ReceiverBehaviour): void
  /** Resolves once `count` requests have arrived (all of them, in arrival order). */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedWebhook[]>
  close(): Promise<void>
}

export async function startWebhookReceiver(behaviour: ReceiverBehaviour = () => ({ status: 200, body: '{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}' })): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = []
  const hanging = new Set<ServerResponse>()
  let current = behaviour
  const waiters = new Set<() => void>()
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://receiver')
      const webhook = { path: url.pathname, query: url.searchParams, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), receivedAt: Date.now() }
      received.push(webhook)
      waiters.forEach((wake) => wake())
      const answer = current(webhook, received.length - 1)
      if (answer === 'hang') {
        hanging.add(res)
        return
      }
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body ?? '')
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/tencent/callback`,
    received,
    behave: (next) => void (current = next),
    async waitFor(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs
      while (received.length < count) {
        const remaining = deadline - Date.now()
        if (remaining <= 0) throw new Error(`the receiver got ${received.length} of ${count} webhooks within ${timeoutMs} ms`)
        await new Promise<void>((resolve) => {
          const wake = () => {
            waiters.delete(wake)
            clearTimeout(timer)
            resolve()
          }
          const timer = setTimeout(wake, remaining)
          waiters.add(wake)
        })
      }
      return received.slice(0, count)
    },
    async close() {
      hanging.forEach((res) => res.destroy())
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
