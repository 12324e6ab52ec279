import type { MemberLeftEvent } from '../../generated/prisma/client.js'
import { leaveChatRoom } from '../../domain/chatrooms/leave-chat-room.js'
import { builder } from '../builder.js'
import { MemberLeftEventRef } from '../member-left-event.js'
import { perform } from '../perform.js'
import { RateLimitedError } from '../../domain/errors.js'

const LeaveChatRoomPayload = builder.objectRef<{ chatRoomId: string; event: MemberLeftEvent }>('LeaveChatRoomPayload').implement({
  fields: (t) => ({
    chatRoomId: t.exposeID('chatRoomId'),
    event: t.field({ type: MemberLeftEventRef, resolve: (p) => p.event }),
  }),
})

builder.mutationField('leaveChatRoom', (t) =>
  t.field({
    type: LeaveChatRoomPayload,
    description: 'The caller leaves the room (QUIT).',
    authScopes: { authenticated: true },
    errors: { types: [RateLimitedError] },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => perform(ctx, (deps, actor) => leaveChatRoom(deps, actor, { id: String(args.id) })),
  }),
)
