import type { ChatRoom } from '../../generated/prisma/client.js'
import { createChatRoom } from '../../domain/chatrooms/create-chat-room.js'
import { builder } from '../builder.js'
import { ChatRoomRef } from '../chat-room.js'
import { perform } from '../perform.js'

const CreateChatRoomInput = builder.inputType('CreateChatRoomInput', {
  fields: (t) => ({
    id: t.id({ required: true }),
    name: t.string({ required: true }),
    graceSeconds: t.int({ description: '1–3,600; default 30.' }),
    messageLimit: t.int({ description: '0–10,000; default 30.' }),
    realtime: t.boolean({ description: 'Default false.' }),
    realtimeWithinSeconds: t.int({ description: '1–300; default 300.' }),
  }),
})

const CreateChatRoomPayload = builder.objectRef<{ chatRoom: ChatRoom }>('CreateChatRoomPayload').implement({
  fields: (t) => ({ chatRoom: t.field({ type: ChatRoomRef, resolve: (p) => p.chatRoom }) }),
})

builder.mutationField('createChatRoom', (t) =>
  t.field({
    type: CreateChatRoomPayload,
    description: 'App admin only.',
    authScopes: { appAdmin: true },
    errors: {},
    args: { input: t.arg({ type: CreateChatRoomInput, required: true }) },
    resolve: (_root, { input }, ctx) => perform(ctx, (deps, actor) => createChatRoom(deps, actor, { ...input, id: String(input.id) })),
  }),
)
