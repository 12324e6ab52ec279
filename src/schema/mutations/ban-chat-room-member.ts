import { banChatRoomMember, unbanChatRoomMember, type BanChatRoomMemberResult } from '../../domain/chatrooms/ban-chat-room-member.js'
import { builder } from '../builder.js'
import { MemberLeftEventRef } from '../member-left-event.js'
import { perform } from '../perform.js'

const BanChatRoomMemberPayload = builder.objectRef<BanChatRoomMemberResult>('BanChatRoomMemberPayload').implement({
  fields: (t) => ({
    chatRoomId: t.exposeID('chatRoomId'),
    event: t.field({ type: MemberLeftEventRef, nullable: true, description: 'Null when the user was not in the room.', resolve: (p) => p.event }),
    bannedUntil: t.expose('bannedUntil', { type: 'DateTime' }),
  }),
})

const UnbanChatRoomMemberPayload = builder.objectRef<{ chatRoomId: string }>('UnbanChatRoomMemberPayload').implement({
  fields: (t) => ({ chatRoomId: t.exposeID('chatRoomId') }),
})

builder.mutationField('banChatRoomMember', (t) =>
  t.field({
    type: BanChatRoomMemberPayload,
    description: 'App admin only. Removes the member (BANNED) and keeps it out for the given minutes (1–43,200).',
    authScopes: { appAdmin: true },
    errors: {},
    args: { id: t.arg.id({ required: true }), uid: t.arg.id({ required: true }), minutes: t.arg.int({ required: true }) },
    resolve: (_root, args, ctx) =>
      perform(ctx, (deps, actor) => banChatRoomMember(deps, actor, { id: String(args.id), uid: String(args.uid), minutes: args.minutes })),
  }),
)

builder.mutationField('unbanChatRoomMember', (t) =>
  t.field({
    type: UnbanChatRoomMemberPayload,
    description: 'App admin only.',
    authScopes: { appAdmin: true },
    errors: {},
    args: { id: t.arg.id({ required: true }), uid: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => perform(ctx, (deps, actor) => unbanChatRoomMember(deps, actor, { id: String(args.id), uid: String(args.uid) })),
  }),
)
