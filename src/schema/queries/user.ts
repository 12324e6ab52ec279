import { builder } from '../builder.js'
import { UserRef } from '../user.js'
import { checkId } from './arguments.js'

builder.queryField('user', (t) =>
  t.prismaField({
    type: UserRef,
    nullable: true,
    description: 'A user by uid, deactivated or not; null when there is none.',
    authScopes: { authenticated: true },
    args: { uid: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) =>
      ctx.deps.prisma.user.findUnique({ ...query, where: { uid: checkId('uid', String(args.uid)) } }),
  }),
)
