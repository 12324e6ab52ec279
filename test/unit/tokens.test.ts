import { createHmac } from 'node:crypto'
import { decodeJwt } from 'jose'
import { expect, test } from 'vitest'
import { InvalidTokenError, signToken, verifyToken } from '../../src/auth/tokens.js'

const secret = 'unit-test-secret-0123456789abcdef'

async function rejection(verify: () => unknown): Promise<InvalidTokenError> {
  const error = await Promise.resolve()
    .then(verify)
    .then(
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
  expect((await rejection(() => verifyToken(secret, token))).reason).toBe('bad-signature')
})

test('an expired token is rejected', async () => {
  const token = await signToken(secret, { sub: 'ada', expiresIn: '-1m' })
  expect((await rejection(() => verifyToken(secret, token))).reason).toBe('expired')
})

test('a token that is not yet expired is accepted', async () => {
  const token = await signToken(secret, { sub: 'ada', expiresIn: '1h' })
  expect((await verifyToken(secret, token)).sub).toBe('ada')
})

test('garbage and unsigned tokens are rejected as malformed', async () => {
  expect((await rejection(() => verifyToken(secret, 'not-a-jwt'))).reason).toBe('malformed')
  const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"ada","iat":1}').toString('base64url')}.`
  expect((await rejection(() => verifyToken(secret, unsigned))).reason).toBe('malformed')
})

test('a token without iat is rejected, since revocation compares with it', async () => {
  const { SignJWT } = await import('jose')
  const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('ada').sign(new TextEncoder().encode(secret))
  expect((await rejection(() => verifyToken(secret, token))).reason).toBe('missing-claims')
})

test('it accepts exactly the tokens jose accepts as HS256 with sub and iat: crafted headers, signatures and claims', async () => {
  const { SignJWT, jwtVerify } = await import('jose')
  const key = new TextEncoder().encode(secret)
  const now = Math.floor(Date.now() / 1000)
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const signed = (header: Record<string, unknown>, payload: Record<string, unknown>) => {
    const input = `${part(header)}.${part(payload)}`
    return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`
  }
  const valid = await signToken(secret, { sub: 'ada' })
  const [h, p, sig] = valid.split('.') as [string, string, string]
  const tokens: Record<string, string> = {
    valid,
    'admin, expiring later': await signToken(secret, { sub: 'ada', admin: true, expiresIn: '1h' }),
    'HS512 with the same secret': await new SignJWT({}).setProtectedHeader({ alg: 'HS512' }).setSubject('ada').setIssuedAt().sign(key),
    'another secret': await signToken('another-secret-0123456789abcdef', { sub: 'ada' }),
    'payload swapped': `${h}.${part({ sub: 'eve', iat: now })}.${sig}`,
    'signature cut short': `${h}.${p}.${sig.slice(0, -2)}`,
    'no signature': `${h}.${p}.`,
    'four parts': `${valid}.${sig}`,
    'alg none': `${part({ alg: 'none' })}.${p}.`,
    'crit header': signed({ alg: 'HS256', crit: ['exp'] }, { sub: 'ada', iat: now }),
    'b64 false header': signed({ alg: 'HS256', b64: false, crit: ['b64'] }, { sub: 'ada', iat: now }),
    'header is an array': signed([] as never, { sub: 'ada', iat: now }),
    'payload is not JSON': `${h}.${Buffer.from('{sub').toString('base64url')}.${createHmac('sha256', secret).update(`${h}.${Buffer.from('{sub').toString('base64url')}`).digest('base64url')}`,
    'exp is a string': signed({ alg: 'HS256' }, { sub: 'ada', iat: now, exp: String(now + 60) }),
    'exp now': signed({ alg: 'HS256' }, { sub: 'ada', iat: now, exp: now }),
    'nbf in a minute': signed({ alg: 'HS256' }, { sub: 'ada', iat: now, nbf: now + 60 }),
    'nbf a minute ago': signed({ alg: 'HS256' }, { sub: 'ada', iat: now, nbf: now - 60 }),
    'iat is a string': signed({ alg: 'HS256' }, { sub: 'ada', iat: String(now) }),
    'sub is a number': signed({ alg: 'HS256' }, { sub: 7, iat: now }),
    'no sub': signed({ alg: 'HS256' }, { iat: now }),
    'bad base64': `${h}.${p}!.${sig}`,
  }
  const verdicts = async (verify: (token: string) => unknown) =>
    Object.fromEntries(
      await Promise.all(
        Object.entries(tokens).map(async ([name, token]) => [
          name,
          await Promise.resolve()
            .then(() => verify(token))
            .then(
              () => 'accepted',
              () => 'refused',
            ),
        ]),
      ),
    )
  const ours = await verdicts((token) => verifyToken(secret, token))
  // jose, and then what verifyToken has always asked of the claims: a non-empty string sub, a numeric iat.
  const jose = await verdicts(async (token) => {
    const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'], requiredClaims: ['sub', 'iat'] })
    if (typeof payload.sub !== 'string' || payload.sub === '' || typeof payload.iat !== 'number') throw new Error('claims')
  })
  expect(ours).toEqual(jose)
  expect(Object.values(ours).filter((verdict) => verdict === 'accepted').length).toBe(3)
})
