import { decodeJwt } from 'jose'
import { expect, test } from 'vitest'
import { InvalidTokenError, signToken, verifyToken } from '../../src/auth/tokens.js'

const secret = 'unit-test-secret-0123456789abcdef'

async function rejection(promise: Promise<unknown>): Promise<InvalidTokenError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(InvalidTokenError)
  return error as InvalidTokenError
}

test('a signed token verifies to its subject and issue time', async () => {
  const before = Math.floor(Date.now() / 1000) * 1000
  const claims = await verifyToken(secret, await signToken(secret, { sub: 'ada' }))
  expect(claims.sub).toBe('ada')
  expect(claims.isAppAdmin).toBe(false)
  expect(claims.issuedAt.getTime()).toBeGreaterThanOrEqual(before)
  expect(claims.issuedAt.getTime()).toBeLessThanOrEqual(Date.now())
})

test('an admin token carries role admin and verifies as the app admin', async () => {
  const token = await signToken(secret, { sub: 'backend', admin: true })
  expect(decodeJwt(token)).toMatchObject({ sub: 'backend', role: 'admin' })
  expect(await verifyToken(secret, token)).toMatchObject({ sub: 'backend', isAppAdmin: true })
})

test('a token signed with another secret is rejected', async () => {
  const token = await signToken('another-secret-0123456789abcdef', { sub: 'ada' })
  expect((await rejection(verifyToken(secret, token))).reason).toBe('bad-signature')
})

test('an expired token is rejected', async () => {
  const token = await signToken(secret, { sub: 'ada', expiresIn: '-1m' })
  expect((await rejection(verifyToken(secret, token))).reason).toBe('expired')
})

test('a token that is not yet expired is accepted', async () => {
  const token = await signToken(secret, { sub: 'ada', expiresIn: '1h' })
  expect((await verifyToken(secret, token)).sub).toBe('ada')
})

test('garbage and unsigned tokens are rejected as malformed', async () => {
  expect((await rejection(verifyToken(secret, 'not-a-jwt'))).reason).toBe('malformed')
  const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"ada","iat":1}').toString('base64url')}.`
  expect((await rejection(verifyToken(secret, unsigned))).reason).toBe('malformed')
})

test('a token without iat is rejected, since revocation compares with it', async () => {
  const { SignJWT } = await import('jose')
  const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('ada').sign(new TextEncoder().encode(secret))
  expect((await rejection(verifyToken(secret, token))).reason).toBe('missing-claims')
})
