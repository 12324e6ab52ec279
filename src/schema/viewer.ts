import { GraphQLError } from 'graphql'
import type { GraphQLContext, Viewer } from '../context.js'

/** The caller of a field guarded by `authScopes: { authenticated: true }`. */
export function requireViewer(ctx: GraphQLContext): Viewer {
  if (!ctx.viewer) throw new GraphQLError('authentication required', { extensions: { code: 'UNAUTHENTICATED' } })
  return ctx.viewer
}
