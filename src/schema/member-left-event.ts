import type { User } from '../generated/prisma/client.js'
import { builder } from './builder.js'
import { ExitTypeEnum, LeaveReasonEnum } from './enums.js'
import { exitLoaders } from './member-left-loaders.js'

export const MemberLeftEventRef = builder.prismaObject('MemberLeftEvent', {
  description: 'One exit: one or more members left one group (or chat room) in one committed change.',
  fields: (t) => ({
    id: t.field({
      type: 'ID',
      description: 'Opaque cursor. Resuming from it (subscription or query `after`) yields every later event exactly once, in order.',
      resolve: (e) => e.id.toString(),
    }),
    exitType: t.expose('exitType', { type: ExitTypeEnum }),
    reason: t.expose('reason', { type: LeaveReasonEnum, nullable: true }),
    groupGuid: t.exposeID('groupGuid', { nullable: true }),
    // Not Prisma relations (the event outlives memberships), so batched by hand; see exitLoaders.
    group: t.prismaField({
      type: 'Group',
      nullable: true,
      resolve: (query, e, _args, ctx, info) => (e.groupGuid === null ? null : exitLoaders(ctx, info).groups(query).load(e.groupGuid)),
    }),
    chatRoomId: t.exposeID('chatRoomId', { nullable: true }),
    chatRoom: t.prismaField({
      type: 'ChatRoom',
      nullable: true,
      resolve: (query, e, _args, ctx, info) => (e.chatRoomId === null ? null : exitLoaders(ctx, info).chatRooms(query).load(e.chatRoomId)),
    }),
    members: t.prismaField({
      type: ['User'],
      description: "The members who left (Tencent's ExitMemberList).",
      resolve: async (query, e, _args, ctx, info) => {
        const users = await exitLoaders(ctx, info).users(query).loadMany(e.memberUids)
        return users.filter((user): user is User => user !== null && !(user instanceof Error))
      },
    }),
    operator: t.prismaField({
      type: 'User',
      nullable: true,
      description: 'Who caused it; null for system exits (offline kick-out).',
      resolve: (query, e, _args, ctx, info) => (e.operatorUid === null ? null : exitLoaders(ctx, info).users(query).load(e.operatorUid)),
    }),
    occurredAt: t.expose('occurredAt', { type: 'DateTime' }),
  }),
})
