import { Writable } from 'node:stream'
import { expect, test } from 'vitest'
import { Prisma } from '../../src/generated/prisma/client.js'
import { createSchema, createYoga } from 'graphql-yoga'
import { createLogger, requestIdFrom, yogaLogger, type LogScope } from '../../src/operations/logger.js'
import { loggedWithItsRequest, useRequestLog } from '../../src/operations/http-log.js'

/** A logger whose lines are kept, parsed. */
function capturedLogger(level: 'info' | 'debug' = 'info') {
  const lines: Record<string, unknown>[] = []
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line))
      done()
    },
  })
  return { log: createLogger({ level, destination }), lines }
}

test('a line is one JSON object with level, ISO time and msg', () => {
  const { log, lines } = capturedLogger()
  log.child({ reqId: 'r1' }).info({ status: 200 }, 'request completed')
  expect(lines).toEqual([{ level: 'info', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), pid: process.pid, hostname: expect.any(String), reqId: 'r1', status: 200, msg: 'request completed' }])
})

test('authorization headers, connectionParams, variables, passwords, secrets and signatures are redacted wherever they are passed', () => {
  const { log, lines } = capturedLogger()
  log.info(
    {
      headers: { authorization: 'Bearer a.b.c', 'webhook-signature': 'v1,sig', cookie: 'session=1', accept: 'application/json' },
      connectionParams: { authorization: 'Bearer d.e.f' },
      params: { query: '{ me { uid } }', variables: { password: 'hunter2' } },
      endpoint: { url: 'https://example.com/hook', secret: 'whsec_x' },
      password: 'top',
    },
    'careless',
  )
  const line = JSON.stringify(lines[0])
  for (const secret of ['a.b.c', 'v1,sig', 'session=1', 'd.e.f', 'hunter2', 'whsec_x', '"top"']) expect(line).not.toContain(secret)
  expect(lines[0]).toMatchObject({ headers: { accept: 'application/json' }, params: { query: '{ me { uid } }' }, endpoint: { url: 'https://example.com/hook' } })
})

test('a Prisma error is logged as its class, code and reason: not the call it quotes nor its meta', () => {
  const { log, lines } = capturedLogger()
  const message = [
    'Invalid `prisma.group.create()` invocation:',
    '{\n  data: {\n    passwordHash: "scrypt$secret-hash"\n  }\n}',
    'Unique constraint failed on the fields: (`guid`)',
  ].join('\n\n')
  const error = new Prisma.PrismaClientKnownRequestError(message, { code: 'P2002', clientVersion: '7', meta: { target: ['guid'], value: 'scrypt$secret-hash' } })
  log.error({ err: error }, 'could not create the group')
  expect(lines[0].err).toEqual({ type: 'PrismaClientKnownRequestError', code: 'P2002', message: 'Unique constraint failed on the fields: (`guid`)' })
  expect(JSON.stringify(lines[0])).not.toContain('secret-hash')
})

test('another error keeps its message and stack, and its cause', () => {
  const { log, lines } = capturedLogger()
  log.error({ err: new Error('outer', { cause: Object.assign(new Error('inner'), { code: 'ECONNRESET' }) }) }, 'failed')
  expect(lines[0].err).toMatchObject({ type: 'Error', message: 'outer', stack: expect.stringContaining('outer'), cause: { message: 'inner', code: 'ECONNRESET' } })
})

test("an error Yoga masks is logged once, on its request's logger, and the operation is noted on the request's line", async () => {
  const { log, lines } = capturedLogger('debug')
  const yoga = createYoga<{ logScope?: LogScope }>({
    schema: createSchema({
      typeDefs: 'type Query { broken: Int, fine: Int }',
      resolvers: { Query: { broken: () => Promise.reject(new Error('database on fire')), fine: () => 1 } },
    }),
    logging: yogaLogger(log, loggedWithItsRequest),
    plugins: [useRequestLog()],
    maskedErrors: { isDev: false },
  })
  const ask = async (query: string, logScope?: LogScope) => {
    const response = await yoga.fetch('http://localhost/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) }, { logScope })
    return (await response.json()) as { errors?: { message: string }[] }
  }

  const fields: Record<string, unknown> = {}
  const answer = await ask('query Broken { broken }', { log: log.child({ reqId: 'r2' }), fields })
  expect(answer.errors?.map((e) => e.message)).toEqual(['Unexpected error.'])
  const errorLines = () => lines.filter((l) => l.level === 'error')
  expect(errorLines().map((l) => [l.reqId, l.msg])).toEqual([['r2', 'unexpected error (masked in the response)']])
  expect(errorLines()[0].err).toMatchObject({ message: 'database on fire' })
  expect(fields).toEqual({ operation: 'query', operationName: 'Broken' })

  // An error the client is meant to see is not logged; without a scope, Yoga's own line is kept.
  expect((await ask('query Fine { fine nope }', { log: log.child({ reqId: 'r3' }), fields: {} })).errors).toHaveLength(1)
  await ask('{ broken }')
  expect(errorLines().map((l) => [l.reqId, l.msg])).toEqual([
    ['r2', 'unexpected error (masked in the response)'],
    [undefined, 'unexpected error (masked in the response)'],
  ])
})

test('a request id from the caller is kept when it is a plain token of at most 128 characters', () => {
  expect(requestIdFrom('abc-123_x.y:z')).toBe('abc-123_x.y:z')
  expect(requestIdFrom(['first', 'second'])).toBe('first')
  for (const insane of ['', 'with space', 'x'.repeat(129), 'quote"', 'new\nline', undefined]) {
    expect(requestIdFrom(insane)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/)
  }
})
