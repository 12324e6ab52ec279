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

// Both fields answer with one union, as the contract names it; the errors plugin would make
// one union per field (AddChatRoomWhitelistResult, RemoveChatRoomWhitelistResult).
const ChatRoomWhitelistResult = builder.unionType('ChatRoomWhitelistResult', {
  types: [ChatRoomWhitelistPayload, DomainError],
  resolveType: (value) => (value instanceof DomainError ? 'DomainError' : 'ChatRoomWhitelistPayload'),
})

function errorsAsData<T>(work: Promise<T>): Promise<T | DomainError> {
  return work.catch((error: unknown) => {
    if (error instanceof DomainError) return error
    throw error
  })
}

builder.mutationField('addChatRoomWhitelist', (t) =>
  t.field({
    type: ChatRoomWhitelistResult,
    description: 'App admin only. Whitelisted members are never kicked out for being offline.',
    authScopes: { appAdmin: true },
    args: { id: t.arg.id({ required: true }), uids: t.arg.idList({ required: true }) },
    resolve: (_root, args, ctx) =>
      errorsAsData(perform(ctx, (deps, actor) => addChatRoomWhitelist(deps, actor, { id: String(args.id), uids: args.uids.map(String) }))),
  }),
)

builder.mutationField('removeChatRoomWhitelist', (t) =>
  t.field({
    type: ChatRoomWhitelistResult,
    description: 'App admin only.',
    authScopes: { appAdmin: true },
    args: { id: t.arg.id({ required: true }), uids: t.arg.idList({ required: true }) },
    resolve: (_root, args, ctx) =>
      errorsAsData(perform(ctx, (deps, actor) => removeChatRoomWhitelist(deps, actor, { id: String(args.id), uids: args.uids.map(String) }))),
  }),
)
