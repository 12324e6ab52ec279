import { prismaConnectionHelpers } from '@pothos/plugin-prisma'
import type { ChatRoom, Prisma } from '../generated/prisma/client.js'
import { builder } from './builder.js'
import { loadersFor } from './loaders.js'
import { UserRef } from './user.js'
import { checkPageArgs } from './queries/arguments.js'

const OfflineKickoutPolicyRef = builder.objectRef<ChatRoom>('OfflineKickoutPolicy').implement({
  description: "RongCloud's offline kick-out rules of a room (see ChatRoom).",
  fields: (t) => ({
    graceSeconds: t.exposeInt('graceSeconds'),
    messageLimit: t.exposeInt('messageLimit'),
    realtime: t.exposeBoolean('realtime'),
    realtimeWithinSeconds: t.exposeInt('realtimeWithinSeconds'),
  }),
})

export const ChatRoomMemberRef = builder.prismaObject('ChatRoomMember', {
  description: "A user's membership in a chat room, with its presence.",
  fields: (t) => ({
    user: t.relation('user'),
    joinedAt: t.expose('joinedAt', { type: 'DateTime' }),
    online: t.boolean({
      description: 'True while the user holds at least one open, authenticated graphql-ws connection.',
      resolve: (member) => member.offlineSince === null,
    }),
    offlineSince: t.expose('offlineSince', {
      type: 'DateTime',
      nullable: true,
      description: 'When the member went offline (or joined, if it joined while offline); null while online. The kick-out rules count from here.',
    }),
    whitelisted: t.boolean({
      description: 'Whitelisted members are never kicked out for being offline.',
      resolve: async (member, _args, ctx) => loadersFor(ctx).chatRoomWhitelisted.load(`${member.chatRoomId}\n${member.uid}`),
    }),
  }),
})

const chatRoomMembersConnection = prismaConnectionHelpers(builder, ChatRoomMemberRef, {
  cursor: 'chatRoomId_uid',
  query: { orderBy: [{ joinedAt: 'asc' }, { uid: 'asc' }] as Prisma.ChatRoomMemberOrderByWithRelationInput },
})

export const ChatRoomRef = builder.prismaObject('ChatRoom', {
  description:
    'A live chat room: open to any user, no owner. Members offline for too long are removed by its offlineKickout policy.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    membersCount: t.relationCount('members'),
    onlineMembersCount: t.relationCount('members', {
      // offlineSince is what presence keeps for "online" (ChatRoomMember.online, the kick-out rules),
      // so the count agrees with the members page. It rides on the room's own query, as membersCount
      // does; selected together, the two counts of one relation cannot share a query and Pothos
      // re-reads the rooms for this one: one more statement for any number of rooms.
      where: { offlineSince: null },
      description: 'Members holding at least one live connection now: those whose `online` is true.',
    }),
    members: t.connection({
      type: chatRoomMembersConnection.ref,
      select: (args, ctx, nestedSelection) => {
        checkPageArgs(args, 'stringPair', 'members')
        return { members: chatRoomMembersConnection.getQuery(args, ctx, nestedSelection) }
      },
      resolve: (room, args, ctx) => chatRoomMembersConnection.resolve(room.members, args, ctx, room),
    }),
    offlineKickout: t.field({
      type: OfflineKickoutPolicyRef,
      select: { graceSeconds: true, messageLimit: true, realtime: true, realtimeWithinSeconds: true },
      resolve: (room) => room,
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
})

export const ChatRoomMessageRef = builder.prismaObject('ChatRoomMessage', {
  description: 'A text message sent in a chat room.',
  fields: (t) => ({
    id: t.id({ resolve: (message) => message.id.toString() }),
    sentAt: t.expose('sentAt', { type: 'DateTime' }),
    sender: t.field({
      type: UserRef,
      nullable: true,
      resolve: (message, _args, ctx) => loadersFor(ctx).users.load(message.senderUid),
    }),
    text: t.exposeString('text'),
  }),
})
