import { builder } from '../builder.js'
import { ChatRoomRef } from '../chat-room.js'
import { checkId } from './arguments.js'

builder.queryField('chatRoom', (t) =>
  t.prismaField({
    type: ChatRoomRef,
    nullable: true,
    description: 'A chat room by id; null when there is none. Rooms are open: any signed-in user may read them.',
    authScopes: { authenticated: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) => ctx.deps.prisma.chatRoom.findUnique({ ...query, where: { id: checkId('id', String(args.id)) } }),
  }),
)
