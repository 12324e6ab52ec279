import { exitStats, MAX_EXIT_STATS_BUCKETS } from '../../domain/exits/exit-stats.js'
import { builder } from '../builder.js'
import { ExitStatsRef } from '../exit-stats.js'
import { joinedDescription } from '../joined-argument.js'
import { requireViewer } from '../viewer.js'
import { asQueryError } from './arguments.js'

builder.queryField('exitStats', (t) =>
  t.field({
    type: ExitStatsRef,
    description: [
      'Exits counted by time bucket, for dashboards, with the visibility of memberLeftEvents: with guid or chatRoomId,',
      "that place's exits (members of it and the app admin); without them, every exit for the app admin and a user's own",
      'exits for a user; with joined: true, the exits of the groups and chat rooms the caller is a member of at the time of the request',
      `plus the caller's own exits (the app admin's own places too). At most ${MAX_EXIT_STATS_BUCKETS.toLocaleString('en')} buckets; bucketSeconds at least 1; from before to.`,
      'Otherwise a top-level error (ERR_INVALID_INPUT in extensions.code, and the argument in extensions.argument).',
      'A caller who may not see the place gets the top-level error memberLeftEvents gives (ERR_NOT_A_MEMBER, ERR_GROUP_NOT_FOUND, ERR_CHAT_ROOM_NOT_FOUND).',
      'The buckets are counted in one SQL statement whatever the span.',
    ].join(' '),
    authScopes: { authenticated: true },
    args: {
      from: t.arg({ type: 'DateTime', required: true }),
      to: t.arg({ type: 'DateTime', required: true }),
      bucketSeconds: t.arg.int({ required: true }),
      guid: t.arg.id(),
      chatRoomId: t.arg.id(),
      joined: t.arg.boolean({ defaultValue: false, description: joinedDescription }),
    },
    resolve: async (_root, args, ctx) => {
      const viewer = requireViewer(ctx)
      try {
        return await exitStats(ctx.deps, viewer, args)
      } catch (error) {
        throw asQueryError(error)
      }
    },
  }),
)
