import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { createServer, type Server as HttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { MeUidDocument } from '../generated/graphql.js'
import { createUsers } from '../support/domain-fixtures.js'
import { rawConnect } from '../support/raw-subscriber.js'
import { gql, startTestServer, type TestServer } from '../support/server.js'

// Tokens from an identity provider (AUTH_JWKS_URL): a local JWKS server whose keys the tests
// rotate, as a provider does.

const issuer = 'https://idp.test/'
const audience = 'departures-api'

interface SigningKey {
  kid: string
  alg: 'RS256' | 'ES256'
  privateKey: CryptoKey
  jwk: JWK
}

async function signingKey(kid: string, alg: SigningKey['alg']): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } }
}

/** A JWKS endpoint serving `published`; `stalled` makes it never answer. */
async function startKeyServer(): Promise<{ url: string; published: SigningKey[]; fetches: number; stalled: boolean; close(): Promise<void> }> {
  const state = { published: [] as SigningKey[], fetches: 0, stalled: false }
  const server: HttpServer = createServer((req, res) => {
    state.fetches++
    if (state.stalled) return
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: state.published.map((key) => key.jwk) }))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return Object.assign(state, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`,
    close: async () => {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  })
}

function providerToken(key: SigningKey, claims: { sub: string; aud?: string; iss?: string; expiresIn?: string; role?: string }): Promise<string> {
  const jwt = new SignJWT(claims.role ? { role: claims.role } : {})
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuer(claims.iss ?? issuer)
    .setAudience(claims.aud ?? audience)
    .setIssuedAt()
    // RS256 signatures are deterministic: without a jti, a token made in the same second with
    // the same claims would be the very token verified (and remembered) before.
    .setJti(randomUUID())
  if (claims.expiresIn) jwt.setExpirationTime(claims.expiresIn)
  return jwt.sign(key.privateKey)
}

function meOf(result: Awaited<ReturnType<typeof gql>>): unknown {
  return result.errors ? result.errors.map((error) => error.extensions?.code) : result.data
}

describe('tokens from an identity provider (AUTH_JWKS_URL)', { timeout: 30_000 }, () => {
  let keys: Awaited<ReturnType<typeof startKeyServer>>
  let server: TestServer
  let uid: string
  beforeAll(async () => {
    keys = await startKeyServer()
    keys.published.push(await signingKey('rsa-1', 'RS256'), await signingKey('ec-1', 'ES256'))
    server = await startTestServer({
      env: { AUTH_JWKS_URL: keys.url, AUTH_ISSUER: issuer, AUTH_AUDIENCE: audience, AUTH_JWKS_TIMEOUT_MS: '500', AUTH_JWKS_COOLDOWN_MS: '0' },
    })
    ;[uid] = await createUsers(server.db, 1)
  }, 60_000)
  afterAll(async () => {
    await server?.stop()
    await keys?.close()
  })

  test('RS256 and ES256 tokens signed by the provider are accepted over HTTP and WebSocket; HS256 tokens with AUTH_SECRET still are', async () => {
    for (const key of keys.published) {
      expect(meOf(await gql(server, await providerToken(key, { sub: uid }), MeUidDocument))).toEqual({ me: { uid } })
    }
    expect(meOf(await gql(server, await server.token(uid), MeUidDocument))).toEqual({ me: { uid } })
    const socket = await rawConnect(server.wsUrl)
    await socket.init(await providerToken(keys.published[0], { sub: uid }))
    socket.subscribe('{ me { uid } }', {}).close()
  })

  test("the role claim makes the provider's token the app admin's", async () => {
    const admin = await providerToken(keys.published[0], { sub: 'idp-backend', role: 'admin' })
    const result = await gql(server, admin, MeUidDocument)
    expect(result.errors).toBeUndefined()
  })

  test('a wrong audience, a wrong issuer, an expired token or an unknown key is UNAUTHENTICATED', async () => {
    const [key] = keys.published
    expect(meOf(await gql(server, await providerToken(key, { sub: uid, aud: 'someone-else' }), MeUidDocument))).toEqual(['UNAUTHENTICATED'])
    expect(meOf(await gql(server, await providerToken(key, { sub: uid, iss: 'https://evil.test/' }), MeUidDocument))).toEqual(['UNAUTHENTICATED'])
    expect(meOf(await gql(server, await providerToken(key, { sub: uid, expiresIn: '-1s' }), MeUidDocument))).toEqual(['UNAUTHENTICATED'])
    const unpublished = await signingKey('never-published', 'RS256')
    expect(meOf(await gql(server, await providerToken(unpublished, { sub: uid }), MeUidDocument))).toEqual(['UNAUTHENTICATED'])
    // A key the provider does not publish cannot be forged under a published kid either.
    const forged = { ...unpublished, kid: key.kid }
    expect(meOf(await gql(server, await providerToken(forged, { sub: uid }), MeUidDocument))).toEqual(['UNAUTHENTICATED'])
  })

  test('after the provider rotates its keys, a token with the new kid is accepted (the key set is fetched again) and the removed key stops working for new tokens', async () => {
    const before = keys.fetches
    const rotated = await signingKey('rsa-2', 'RS256')
    const retired = keys.published.shift()!
    keys.published.push(rotated)
    expect(meOf(await gql(server, await providerToken(rotated, { sub: uid }), MeUidDocument))).toEqual({ me: { uid } })
    expect(keys.fetches).toBeGreaterThan(before)
    expect(meOf(await gql(server, await providerToken(retired, { sub: uid }), MeUidDocument))).toEqual(['UNAUTHENTICATED'])
  })

  test('a provider that does not answer makes a new token UNAUTHENTICATED within the timeout, not a server error', async () => {
    keys.stalled = true
    try {
      const unknown = await signingKey('rsa-3', 'RS256')
      const started = Date.now()
      const result = await gql(server, await providerToken(unknown, { sub: uid }), MeUidDocument)
      expect(Date.now() - started).toBeLessThan(3_000)
      expect(result.status).toBe(401)
      expect(meOf(result)).toEqual(['UNAUTHENTICATED'])
      expect(result.errors?.[0].message).toMatch(/identity provider/)
    } finally {
      keys.stalled = false
    }
  })

  test('without AUTH_JWKS_URL an RS256 token is refused with a message that says why', async () => {
    const plain = await startTestServer({ database: server.db })
    try {
      const result = await gql(plain, await providerToken(keys.published[0], { sub: uid }), MeUidDocument)
      expect(meOf(result)).toEqual(['UNAUTHENTICATED'])
      expect(result.errors?.[0].message).toMatch(/HS256 tokens only/)
    } finally {
      await plain.stop()
    }
  })
})
