import { createRemoteJWKSet } from 'jose'
import { hs256Key, type Hs256Key } from './hs256.js'
import type { Config } from '../config.js'
import {
  algorithmOf,
  identityProviderAlgorithms,
  InvalidTokenError,
  verifyIdentityProviderToken,
  verifyToken,
  type IdentityProviderKeys,
  type TokenClaims,
} from './tokens.js'

export interface TokenVerifierOptions {
  /** RS256/ES256 tokens from an identity provider, beside HS256 with the secret. */
  identityProvider?: Config['identityProvider']
  /** Tokens remembered at most (the oldest is forgotten first). */
  maxEntries?: number
  now?: () => number
}

/**
 * Verifies bearer tokens once and remembers the ones that passed: a client sends the same token
 * with every request, and a signature check costs more than the rest of the authentication. Only the signature and claims are remembered; `exp` is checked on every
 * use, and the user row (deactivation, revoked tokens) is still read on every request.
 */
export class TokenVerifier {
  private readonly verified = new Map<string, TokenClaims>()
  private readonly maxEntries: number
  private readonly now: () => number
  private readonly key: Hs256Key
  private readonly identityProvider: IdentityProviderKeys | undefined

  constructor(
    secret: string,
    options: TokenVerifierOptions = {},
  ) {
    this.maxEntries = options.maxEntries ?? 10_000
    this.now = options.now ?? Date.now
    this.key = hs256Key(secret)
    const provider = options.identityProvider
    // jose keeps the key set (10 minutes), refetches it for a kid it does not know (at most once
    // per cooldown, so made-up kids cannot flood the provider) and gives up a fetch at the timeout.
    this.identityProvider = provider && {
      keys: createRemoteJWKSet(new URL(provider.jwksUrl), { timeoutDuration: provider.timeoutMs, cooldownDuration: provider.cooldownMs }),
      issuer: provider.issuer,
      audience: provider.audience,
    }
  }

  async verify(token: string): Promise<TokenClaims> {
    const known = this.verified.get(token)
    if (known) {
      if (known.expiresAt === null || known.expiresAt.getTime() > this.now()) return known
      throw new InvalidTokenError('expired', 'the token has expired')
    }
    const claims = await this.verifyUnknown(token)
    if (this.verified.size >= this.maxEntries) this.verified.delete(this.verified.keys().next().value!)
    this.verified.set(token, claims)
    return claims
  }

  private async verifyUnknown(token: string): Promise<TokenClaims> {
    const algorithm = algorithmOf(token)
    if (algorithm !== undefined && identityProviderAlgorithms.includes(algorithm)) {
      if (!this.identityProvider) throw new InvalidTokenError('bad-signature', `the token is signed with ${algorithm}: this server takes HS256 tokens only (no AUTH_JWKS_URL)`)
      return verifyIdentityProviderToken(this.identityProvider, token)
    }
    return verifyToken(this.key, token, this.now())
  }

  /** @internal Tokens remembered (tests check the bound). */
  get size(): number {
    return this.verified.size
  }
}
