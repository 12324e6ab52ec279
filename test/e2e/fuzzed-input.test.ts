import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { seedGroup } from '../support/domain-fixtures.js'
import { startTestServer, type TestServer } from '../support/server.js'

// Arbitrary arguments for the mutations and queries that take free input: every answer must
// be a GraphQL validation error or a domain error as data (never a 5xx, never "Unexpected
// error."), and a refusal writes nothing. A fixed seed and a few runs in `npm test`;
// `npm run fuzz` runs many more (FUZZ_RUNS, FUZZ_SEED).

const runs = Number(process.env.FUZZ_RUNS ?? 15)
const seed = Number(process.env.FUZZ_SEED ?? 20261207)

/** Any UTF-16 code units: NUL, lone surrogates, controls, astral halves. */
const anyUnits = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)), maxLength: 40 })
const text = fc.oneof(
  anyUnits,
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom('', ' ', '\u0000', 'a\u0000b', '\uD800', 'x\uDFFFy', '😀', '\u202Eevil', 'x'.repeat(5_000)),
  fc.string({ minLength: 1_000, maxLength: 20_000 }),
)
const number = fc.oneof(fc.integer(), fc.constantFrom(0, -1, 2 ** 31 - 1, -(2 ** 31)), fc.double())
const anyValue = fc.oneof(text, number, fc.boolean(), fc.constant(null), fc.array(text, { maxLength: 300 }))

interface Answer {
  status: number
  body: { data?: Record<string, { __typename?: string; code?: string } | null> | null; errors?: Array<{ message: string; extensions?: { code?: string } }> }
}

