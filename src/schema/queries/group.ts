import { builder } from '../builder.js'
import { GroupRef } from '../group.js'
import { visibleGroupWhere } from '../../domain/groups/group-visibility.js'
import { checkId } from './arguments.js'
import { requireViewer } from '../viewer.js'

builder.queryField('group', (t) =>
  t.prismaField({
    type: GroupRef,
    nullable: true,
    description:
      'A group by guid, also once dissolved (dissolvedAt is set then). Null when there is no such group, or it is PRIVATE and the caller is neither a member nor the app admin.',
    authScopes: { authenticated: true },
    args: { guid: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) =>
      ctx.deps.prisma.group.findFirst({
        ...query,
        where: visibleGroupWhere(requireViewer(ctx), checkId('guid', String(args.guid))),
      }),
  }),
)
