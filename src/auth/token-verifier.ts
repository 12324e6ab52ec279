import { InvalidTokenError, verificationKey, verifyToken, type TokenClaims } from './tokens.js'

export interface TokenVerifierOptions {
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

  constructor(
    private readonly secret: string,
    options: TokenVerifierOptions = {},
  ) {
    this.maxEntries = options.maxEntries ?? 10_000
    this.now = options.now ?? Date.now
  }

  async verify(token: string): Promise<TokenClaims> {
    const known = this.verified.get(token)
    if (known) {
      if (known.expiresAt === null || known.expiresAt.getTime() > this.now()) return known
      throw new InvalidTokenError('expired', 'the token has expired')
    }
    this.key ??= verificationKey(this.secret)
    const claims = await verifyToken(await this.key, token)
    if (this.verified.size >= this.maxEntries) this.verified.delete(this.verified.keys().next().value!)
    this.verified.set(token, claims)
    return claims
  }

  /** @internal Tokens remembered (tests check the bound). */
  get size(): number {
    return this.verified.size
  }
}