describe('fuzzed input', { timeout: 120_000 }, () => {
  let server: TestServer
  let owner: string
  let member: string
  let guid: string
  beforeAll(async () => {
    server = await startTestServer({ env: { RATE_LIMIT_MUTATIONS: '1000000', RATE_LIMIT_REQUESTS_PER_MINUTE: '1000000' } })
    const group = await seedGroup(server.db, { scopes: ['PARTICIPANT'] })
    ;({ owner, guid } = group)
    member = group.uids[0]
  }, 60_000)
  afterAll(() => server?.stop())

  async function send(token: string, query: string, variables: Record<string, unknown>): Promise<Answer> {
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    })
    return { status: response.status, body: (await response.json()) as Answer['body'] }
  }

  /** Rows a refused call must leave as they were. */
  async function rowCounts(): Promise<number[]> {
    const prisma = server.db.prisma
    return Promise.all([prisma.user.count(), prisma.group.count(), prisma.groupMember.count(), prisma.message.count(), prisma.groupBan.count(), prisma.chatRoom.count()])
  }

  function expectNoServerError(answer: Answer, what: string): void {
    expect(answer.status, `${what}: ${JSON.stringify(answer.body).slice(0, 300)}`).toBeLessThan(500)
    for (const error of answer.body.errors ?? []) expect(error.message, what).not.toBe('Unexpected error.')
  }

  function refused(answer: Answer, field: string): boolean {
    const result = answer.body.data?.[field]
    return answer.status !== 200 || (answer.body.errors?.length ?? 0) > 0 || result == null || result.code !== undefined
  }

  const mutations: Array<{ name: string; field: string; query: string; as: () => Promise<string>; variables: () => fc.Arbitrary<Record<string, unknown>> }> = [
    {
      name: 'createGroup',
      field: 'createGroup',
      query: 'mutation ($input: CreateGroupInput!) { createGroup(input: $input) { __typename ... on Error { code message } } }',
      as: () => server.token(owner),
      variables: () => fc.record({ input: fc.record({ guid: text, name: text, type: fc.constantFrom('PUBLIC', 'PRIVATE', 'PASSWORD', 'MEETING'), password: fc.option(text) }) }),
    },
    {
      name: 'createUser',
      field: 'createUser',
      query: 'mutation ($input: CreateUserInput!) { createUser(input: $input) { __typename ... on Error { code message } } }',
      as: () => server.token('backend', { admin: true }),
      variables: () => fc.record({ input: fc.record({ uid: text, name: text }) }),
    },
    {
      name: 'sendGroupMessage',
      field: 'sendGroupMessage',
      query: 'mutation ($guid: ID!, $text: String!) { sendGroupMessage(guid: $guid, text: $text) { __typename ... on Error { code message } } }',
      as: () => server.token(owner),
      variables: () => fc.record({ guid: fc.oneof(fc.constant(guid), text), text }),
    },
    {
      name: 'banGroupMember',
      field: 'banGroupMember',
      query: 'mutation ($guid: ID!, $uid: ID!, $reason: String) { banGroupMember(guid: $guid, uid: $uid, reason: $reason) { __typename ... on Error { code message } } }',
      as: () => server.token(owner),
      // The member itself only with a reason that cannot be stored, so the group keeps its member.
      variables: () => fc.record({ guid: fc.constant(guid), uid: fc.oneof(text, fc.constant(member)), reason: fc.option(text) }).filter(
        (v) => v.uid !== member || (typeof v.reason === 'string' && (v.reason.includes('\u0000') || /\p{Surrogate}/u.test(v.reason))),
      ),
    },
    {
      name: 'joinGroup',
      field: 'joinGroup',
      query: 'mutation ($guid: ID!, $password: String) { joinGroup(guid: $guid, password: $password) { __typename ... on Error { code message } } }',
      as: () => server.token(member),
      variables: () => fc.record({ guid: text, password: fc.option(text) }),
    },
  ]

  for (const mutation of mutations) {
    test(`${mutation.name}: any arguments get data or a validation error, never a server error; a refusal writes nothing`, async () => {
      const token = await mutation.as()
      await fc.assert(
        fc.asyncProperty(mutation.variables(), async (variables) => {
          const before = await rowCounts()
          const answer = await send(token, mutation.query, variables)
          expectNoServerError(answer, mutation.name)
          if (refused(answer, mutation.field)) expect(await rowCounts(), JSON.stringify(answer.body).slice(0, 300)).toEqual(before)
        }),
        { seed, numRuns: runs },
      )
    })
  }

  test('any variables of any type, for every argument: validation errors, never a server error', async () => {
    const token = await server.token(owner)
    const query = 'mutation ($a: String, $b: Int, $c: [ID!]) { leaveGroup(guid: $a) { __typename } removeMembers(guid: $a, uids: $c) { __typename } groups(search: $a, first: $b) { edges { node { guid } } } }'
    await fc.assert(
      fc.asyncProperty(fc.record({ a: anyValue, b: anyValue, c: anyValue }), async (variables) => {
        const answer = await send(token, query.replace(/ groups\(.*$/, ' }'), variables)
        expectNoServerError(answer, 'mutations with any variables')
        expectNoServerError(await send(token, 'query ($a: String, $b: Int) { groups(search: $a, first: $b) { edges { node { guid } } } }', { a: variables.a, b: variables.b }), 'groups')
      }),
      { seed, numRuns: runs },
    )
  })

  test('text PostgreSQL cannot store faithfully is ERR_INVALID_INPUT naming the field, never changed', async () => {
    const token = await server.token(owner)
    for (const bad of ['bad\u0000name', 'bad\uD800name']) {
      const created = await send(token, mutations[0].query, { input: { guid: `g_${Date.now()}`, name: bad, type: 'PUBLIC' } })
      expect(created.body.data?.createGroup).toMatchObject({ code: 'ERR_INVALID_INPUT', message: expect.stringContaining('input.name') })
      const message = await send(token, mutations[2].query, { guid, text: bad })
      expect(message.body.data?.sendGroupMessage).toMatchObject({ code: 'ERR_INVALID_INPUT', message: expect.stringContaining('text') })
      const search = await send(token, 'query ($s: String) { groups(search: $s) { edges { node { guid } } } }', { s: bad })
      expect(search.body.errors?.[0]).toMatchObject({ extensions: { code: 'ERR_INVALID_INPUT', argument: 'search' } })
    }
  })
})
