import { builder } from './builder.js'

builder.queryField('me', (t) =>
  t.prismaField({
    type: 'User',
    nullable: true,
    description: 'The caller; null without a token or for an app admin whose token names no user.',
    resolve: (query, _root, _args, ctx) =>
      ctx.viewer?.uid ? ctx.deps.prisma.user.findUnique({ ...query, where: { uid: ctx.viewer.uid } }) : null,
  }),
)
