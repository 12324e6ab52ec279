import { hs256Key, verifyHs256, type Hs256Key } from './hs256.js'
import { InvalidTokenError } from './token-errors.js'
import { SignJWT, decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose'

const algorithm = 'HS256'

export interface TokenClaims {
  /** The token's subject: a user's uid, or any name for an app admin that is not a user. */
  sub: string
  isAppAdmin: boolean
  issuedAt: Date
  /** From `exp`; null when the token does not expire. */
  expiresAt: Date | null
}

export interface SignTokenOptions {
  sub: string
  /** Adds `role: "admin"`: the caller is the app admin. */
  admin?: boolean
  /** A jose time span from now, e.g. '2h', '30d' ('-1s' makes an expired token). Default: no expiry. */
  expiresIn?: string
  /** Defaults to now; tests move it to check tokensValidAfter. */
  issuedAt?: Date
}

export { InvalidTokenError, type InvalidTokenReason } from './token-errors.js'

function keyOf(secret: string): Uint8Array {
  return new TextEncoder().encode(secret)
}

export async function signToken(secret: string, options: SignTokenOptions): Promise<string> {
  const jwt = new SignJWT(options.admin ? { role: 'admin' } : {})
    .setProtectedHeader({ alg: algorithm, typ: 'JWT' })
    .setSubject(options.sub)
    .setIssuedAt(options.issuedAt ?? new Date())
  if (options.expiresIn !== undefined) jwt.setExpirationTime(options.expiresIn)
  return jwt.sign(keyOf(secret))
}

/** Checks signature, expiry and claims; throws InvalidTokenError for any token it refuses. */
export function verifyToken(secretOrKey: string | Hs256Key, token: string, nowMs = Date.now()): TokenClaims {
  const key = typeof secretOrKey === 'string' ? hs256Key(secretOrKey) : secretOrKey
  return claimsOf(verifyHs256(key, token, nowMs))
}

/** An identity provider's signing keys (jose's remote JWK set) and the claims it must set. */
export interface IdentityProviderKeys {
  keys: JWTVerifyGetKey
  issuer?: string
  audience?: string
}

/** The algorithms accepted from an identity provider. */
export const identityProviderAlgorithms = ['RS256', 'ES256']

/** The `alg` of a token's protected header, or undefined when the token is not a JWS. */
export function algorithmOf(token: string): string | undefined {
  try {
    return decodeProtectedHeader(token).alg
  } catch {
    return undefined
  }
}

/** As verifyToken, for a token an identity provider signed (RS256/ES256, `iss` and `aud` when configured). */
export async function verifyIdentityProviderToken(provider: IdentityProviderKeys, token: string): Promise<TokenClaims> {
  try {
    const { payload } = await jwtVerify(token, provider.keys, {
      algorithms: identityProviderAlgorithms,
      issuer: provider.issuer,
      audience: provider.audience,
      requiredClaims: ['sub', 'iat'],
    })
    return claimsOf(payload)
  } catch (error) {
    if (error instanceof InvalidTokenError) throw error
    if (error instanceof errors.JOSEError) throw invalidTokenFrom(error) ?? error
    // Fetching the key set failed before jose could judge the token (refused, DNS, a bad answer).
    throw new InvalidTokenError('keys-unavailable', 'the identity provider’s keys could not be fetched; try again')
  }
}

function claimsOf(payload: JWTPayload): TokenClaims {
  // iat is required because tokensValidAfter (set on deactivation) is compared with it.
  if (typeof payload.sub !== 'string' || payload.sub === '' || typeof payload.iat !== 'number') {
    throw new InvalidTokenError('missing-claims', 'the token needs a non-empty "sub" and a numeric "iat"')
  }
  return {
    sub: payload.sub,
    isAppAdmin: payload.role === 'admin',
    issuedAt: new Date(payload.iat * 1000),
    expiresAt: typeof payload.exp === 'number' ? new Date(payload.exp * 1000) : null,
  }
}

function invalidTokenFrom(error: unknown): InvalidTokenError | undefined {
  if (error instanceof errors.JWTExpired) return new InvalidTokenError('expired', 'the token has expired')
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new InvalidTokenError('bad-signature', 'the token is not signed with this server’s secret')
  }
  if (error instanceof errors.JWKSNoMatchingKey) return new InvalidTokenError('bad-signature', 'the identity provider has no key with the token’s "kid"')
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) {
    return new InvalidTokenError('keys-unavailable', 'the identity provider’s keys could not be fetched; try again')
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    return new InvalidTokenError('missing-claims', `the token's claims are not acceptable: ${error.message}`)
  }
  if (error instanceof errors.JOSEError) return new InvalidTokenError('malformed', `the token is not a valid JWT: ${error.message}`)
  // jose throws TypeError for some malformed inputs (e.g. bad base64).
  if (error instanceof TypeError) return new InvalidTokenError('malformed', 'the token is not a valid JWT')
  return undefined
}
