import { print, type DocumentNode } from 'graphql'
import { createClient, type Client, type ExecutionResult } from 'graphql-ws'
import { WebSocket } from 'ws'
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest'
import {
  DeactivateUserTypenameDocument,
  LeaveAllGroupsDocument,
  MeDocument,
  MeUidDocument,
  MemberLeftDocument,
} from '../generated/graphql.js'
import { uniqueId } from '../support/database.js'
import { gql, startTestServer, whenFollowing, type TestServer } from '../support/server.js'

let server: TestServer
const clients: Client[] = []

beforeAll(async () => {
  server = await startTestServer()
})
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.dispose()))
})
afterAll(() => server?.stop())

async function createUser(name = 'Ada') {
  return server.db.prisma.user.create({ data: { uid: uniqueId('u'), name } })
}

async function deactivate(uid: string) {
  const now = new Date()
  await server.db.prisma.user.update({ where: { uid }, data: { deactivatedAt: now, tokensValidAfter: now } })
}

function errorCodes(response: { errors?: readonly { extensions?: Record<string, unknown> }[] | null }) {
  return (response.errors ?? []).map((error) => error.extensions?.code)
}

/** A graphql-ws client that reports how its socket closed. */
function wsClient(connectionParams?: Record<string, unknown>) {
  let resolveClosed: (event: { code: number; reason: string }) => void
  const closed = new Promise<{ code: number; reason: string }>((resolve) => (resolveClosed = resolve))
  let resolveConnected: () => void
  const connected = new Promise<void>((resolve) => (resolveConnected = resolve))
  const client = createClient({
    url: server.wsUrl,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: false,
    connectionParams,
    onNonLazyError: () => {},
    on: {
      connected: () => resolveConnected(),
      closed: (event) => resolveClosed(event as { code: number; reason: string }),
    },
  })
  clients.push(client)
  return { client, closed, connected }
}

/** Runs one operation over graphql-ws; a refused operation resolves to its errors. */
async function wsRun(client: Client, document: DocumentNode): Promise<ExecutionResult> {
  try {
    const result = await client.iterate({ query: print(document) }).next()
    return result.value as ExecutionResult
  } catch (error) {
    if (Array.isArray(error)) return { errors: error }
    throw error
  }
}

test('without a token, me is null', async () => {
  const response = await gql(server, null, MeUidDocument)
  expect(response).toMatchObject({ status: 200, data: { me: null } })
  expect(response.errors).toBeUndefined()
})

test('without a token, a field that needs a caller answers UNAUTHENTICATED', async () => {
  const response = await gql(server, null, LeaveAllGroupsDocument)
  expect(errorCodes(response)).toEqual(['UNAUTHENTICATED'])
})

test('a user token makes the user the caller', async () => {
  const user = await createUser()
  const response = await gql(server, await server.token(user.uid), MeDocument)
  expect(response).toMatchObject({ status: 200, data: { me: { uid: user.uid, name: 'Ada' } } })
})

test('a malformed Authorization header or a bad token is refused with 401 UNAUTHENTICATED', async () => {
  const user = await createUser()
  const token = await server.token(user.uid)
  for (const authorization of ['Basic YWRhOnB3', 'Bearer', 'Bearer not-a-jwt', `Bearer ${token}x`]) {
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: authorization },
      body: JSON.stringify({ query: print(MeUidDocument) }),
    })
    expect(response.status, authorization).toBe(401)
    expect(errorCodes((await response.json()) as never), authorization).toEqual(['UNAUTHENTICATED'])
  }
})

test('an expired token is unauthenticated', async () => {
  const user = await createUser()
  const response = await gql(server, await server.token(user.uid, { expiresIn: '-1m' }), MeUidDocument)
  expect(response.status).toBe(401)
  expect(errorCodes(response)).toEqual(['UNAUTHENTICATED'])
})

test('a token for a uid that is not a user is unauthenticated', async () => {
  const response = await gql(server, await server.token(uniqueId('ghost')), MeUidDocument)
  expect(response.status).toBe(401)
  expect(errorCodes(response)).toEqual(['UNAUTHENTICATED'])
})

test('a deactivated user is unauthenticated at once', async () => {
  const user = await createUser()
  const token = await server.token(user.uid)
  expect((await gql(server, token, MeUidDocument)).data).toEqual({ me: { uid: user.uid } })

  await deactivate(user.uid)
  const response = await gql(server, token, MeUidDocument)
  expect(response.status).toBe(401)
  expect(errorCodes(response)).toEqual(['UNAUTHENTICATED'])
})

