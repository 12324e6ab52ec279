// HS256 verification with node:crypto, synchronously. jose checks HMACs through WebCrypto, an
// asynchronous job of about 0.1 ms per token on the main thread: a reconnect storm of 10,000
// clients with new tokens spent a tenth of its time there. The rules are jose's for a compact
// JWS: the header names alg HS256 and no `crit`, the signature is checked in constant time, then
// exp/nbf/iat are checked as numeric dates (no clock tolerance).
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto'
import { InvalidTokenError } from './token-errors.js'

export type Hs256Key = KeyObject

export function hs256Key(secret: string): Hs256Key {
  return createSecretKey(Buffer.from(secret, 'utf8'))
}

const base64url = /^[A-Za-z0-9_-]*$/

/** The payload of a token signed with `key`; throws InvalidTokenError for any other. */
export function verifyHs256(key: Hs256Key, token: string, nowMs: number): Record<string, unknown> {
  const parts = token.split('.')
  if (parts.length !== 3 || !parts.every((part) => base64url.test(part)) || parts[0] === '' || parts[1] === '') {
    throw new InvalidTokenError('malformed', 'the token is not a valid JWT: it must be three base64url parts')
  }
  const [encodedHeader, encodedPayload, encodedSignature] = parts as [string, string, string]
  const header = jsonObjectOf(encodedHeader, 'header')
  if (header.alg !== 'HS256') {
    throw new InvalidTokenError(header.alg === 'none' || header.alg === undefined ? 'malformed' : 'bad-signature', `the token is signed with ${String(header.alg)}: this server takes HS256`)
  }
  if (header.crit !== undefined || header.b64 !== undefined) {
    throw new InvalidTokenError('malformed', 'the token is not a valid JWT: its header has extensions this server does not support')
  }
  const expected = createHmac('sha256', key).update(`${encodedHeader}.${encodedPayload}`).digest()
  const given = Buffer.from(encodedSignature, 'base64url')
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new InvalidTokenError('bad-signature', 'the token is not signed with this server’s secret')
  }
  const payload = jsonObjectOf(encodedPayload, 'payload')
  const now = Math.floor(nowMs / 1000)
  for (const claim of ['exp', 'nbf', 'iat'] as const) {
    if (payload[claim] !== undefined && (typeof payload[claim] !== 'number' || !Number.isFinite(payload[claim]))) {
      throw new InvalidTokenError('malformed', `the token is not a valid JWT: "${claim}" must be a number`)
    }
  }
  if (typeof payload.exp === 'number' && payload.exp <= now) throw new InvalidTokenError('expired', 'the token has expired')
  if (typeof payload.nbf === 'number' && payload.nbf > now) throw new InvalidTokenError('missing-claims', 'the token is not valid yet ("nbf")')
  return payload
}

function jsonObjectOf(encoded: string, what: string): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'))
  } catch {
    throw new InvalidTokenError('malformed', `the token is not a valid JWT: its ${what} is not JSON`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidTokenError('malformed', `the token is not a valid JWT: its ${what} is not a JSON object`)
  }
  return value as Record<string, unknown>
}
