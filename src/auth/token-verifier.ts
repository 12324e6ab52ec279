import { createRemoteJWKSet } from 'jose'
import type { Config } from '../config.js'
import {
  algorithmOf,
  identityProviderAlgorithms,
  InvalidTokenError,
  verificationKey,
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
 * with every request, and checking an HS256 signature through WebCrypto costs more than the rest
 * of the authentication. Only the signature and claims are remembered; `exp` is checked on every
 * use, and the user row (deactivation, revoked tokens) is still read on every request.
 */
export class TokenVerifier {
  private readonly verified = new Map<string, TokenClaims>()
  private readonly maxEntries: number
  private readonly now: () => number
  private key: Promise<CryptoKey> | null = null
  private readonly identityProvider: IdentityProviderKeys | undefined

  constructor(
    private readonly secret: string,
    options: TokenVerifierOptions = {},
  ) {
    this.maxEntries = options.maxEntries ?? 10_000
    this.now = options.now ?? Date.now
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
    this.key ??= verificationKey(this.secret)
    return verifyToken(await this.key, token)
  }

  /** @internal Tokens remembered (tests check the bound). */
  get size(): number {
    return this.verified.size
  }
}
