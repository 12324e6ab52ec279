import { GraphQLError } from 'graphql'
import type { UserLookup, Viewer } from '../context.js'
import type { TokenVerifier } from './token-verifier.js'
import { InvalidTokenError, type TokenClaims } from './tokens.js'

export function unauthenticated(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } })
}

export function isUnauthenticated(error: unknown): error is GraphQLError {
  return error instanceof GraphQLError && error.extensions.code === 'UNAUTHENTICATED'
}

const bearer = /^Bearer +([^\s]+)\s*$/i

/**
 * The caller named by an `Authorization` value ("Bearer <JWT>"), or null when there is none.
 * The user row is read on every call, so a deactivation takes effect on the next operation.
 */
export async function resolveViewer(
  users: UserLookup,
  tokens: Pick<TokenVerifier, 'verify'>,
  authorization: string | undefined | null,
): Promise<Viewer | null> {
  if (authorization === undefined || authorization === null || authorization.trim() === '') return null
  const match = bearer.exec(authorization.trim())
  if (!match) throw unauthenticated('the Authorization value must be "Bearer <token>"')

  let claims
  try {
    claims = await tokens.verify(match[1])
  } catch (error) {
    if (error instanceof InvalidTokenError) throw unauthenticated(`invalid token: ${error.message}`)
    throw error
  }

  const user = await users.user(claims.sub)
  if (!user) {
    if (claims.isAppAdmin) return { uid: null, sub: claims.sub, isAppAdmin: true, user: null }
    throw unauthenticated('the token names no user')
  }
  if (user.deactivatedAt) throw unauthenticated('the user is deactivated')
  // iat has whole seconds: a token from the same second as the cut-off is refused too.
  if (user.tokensValidAfter && claims.issuedAt.getTime() <= user.tokensValidAfter.getTime()) {
    throw unauthenticated('the token was issued before the user’s tokens were revoked')
  }
  return { uid: user.uid, sub: claims.sub, isAppAdmin: claims.isAppAdmin, user }
}

/**
 * The verified claims of an `Authorization` value without reading the user row, for counting
 * requests before anything else is done; null when there is no valid bearer token.
 */
export async function bearerClaims(tokens: Pick<TokenVerifier, 'verify'>, authorization: string | undefined): Promise<TokenClaims | null> {
  const match = authorization ? bearer.exec(authorization.trim()) : null
  if (!match) return null
  try {
    return await tokens.verify(match[1])
  } catch (error) {
    if (error instanceof InvalidTokenError) return null
    throw error
  }
}