test('tokens issued before tokensValidAfter are refused, later ones accepted', async () => {
  const user = await createUser()
  const cutOff = new Date()
  await server.db.prisma.user.update({ where: { uid: user.uid }, data: { tokensValidAfter: cutOff } })

  const older = await server.token(user.uid, { issuedAt: new Date(cutOff.getTime() - 60_000) })
  expect(errorCodes(await gql(server, older, MeUidDocument))).toEqual(['UNAUTHENTICATED'])

  const newer = await server.token(user.uid, { issuedAt: new Date(cutOff.getTime() + 2_000) })
  expect((await gql(server, newer, MeUidDocument)).data).toEqual({ me: { uid: user.uid } })
})

test('an admin token whose sub is not a user is a valid caller without a user', async () => {
  const token = await server.token(uniqueId('backend'), { admin: true })
  const response = await gql(server, token, MeUidDocument)
  expect(response).toMatchObject({ status: 200, data: { me: null } })
  expect(response.errors).toBeUndefined()
})

test('an admin token whose sub is a user acts as that user, unless deactivated', async () => {
  const user = await createUser()
  const token = await server.token(user.uid, { admin: true })
  expect((await gql(server, token, MeUidDocument)).data).toEqual({ me: { uid: user.uid } })

  await deactivate(user.uid)
  expect(errorCodes(await gql(server, token, MeUidDocument))).toEqual(['UNAUTHENTICATED'])
})

test('over WebSocket, a bad token closes the socket with 4403', async () => {
  const { closed } = wsClient({ authorization: 'Bearer not-a-jwt' })
  expect((await closed).code).toBe(4403)
})

test('over WebSocket, a token for an unknown uid closes the socket with 4403', async () => {
  const { closed } = wsClient({ authorization: `Bearer ${await server.token(uniqueId('ghost'))}` })
  expect((await closed).code).toBe(4403)
})

test('over WebSocket, no token is accepted and me is null, while a subscription needing a user is UNAUTHENTICATED', async () => {
  const { client, connected } = wsClient()
  await connected
  expect(await wsRun(client, MeUidDocument)).toEqual({ data: { me: null } })
  expect(errorCodes(await wsRun(client, MemberLeftDocument))).toEqual(['UNAUTHENTICATED'])
})

test('over WebSocket, a good token runs operations as the user (Authorization key accepted too)', async () => {
  const user = await createUser()
  const token = await server.token(user.uid)
  for (const params of [{ authorization: `Bearer ${token}` }, { Authorization: `Bearer ${token}` }]) {
    const { client } = wsClient(params)
    expect(await wsRun(client, MeUidDocument)).toEqual({ data: { me: { uid: user.uid } } })
  }
})

test('over WebSocket, operations of a user deactivated after connecting are UNAUTHENTICATED', async () => {
  const user = await createUser()
  const { client, connected } = wsClient({ authorization: `Bearer ${await server.token(user.uid)}` })
  await connected
  expect(await wsRun(client, MeUidDocument)).toEqual({ data: { me: { uid: user.uid } } })

  await deactivate(user.uid)
  expect(errorCodes(await wsRun(client, MeUidDocument))).toEqual(['UNAUTHENTICATED'])
})

test('deactivateUser closes the open WebSocket connections of that user with 4403, and only those', async () => {
  const user = await createUser()
  const bystander = await createUser()
  const own = wsClient({ authorization: `Bearer ${await server.token(user.uid)}` })
  const other = wsClient({ authorization: `Bearer ${await server.token(bystander.uid)}` })
  await Promise.all([own.connected, other.connected])
  await whenFollowing(server, () => void own.client.iterate({ query: print(MemberLeftDocument) }).next().catch(() => {}))
  expect(server.deps.liveSessions.count(user.uid)).toBe(1)

  const admin = await server.token('backend', { admin: true })
  const result = await gql(server, admin, DeactivateUserTypenameDocument, { uid: user.uid })
  expect(result.data).toEqual({ deactivateUser: { __typename: 'DeactivateUserPayload' } })
  expect((await own.closed).code).toBe(4403)
  expect(await wsRun(other.client, MeUidDocument)).toEqual({ data: { me: { uid: bystander.uid } } })
  expect(server.deps.liveSessions.count(user.uid)).toBe(0)
})
