import { GraphQLError } from 'graphql'
import { prismaConnectionHelpers } from '@pothos/plugin-prisma'
import { builder } from '../builder.js'
import { MessageRef } from '../message.js'
import type { Prisma } from '../../generated/prisma/client.js'
import { historyAccess } from '../../domain/groups/group-visibility.js'
import { historyOrder } from '../../domain/groups/list-groups.js'
import { checkId, checkPageArgs } from './arguments.js'
import { rootNodeSelection } from './root-connection.js'
import { requireViewer } from '../viewer.js'

const messagesConnection = prismaConnectionHelpers(builder, MessageRef, { cursor: 'id' })

builder.queryField('groupMessages', (t) =>
  t.connection({
    type: MessageRef,
    description: 'History of a group, oldest first, including ActionMessages. Members only.',
    authScopes: { authenticated: true },
    args: { guid: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx, info) => {
      const guid = checkId('guid', String(args.guid))
      checkPageArgs(args, 'bigint')
      const access = await historyAccess(ctx.deps.prisma, requireViewer(ctx), guid)
      if (access === 'group-not-found') {
        throw new GraphQLError(`group ${guid} does not exist`, { extensions: { code: 'ERR_GROUP_NOT_FOUND' } })
      }
      if (access === 'not-a-member') {
        throw new GraphQLError(`only members of ${guid} may read its history`, { extensions: { code: 'FORBIDDEN' } })
      }
      const page = await messagesConnection.getQuery(args, ctx, rootNodeSelection(ctx, info, 'Message'), { awaitSelections: true })
      const rows = await ctx.deps.prisma.message.findMany({
        ...(page as Prisma.MessageFindManyArgs),
        where: { groupGuid: guid },
        orderBy: historyOrder,
      })
      return messagesConnection.resolve(rows, args, ctx)
    },
  }),
)
