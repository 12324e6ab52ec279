import { prismaConnectionHelpers } from '@pothos/plugin-prisma'
import { builder } from '../builder.js'
import { GroupTypeEnum } from '../enums.js'
import { GroupRef } from '../group.js'
import type { Prisma } from '../../generated/prisma/client.js'
import { listGroupsOrder, listGroupsWhere } from '../../domain/groups/list-groups.js'
import { checkPageArgs, checkSearch } from './arguments.js'
import { rootNodeSelection } from './root-connection.js'
import { requireViewer } from '../viewer.js'

const groupsConnection = prismaConnectionHelpers(builder, GroupRef, { cursor: 'guid' })

builder.queryField('groups', (t) =>
  t.connection({
    type: GroupRef,
    description:
      'The group directory, by name: groups that are not dissolved, PRIVATE ones only where the caller is a member (the app admin sees all). `first` is 1 to 100 (default 20).',
    authScopes: { authenticated: true },
    args: {
      search: t.arg.string({ description: 'Case-insensitive substring of the name.' }),
      type: t.arg({ type: GroupTypeEnum }),
      joinedOnly: t.arg.boolean({ description: 'Only groups the caller is a member of.' }),
    },
    resolve: async (_root, args, ctx, info) => {
      checkPageArgs(args, 'string')
      const where = listGroupsWhere(requireViewer(ctx), {
        search: checkSearch('search', args.search),
        type: args.type,
        joinedOnly: args.joinedOnly,
      })
      const page = await groupsConnection.getQuery(args, ctx, rootNodeSelection(ctx, info, 'Group'), { awaitSelections: true })
      const rows = await ctx.deps.prisma.group.findMany({
        ...(page as Prisma.GroupFindManyArgs),
        where,
        orderBy: listGroupsOrder,
        // One statement with a LATERAL join per relation, so `members(first: 50)` reads 50 rows
        // per group in SQL instead of every member of every listed group.
        relationLoadStrategy: 'join',
      })
      return groupsConnection.resolve(rows, args, ctx)
    },
  }),
)
