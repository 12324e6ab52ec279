import type { ExitTypeCount } from '../domain/exits/exit-stats.js'
import { builder } from './builder.js'
import { ExitTypeEnum } from './enums.js'

export const ExitTypeCountRef = builder.objectRef<ExitTypeCount>('ExitTypeCount').implement({
  description: 'Exits of one kind within a span: how many events, and how many members left in them.',
  fields: (t) => ({
    exitType: t.expose('exitType', { type: ExitTypeEnum }),
    events: t.exposeInt('events'),
    members: t.exposeInt('members'),
  }),
})
