import { builder } from './builder.js'

// The Message interface and ActionMessage are added in this file; both read the Message model.
export const TextMessageRef = builder.prismaObject('Message', {
  variant: 'TextMessage',
  fields: (t) => ({
    id: t.field({ type: 'ID', resolve: (m) => m.id.toString() }),
    sentAt: t.expose('sentAt', { type: 'DateTime' }),
    text: t.string({ resolve: (m) => m.text ?? '' }),
  }),
})
