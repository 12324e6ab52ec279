import type { ChatRoom, ChatRoomMember } from '../../generated/prisma/client.js'
import { joinChatRoom } from '../../domain/chatrooms/join-chat-room.js'
import { builder } from '../builder.js'
import { ChatRoomMemberRef, ChatRoomRef } from '../chat-room.js'
import { perform } from '../perform.js'
import { RateLimitedError } from '../../domain/errors.js'

const JoinChatRoomPayload = builder.objectRef<{ chatRoom: ChatRoom; member: ChatRoomMember }>('JoinChatRoomPayload').implement({
  fields: (t) => ({
    chatRoom: t.field({ type: ChatRoomRef, resolve: (p) => p.chatRoom }),
    member: t.field({ type: ChatRoomMemberRef, resolve: (p) => p.member }),
  }),
})

builder.mutationField('joinChatRoom', (t) =>
  t.field({
    type: JoinChatRoomPayload,
    description: 'The caller enters the room; refused (ERR_BANNED) while a ban lasts.',
    authScopes: { authenticated: true },
    errors: { types: [RateLimitedError] },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => perform(ctx, (deps, actor) => joinChatRoom(deps, actor, { id: String(args.id) })),
  }),
)
