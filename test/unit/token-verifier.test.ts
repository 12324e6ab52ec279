import { expect, test } from 'vitest'
import { TokenVerifier } from '../../src/auth/token-verifier.js'
import { InvalidTokenError, signToken } from '../../src/auth/tokens.js'

const secret = 'token-verifier-test-secret'

async function rejection(promise: Promise<unknown>): Promise<InvalidTokenError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof InvalidTokenError) return error
    throw error
  }
  throw new Error('expected a refusal')
}

test('a remembered token is refused once its exp has passed', async () => {
  let now = Date.now()
  const verifier = new TokenVerifier(secret, { now: () => now })
  const token = await signToken(secret, { sub: 'ada', expiresIn: '60s' })
  expect((await verifier.verify(token)).sub).toBe('ada')
  expect((await verifier.verify(token)).sub).toBe('ada')
  now += 61_000
  expect((await rejection(verifier.verify(token))).reason).toBe('expired')
  expect((await rejection(verifier.verify(token))).reason).toBe('expired')
})

test('a refused token is never remembered, and the memory is bounded', async () => {
  const verifier = new TokenVerifier(secret, { maxEntries: 3 })
  const forged = await signToken('another-secret-entirely', { sub: 'ada' })
  expect((await rejection(verifier.verify(forged))).reason).toBe('bad-signature')
  expect((await rejection(verifier.verify(forged))).reason).toBe('bad-signature')
  expect(verifier.size).toBe(0)
  for (const sub of ['a', 'b', 'c', 'd', 'e']) await verifier.verify(await signToken(secret, { sub }))
  expect(verifier.size).toBe(3)
})
