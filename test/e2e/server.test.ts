import { request as httpRequest } from 'node:http'
import { createContext, runInContext } from 'node:vm'
import { createClient } from 'graphql-ws'
import { print } from 'graphql'
import { WebSocket } from 'ws'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { MeUidDocument, MemberLeftDocument, QueryTypenameDocument } from '../generated/graphql.js'
import { uniqueId } from '../support/database.js'
import { gql, startTestServer, type TestServer } from '../support/server.js'

describe('a running server', () => {
  let server: TestServer
  beforeAll(async () => {
    server = await startTestServer()
  })
  afterAll(() => server?.stop())

  test('GET /healthz answers 200 ok', async () => {
    const response = await fetch(new URL('/healthz', server.url))
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('ok')
  })

  test('GET /readyz answers 200 with each check once the database answers and is migrated', async () => {
    const response = await fetch(new URL('/readyz', server.url))
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^application\/json/)
    expect(await response.json()).toEqual({ status: 'ready', checks: { database: 'ok', migrations: 'ok' } })
  })

  test('answers a query over HTTP', async () => {
    expect(await gql(server, null, QueryTypenameDocument)).toEqual({ status: 200, data: { __typename: 'Query' } })
  })

  test('serves GraphiQL to a browser with every script and style inline (no CDN)', async () => {
    const page = await graphiqlPage(server)
    expect(page).toContain('YogaGraphiQL.renderYogaGraphiQL')
    expect(page).toContain('fetcher: globalThis.departuresGraphiQLFetcher')
    const externalReferences = [...page.matchAll(/<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*["']?([^"'\s>]+)/gi)]
      .map((match) => match[1])
      .filter((reference) => /^(https?:)?\/\//i.test(reference))
    expect(externalReferences).toEqual([])
    expect(page).not.toMatch(/@import\s+url\(\s*["']?https?:/i)
  })

  describe("GraphiQL's fetcher, run from the served page", () => {
    // The page's own scripts in a sandbox: graphql-ws' browser build and the fetcher that
    // GraphiQL calls with the Headers tab, as it does in a browser.
    let fetcher: GraphiQLFetcher
    beforeAll(async () => {
      const page = await graphiqlPage(server)
      const sandbox = createContext({ location: { href: server.url }, WebSocket, fetch, URL, setTimeout, clearTimeout, console })
      runInContext(inlineScript(page, 'graphql-ws-client'), sandbox)
      runInContext(inlineScript(page, 'departures-graphiql-fetcher'), sandbox)
      fetcher = sandbox.departuresGraphiQLFetcher as GraphiQLFetcher
    })

    test('sends queries over HTTP with the Headers tab', async () => {
      const uid = uniqueId('u')
      await server.db.prisma.user.create({ data: { uid, name: 'Ada' } })
      const query = print(MeUidDocument)
      const headers = { Authorization: `Bearer ${await server.token(uid)}` }
      expect(await fetcher({ query }, { headers, documentAST: MeUidDocument })).toEqual({ data: { me: { uid } } })
    })

    test("puts the Headers tab's Authorization into connection_init for subscriptions", async () => {
      const query = print(MemberLeftDocument)
      const documentAST = MemberLeftDocument
      const uid = uniqueId('u')
      await server.db.prisma.user.create({ data: { uid, name: 'Ada' } })

      const refused = await firstOutcome(fetcher({ query }, { headers: { authorization: 'Bearer not-a-jwt' }, documentAST }))
      expect(refused).toMatchObject({ kind: 'error', message: expect.stringContaining('4403') })

      const anonymous = await firstOutcome(fetcher({ query }, { headers: {}, documentAST }))
      expect(anonymous).toMatchObject({ kind: 'next', value: { errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] } })

      const signedIn = await firstOutcome(fetcher({ query }, { headers: { Authorization: `Bearer ${await server.token(uid)}` }, documentAST }), 500)
      expect(signedIn).toEqual({ kind: 'still-running' })
    })
  })
})

test('stop() lets an in-flight request finish, closes WebSockets with 1001, then refuses connections', async () => {
  const server = await startTestServer()
  const ws = createClient({ url: server.wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: false, onNonLazyError: () => {} })
  const wsClosed = new Promise<number>((resolve) => ws.on('closed', (event) => resolve((event as { code: number }).code)))
  await new Promise<void>((resolve) => ws.on('connected', () => resolve()))

  // A request whose body is still arriving when stop() begins.
  const body = JSON.stringify({ query: print(QueryTypenameDocument) })
  const inFlight = httpRequest(server.url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
  })
  const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
    inFlight.on('response', (res) => {
      let text = ''
      res.on('data', (chunk: Buffer) => (text += chunk.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }))
    })
    inFlight.on('error', reject)
  })
  inFlight.write(body.slice(0, 5))
  await delay(200)

  let stopped = false
  const stopping = server.stop().then(() => (stopped = true))
  expect(await wsClosed).toBe(1001)
  await expect(fetch(new URL('/healthz', server.url))).rejects.toThrow()
  expect(stopped).toBe(false)

  inFlight.end(body.slice(5))
  expect(await response).toEqual({ status: 200, text: JSON.stringify({ data: { __typename: 'Query' } }) })
  await stopping
  await ws.dispose()
})

type GraphiQLFetcher = (
  params: { query: string; operationName?: string; variables?: Record<string, unknown> },
  options: { headers: Record<string, string>; documentAST: unknown },
) => Promise<unknown> | { subscribe(observer: { next(v: unknown): void; error(e: unknown): void; complete(): void }): { unsubscribe(): void } }

type Outcome = { kind: 'next'; value: unknown } | { kind: 'error'; message: string } | { kind: 'complete' } | { kind: 'still-running' }

/** The first thing a subscription observable reports, or still-running after `waitMs`. */
function firstOutcome(result: ReturnType<GraphiQLFetcher>, waitMs = 5_000): Promise<Outcome> {
  if (!('subscribe' in result)) throw new Error('expected an observable (the WebSocket path)')
  return new Promise((resolve) => {
    const subscription = result.subscribe({
      next: (value) => finish({ kind: 'next', value }),
      error: (error) => finish({ kind: 'error', message: String((error as Error).message ?? error) }),
      complete: () => finish({ kind: 'complete' }),
    })
    const timer = setTimeout(() => finish({ kind: 'still-running' }), waitMs)
    function finish(outcome: Outcome) {
      clearTimeout(timer)
      // Unsubscribing after the observer already ended is a no-op for graphql-ws.
      setImmediate(() => subscription.unsubscribe())
      resolve(outcome)
    }
  })
}

async function graphiqlPage(server: TestServer): Promise<string> {
  const response = await fetch(server.url, { headers: { Accept: 'text/html' } })
  expect(response.status).toBe(200)
  expect(response.headers.get('content-type')).toMatch(/text\/html/)
  return response.text()
}

function inlineScript(page: string, id: string): string {
  const match = new RegExp(`<script id="${id}">([\\s\\S]*?)</script>`).exec(page)
  if (!match) throw new Error(`the GraphiQL page has no <script id="${id}">`)
  return match[1]
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

