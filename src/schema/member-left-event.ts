import { builder } from './builder.js'
import { ExitTypeEnum, LeaveReasonEnum } from './enums.js'

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
    chatRoomId: t.exposeID('chatRoomId', { nullable: true }),
    occurredAt: t.expose('occurredAt', { type: 'DateTime' }),
  }),
})
