import { getIntrospectionQuery } from 'graphql'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { postQuery, wsQuery } from '../support/raw-operations.js'
import { startTestServer, type TestServer } from '../support/server.js'

// NODE_ENV=production hides the schema (introspection, "Did you mean …") unless
// GRAPHQL_INTROSPECTION=true; elsewhere it stays visible for GraphiQL and codegen.

let production: TestServer
let productionWithIntrospection: TestServer
let development: TestServer

beforeAll(async () => {
  ;[production, productionWithIntrospection, development] = await Promise.all([
    startTestServer({ env: { NODE_ENV: 'production' } }),
    startTestServer({ env: { NODE_ENV: 'production', GRAPHQL_INTROSPECTION: 'true' } }),
    startTestServer({ env: { NODE_ENV: 'development' } }),
  ])
}, 60_000)
afterAll(async () => {
  await Promise.all([production?.stop(), productionWithIntrospection?.stop(), development?.stop()])
})

const introspection = getIntrospectionQuery()
const misspelled = '{ __typename me { uid nme } }'

describe('in production', () => {
  test('the introspection query is refused over HTTP', async () => {
    const answer = await postQuery(production, introspection)
    expect(answer.status).toBe(400)
    expect(answer.body.data).toBeUndefined()
    expect(answer.body.errors?.[0]?.message).toMatch(/introspection/i)
  })

  test('the introspection query is refused over graphql-ws', async () => {
    const answer = await wsQuery(production, introspection)
    expect(answer.results).toEqual([])
    expect(answer.refused?.[0]?.message).toMatch(/introspection/i)
  })

  test('__type is refused too, __typename is not', async () => {
    expect((await postQuery(production, '{ __type(name: "User") { name } }')).status).toBe(400)
    expect((await postQuery(production, '{ __typename }')).body).toEqual({ data: { __typename: 'Query' } })
  })

  test('a misspelled field’s error does not suggest the right one, over HTTP and graphql-ws', async () => {
    const http = await postQuery(production, misspelled)
    expect(http.status).toBe(400)
    expect(http.body.errors?.[0]?.message).toBe('Cannot query field "nme" on type "User".')
    const ws = await wsQuery(production, misspelled)
    expect(ws.refused?.[0]?.message).toBe('Cannot query field "nme" on type "User".')
  })

  test('there is no GraphiQL page (it would need introspection)', async () => {
    const response = await fetch(production.url, { headers: { accept: 'text/html' } })
    await response.arrayBuffer()
    expect(response.headers.get('content-type') ?? '').not.toMatch(/text\/html/)
  })

  test('unexpected errors stay masked', async () => {
    // An unknown token is an expected UNAUTHENTICATED error; a masked one would say "Unexpected error.".
    // What must never show is a stack or an internal message: Yoga's isDev is off whatever NODE_ENV says.
    const answer = await postQuery(production, '{ me { uid } }', 'not-a-token')
    for (const error of answer.body.errors ?? []) {
      expect(error.extensions?.originalError).toBeUndefined()
      expect(JSON.stringify(error)).not.toMatch(/stack|at .*\.ts:\d+/)
    }
  })
})

describe('in production with GRAPHQL_INTROSPECTION=true', () => {
  test('the introspection query is answered over HTTP and graphql-ws', async () => {
    const http = await postQuery(productionWithIntrospection, introspection)
    expect(http.status).toBe(200)
    expect(http.body.errors).toBeUndefined()
    expect(http.body.data).toHaveProperty('__schema.queryType.name', 'Query')
    const ws = await wsQuery(productionWithIntrospection, introspection)
    expect(ws.refused).toBeUndefined()
    expect(ws.results[0]?.data).toHaveProperty('__schema.queryType.name', 'Query')
  })

  test('a misspelled field’s error suggests the right one', async () => {
    expect((await postQuery(productionWithIntrospection, misspelled)).body.errors?.[0]?.message).toMatch(/Did you mean "name"\?/)
  })
})

describe('in development', () => {
  test('introspection is on over HTTP and graphql-ws, and GraphiQL is served', async () => {
    expect((await postQuery(development, introspection)).body.data).toHaveProperty('__schema.queryType.name', 'Query')
    expect((await wsQuery(development, introspection)).results[0]?.data).toHaveProperty('__schema.queryType.name', 'Query')
    const page = await fetch(development.url, { headers: { accept: 'text/html' } })
    await page.arrayBuffer()
    expect(page.headers.get('content-type')).toMatch(/text\/html/)
  })

  test('a misspelled field’s error suggests the right one, over HTTP and graphql-ws', async () => {
    expect((await postQuery(development, misspelled)).body.errors?.[0]?.message).toMatch(/Did you mean "name"\?/)
    expect((await wsQuery(development, misspelled)).refused?.[0]?.message).toMatch(/Did you mean "name"\?/)
  })
})
