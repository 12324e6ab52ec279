import { listMemberLeftEvents } from '../domain/exits/list-member-left-events.js'
import { builder } from './builder.js'
import { joinedDescription } from './joined-argument.js'
import { MemberLeftEventRef } from './member-left-event.js'
import { asGraphQLError } from './member-left-errors.js'
import { requireViewer } from './viewer.js'

builder.queryField('memberLeftEvents', (t) =>
  t.field({
    type: [MemberLeftEventRef],
    description:
      'Catch-up: the events after a cursor, oldest first; or, with last, the newest events. Same visibility rules as the memberLeft subscription; with joined: true, membership is checked as of this request, in the same statement. A refused argument is a top-level ERR_INVALID_INPUT error naming it in extensions.argument.',
    authScopes: { authenticated: true },
    args: {
      guid: t.arg.id(),
      chatRoomId: t.arg.id(),
      after: t.arg.id(),
      first: t.arg.int(),
      last: t.arg.int({
        description:
          'The newest `last` events the caller may see (1 to 100), still oldest first: what a client opening on "the latest exits" shows before it subscribes to memberLeft with after = the last id returned (or "0" when none is), which then misses nothing and repeats nothing. Read backwards from the end of the log, so the cost grows with last, not with the log. Not with after or first: a top-level ERR_INVALID_INPUT error with "last" in extensions.argument.',
      }),
      joined: t.arg.boolean({ defaultValue: false, description: joinedDescription }),
    },
    resolve: async (_root, args, ctx) => {
      const viewer = requireViewer(ctx)
      try {
        return await listMemberLeftEvents(ctx.deps, viewer, args)
      } catch (error) {
        throw asGraphQLError(error)
      }
    },
  }),
)
