import { sendChatRoomMessage, type SendChatRoomMessageResult } from '../../domain/chatrooms/send-chat-room-message.js'
import { builder } from '../builder.js'
import { ChatRoomMessageRef } from '../chat-room.js'
import { perform } from '../perform.js'
import { UserRef } from '../user.js'
import { RateLimitedError } from '../../domain/errors.js'

const SendChatRoomMessagePayload = builder.objectRef<SendChatRoomMessageResult>('SendChatRoomMessagePayload').implement({
  fields: (t) => ({
    sentMessage: t.field({ type: ChatRoomMessageRef, resolve: (p) => p.sentMessage }),
    kickedOut: t.field({
      type: [UserRef],
      description: 'Members this message removed under the offline kick-out rules.',
      resolve: (p) => p.kickedOut,
    }),
  }),
})

builder.mutationField('sendChatRoomMessage', (t) =>
  t.field({
    type: SendChatRoomMessagePayload,
    description: 'Members only. The offline members this message puts over the kick-out rules are removed in the same transaction.',
    authScopes: { authenticated: true },
    errors: { types: [RateLimitedError] },
    args: { id: t.arg.id({ required: true }), text: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => perform(ctx, (deps, actor) => sendChatRoomMessage(deps, actor, { id: String(args.id), text: args.text })),
  }),
)
