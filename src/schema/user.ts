import { builder } from './builder.js'

export const UserRef = builder.prismaObject('User', {
  description: 'A user of the chat application, known by its own uid.',
  fields: (t) => ({
    uid: t.exposeID('uid'),
    name: t.exposeString('name'),
    deactivatedAt: t.expose('deactivatedAt', { type: 'DateTime', nullable: true }),
    leaveAllWhenDeactivated: t.exposeBoolean('leaveAllWhenDeactivated', {
      description: 'When true (the default), deactivating the user makes it leave every group.',
    }),
  }),
})
