import { getIntrospectionQuery } from 'graphql'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { connect } from '../support/remote.js'
import { postQuery, wsQuery, type HttpAnswer, type WsAnswer } from '../support/raw-operations.js'
import { createUsers } from '../support/domain-fixtures.js'
import { startTestServer, type TestServer } from '../support/server.js'

// Every operation, over HTTP and graphql-ws, is measured before it runs: depth, aliases,
// directives, tokens and cost (GraphQL Armor), at the contract's defaults.

let server: TestServer
let token: string

beforeAll(async () => {
  // Messages up to 2 MB over graphql-ws, so that the 1 MB document meets the token limit there
  // too rather than WS_MAX_MESSAGE_BYTES (tested in web-socket-limits.test.ts).
  server = await startTestServer({ env: { WS_MAX_MESSAGE_BYTES: String(2 * 1024 * 1024) } })
  const [reader] = await createUsers(server.db, 1, 'limits')
  token = await server.token(reader)
}, 60_000)
afterAll(async () => {
  await server?.stop()
})

const overALimit = /limit of \d+ exceeded/

function expectRefusedOverHttp(answer: HttpAnswer, message: RegExp) {
  expect(answer.status, JSON.stringify(answer.body)).toBe(400)
  expect(answer.body.data).toBeUndefined()
  expect(answer.body.errors?.map((e) => e.message)).toContainEqual(expect.stringMatching(message))
}

function expectRefusedOverWs(answer: WsAnswer, message: RegExp) {
  expect(answer.results).toEqual([])
  expect(answer.refused?.map((e) => e.message)).toContainEqual(expect.stringMatching(message))
}

function expectAdmitted(http: HttpAnswer, ws: WsAnswer) {
  expect(http.status, JSON.stringify(http.body)).toBe(200)
  expect(JSON.stringify(http.body.errors ?? [])).not.toMatch(overALimit)
  expect(ws.refused, JSON.stringify(ws.refused)).toBeUndefined()
  expect(ws.results).toHaveLength(1)
}

async function bothWays(query: string): Promise<[HttpAnswer, WsAnswer]> {
  return Promise.all([postQuery(server, query, token), wsQuery(server, query, token)])
}

