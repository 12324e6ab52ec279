import { queryFromInfo } from '@pothos/plugin-prisma'
import type { GraphQLResolveInfo } from 'graphql'
import type { GraphQLContext } from '../../context.js'

/**
 * The `nestedSelection` a connection helper's `getQuery` needs, for a connection on Query: what
 * the document selects under `edges.node`, read as `typeName`. Root connections use the helpers
 * (not `t.prismaConnection`) so their arguments are checked before Pothos plans the query.
 */
export function rootNodeSelection(ctx: GraphQLContext, info: GraphQLResolveInfo, typeName: string) {
  return (_selection: unknown, path: Parameters<typeof queryFromInfo>[0]['path'] = []) =>
    queryFromInfo({ context: ctx, info, typeName, path, awaitSelections: true })
}
