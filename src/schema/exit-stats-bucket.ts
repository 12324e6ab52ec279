import type { ExitStatsBucket } from '../domain/exits/exit-stats.js'
import { builder } from './builder.js'
import { ExitTypeCountRef } from './exit-type-count.js'

export const ExitStatsBucketRef = builder.objectRef<ExitStatsBucket>('ExitStatsBucket').implement({
  fields: (t) => ({
    start: t.expose('start', {
      type: 'DateTime',
      description: 'Start of the bucket; the bucket covers [start, start + bucketSeconds), the last one only up to `to`.',
    }),
    events: t.exposeInt('events'),
    members: t.exposeInt('members', { description: 'Members who left in these events.' }),
    byExitType: t.expose('byExitType', { type: [ExitTypeCountRef], description: 'Only the exit types that occurred in the bucket.' }),
  }),
})
