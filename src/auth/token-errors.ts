// Why a token was refused: what the auth layer turns into UNAUTHENTICATED errors.
export type InvalidTokenReason = 'malformed' | 'expired' | 'bad-signature' | 'missing-claims' | 'keys-unavailable'

export class InvalidTokenError extends Error {
  constructor(
    readonly reason: InvalidTokenReason,
    message: string,
  ) {
    super(message)
    this.name = 'InvalidTokenError'
  }
}