/** Depth n: n - 1 nested inline fragments around one field (fragments count as a level). */
const depth = (n: number) => `{ ${'... on Query { '.repeat(n - 1)}__typename${' }'.repeat(n - 1)} }`
/** n aliases of a field that is not __typename (aliased __typename is not counted). */
const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: me { uid }`).join(' ')} }`
const directives = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `t${i}: __typename @include(if: true)`).join(' ')} }`
/**
 * n tokens: the braces, aliased fields (3 tokens each; aliases of __typename are not counted as
 * aliases, and graphql-js aborts validating a thousand fields of the same name) and 1 or 2 more.
 */
const tokens = (n: number) => {
  const aliased = Math.floor((n - 3) / 3)
  const rest = n - 2 - 3 * aliased
  return `{ ${Array.from({ length: aliased }, (_, i) => `t${i}: __typename`).join(' ')} ${'__typename '.repeat(rest)}}`
}
/** Cost (1 per object or scalar, times each page): (3 + names) × 100. */
const groupPage = (names: number) => `{ groups(first: 100) { edges { node { ${'name '.repeat(names)}} } } }`

const limits = [
  { limit: 'depth', at: depth(10), over: depth(11), message: /Query depth limit of 10 exceeded, found 11/ },
  { limit: 'aliases', at: aliases(30), over: aliases(31), message: /Aliases limit of 30 exceeded, found 31/ },
  { limit: 'directives', at: directives(50), over: directives(51), message: /Directives limit of 50 exceeded, found 51/ },
  { limit: 'tokens', at: tokens(2000), over: tokens(2001), message: /Token limit of 2000 exceeded/ },
  { limit: 'cost', at: groupPage(47), over: groupPage(48), message: /Query Cost limit of 5000 exceeded, found 5100/ },
]

describe.each(limits)('$limit', ({ at, over, message }) => {
  test('a document at the default limit is executed, over HTTP and graphql-ws', async () => {
    expectAdmitted(...(await bothWays(at)))
  })

  test('a document just over it is refused before execution, over HTTP (400) and graphql-ws (an error message)', async () => {
    const [http, ws] = await bothWays(over)
    expectRefusedOverHttp(http, message)
    expectRefusedOverWs(ws, message)
  })
})

describe('cost counts lists by their page', () => {
  test('groups(first: 100) { members(first: 100) … } costs what it reads, about 100 × 100', async () => {
    const query = '{ groups(first: 100) { edges { node { members(first: 100) { edges { node { joinedAt } } } } } } }'
    const [http, ws] = await bothWays(query)
    // members: (1 + 1 + 1 + 1) × 100, groups: (1 + 1 + 1 + 400) × 100
    expectRefusedOverHttp(http, /Query Cost limit of 5000 exceeded, found 40300\./)
    expectRefusedOverWs(ws, /found 40300\./)
  })

  test('a page given as a variable counts as its value; a missing one as the variable’s default, else the largest page (100)', async () => {
    const query = (n: string) => `query Page($n: Int${n}) { groups(first: $n) { edges { node { members(first: $n) { edges { node { joinedAt } } } } } } }`
    const post = (text: string, variables: Record<string, unknown>) =>
      fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: text, variables }),
      }).then(async (response) => ({ status: response.status, body: (await response.json()) as { errors?: Array<{ message: string }> } }))
    // members: 4 × n, groups: (3 + 4 × n) × n
    const admitted = await post(query(''), { n: 30 })
    expect(admitted.status, JSON.stringify(admitted.body)).toBe(200)
    expect(admitted.body.errors).toBeUndefined()
    // The same document again with a larger page: not answered from Yoga's validation cache.
    expect(await post(query(''), { n: 100 })).toMatchObject({ status: 400, body: { errors: [{ message: expect.stringMatching(/found 40300\./) }] } })
    expect(await post(query(''), {})).toMatchObject({ status: 400, body: { errors: [{ message: expect.stringMatching(/found 40300\./) }] } })
    expect(await post(query(' = 30'), {})).toMatchObject({ status: 200 })
    expect(await post(query(' = 40'), {})).toMatchObject({ status: 400, body: { errors: [{ message: expect.stringMatching(/found 6520\./) }] } })
    // graphql-ws hands the variables over too.
    const client = connect(server, token)
    try {
      const refused = await new Promise<unknown>((resolve) =>
        client.subscribe({ query: query(''), variables: { n: 100 } }, { next: resolve, error: resolve, complete: () => resolve('completed') }),
      )
      expect(JSON.stringify(refused)).toMatch(/found 40300\./)
    } finally {
      await client.dispose()
    }
  })

  test('a list field without first or last counts as its default page (20)', async () => {
    const query = '{ groups { edges { node { members { edges { node { joinedAt } } } } } } }'
    // members: 4 × 20 = 80, groups: (3 + 80) × 20 = 1660: admitted; with 3 more fields per
    // member, (3 + 7 × 20) × 20 = 2860; and one more level of 20 is over
    expect((await postQuery(server, query, token)).status).toBe(200)
    expect((await postQuery(server, query.replace('joinedAt', 'joinedAt scope user { uid }'), token)).status).toBe(200)
    const deeper = '{ groups { edges { node { members { edges { node { joinedAt } } } } } } a: groups { edges { node { members { edges { node { joinedAt } } } } } } b: groups { edges { node { members { edges { node { joinedAt } } } } } } c: groups { edges { node { members { edges { node { joinedAt } } } } } } }'
    expectRefusedOverHttp(await postQuery(server, deeper, token), /found 6640\./)
  })
})

describe('the standard introspection query (GraphiQL’s, codegen’s)', () => {
  for (const [name, options] of [
    ['graphql-js’ default', undefined],
    ['with every option', { descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true, oneOf: true }],
  ] as const) {
    test(`${name} is never refused, over HTTP and graphql-ws`, async () => {
      const [http, ws] = await bothWays(getIntrospectionQuery(options))
      expectAdmitted(http, ws)
      expect(http.body.errors).toBeUndefined()
      expect(http.body.data).toHaveProperty('__schema.queryType.name', 'Query')
    })
  }
})

describe('a 1 MB document', () => {
  const megabyte = `{ ${'__typename '.repeat(Math.ceil(1_048_576 / 11))}}`

  test('is refused in well under 100 ms with a small answer, over HTTP and graphql-ws', async () => {
    // The first request pays for warm-up (JIT, connections): measure the later ones.
    await postQuery(server, megabyte)
    const httpStarted = performance.now()
    const http = await postQuery(server, megabyte)
    const httpMs = performance.now() - httpStarted
    const wsStarted = performance.now()
    const ws = await wsQuery(server, megabyte)
    const wsMs = performance.now() - wsStarted
    console.log(`a 1 MB document (${megabyte.length} characters) refused in ${httpMs.toFixed(1)} ms over HTTP (a ${http.bytes}-byte answer), ${wsMs.toFixed(1)} ms over graphql-ws (connection included)`)
    expectRefusedOverHttp(http, /Token limit of 2000 exceeded/)
    expectRefusedOverWs(ws, /Token limit of 2000 exceeded/)
    expect(http.bytes).toBeLessThan(500)
    // Generous bounds for a busy shared machine; the figure printed above is the measure.
    expect(httpMs).toBeLessThan(1000)
    expect(wsMs).toBeLessThan(1000)
  })
})
