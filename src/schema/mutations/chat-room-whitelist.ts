import { addChatRoomWhitelist, removeChatRoomWhitelist, type ChatRoomWhitelistResult } from '../../domain/chatrooms/chat-room-whitelist.js'
import { DomainError } from '../../domain/errors.js'
import { builder } from '../builder.js'
import { ChatRoomRef } from '../chat-room.js'
import { perform } from '../perform.js'
import { UserRef } from '../user.js'

const ChatRoomWhitelistPayload = builder.objectRef<ChatRoomWhitelistResult>('ChatRoomWhitelistPayload').implement({
  fields: (t) => ({
    chatRoom: t.field({ type: ChatRoomRef, resolve: (p) => p.chatRoom }),
    whitelist: t.field({ type: [UserRef], description: 'The whole whitelist after the change.', resolve: (p) => p.whitelist }),
  }),
})

// Both fields answer with one union, as the contract names it (the errors plugin's per-field
// unions would be AddChatRoomWhitelistResult and RemoveChatRoomWhitelistResult). As an error
// union, a DomainError thrown by the operation is returned as its DomainError member.
const ChatRoomWhitelistResult = builder.errorUnion('ChatRoomWhitelistResult', {
  types: [ChatRoomWhitelistPayload, DomainError],
  resolveType: (value) => (value instanceof DomainError ? 'DomainError' : 'ChatRoomWhitelistPayload'),
})

builder.mutationField('addChatRoomWhitelist', (t) =>
  t.field({
    type: ChatRoomWhitelistResult,
    description: 'App admin only. Whitelisted members are never kicked out for being offline.',
    authScopes: { appAdmin: true },
    args: { id: t.arg.id({ required: true }), uids: t.arg.idList({ required: true }) },
    resolve: (_root, args, ctx) =>
      perform(ctx, (deps, actor) => addChatRoomWhitelist(deps, actor, { id: String(args.id), uids: args.uids.map(String) })),
  }),
)

builder.mutationField('removeChatRoomWhitelist', (t) =>
  t.field({
    type: ChatRoomWhitelistResult,
    description: 'App admin only.',
    authScopes: { appAdmin: true },
    args: { id: t.arg.id({ required: true }), uids: t.arg.idList({ required: true }) },
    resolve: (_root, args, ctx) =>
      perform(ctx, (deps, actor) => removeChatRoomWhitelist(deps, actor, { id: String(args.id), uids: args.uids.map(String) })),
  }),
)
