import type { PlaceExitCount } from '../domain/exits/exit-stats.js'
import { builder } from './builder.js'

export const PlaceExitCountRef = builder.objectRef<PlaceExitCount>('PlaceExitCount').implement({
  description: 'A group or chat room and its exits within the span.',
  fields: (t) => ({
    groupGuid: t.exposeID('groupGuid', { nullable: true }),
    chatRoomId: t.exposeID('chatRoomId', { nullable: true }),
    events: t.exposeInt('events'),
    members: t.exposeInt('members'),
  }),
})
