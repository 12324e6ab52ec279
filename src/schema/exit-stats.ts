import { DEFAULT_TOP_PLACES, MAX_TOP_PLACES, topExitPlaces, type ExitStats } from '../domain/exits/exit-stats.js'
import { builder } from './builder.js'
import { ExitStatsBucketRef } from './exit-stats-bucket.js'
import { ExitTypeCountRef } from './exit-type-count.js'
import { PlaceExitCountRef } from './place-exit-count.js'
import { asQueryError } from './queries/arguments.js'

export const ExitStatsRef = builder.objectRef<ExitStats>('ExitStats').implement({
  description: 'Exits counted by time bucket over [from, to), with the visibility of memberLeftEvents.',
  fields: (t) => ({
    from: t.expose('from', { type: 'DateTime' }),
    to: t.expose('to', { type: 'DateTime' }),
    bucketSeconds: t.exposeInt('bucketSeconds'),
    buckets: t.expose('buckets', { type: [ExitStatsBucketRef], description: 'Every bucket from `from` up to `to`, empty ones included, oldest first.' }),
    totals: t.expose('totals', { type: [ExitTypeCountRef], description: 'Per exit type over the whole span; only the exit types that occurred.' }),
    topPlaces: t.field({
      type: [PlaceExitCountRef],
      description: `The places with the most departed members in the span, most first (app admin only; empty for others). first: ${DEFAULT_TOP_PLACES} unless given, at most ${MAX_TOP_PLACES}.`,
      args: { first: t.arg.int() },
      // Counted only when selected: one more statement, for the app admin.
      resolve: async (stats, args, ctx) => {
        try {
          return await topExitPlaces(ctx.deps, stats.scope, args)
        } catch (error) {
          throw asQueryError(error)
        }
      },
    }),
  }),
})
