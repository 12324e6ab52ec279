import { listMemberLeftEvents } from '../domain/exits/list-member-left-events.js'
import { builder } from './builder.js'
import { joinedDescription } from './joined-argument.js'
import { MemberLeftEventRef } from './member-left-event.js'
import { asGraphQLError } from './member-left-errors.js'
import { requireViewer } from './viewer.js'

builder.queryField('memberLeftEvents', (t) =>
  t.field({
    type: [MemberLeftEventRef],
    description: 'Catch-up: the events after a cursor, oldest first. Same visibility rules as the memberLeft subscription; with joined: true, membership is checked as of this request, in the same statement. A refused argument is a top-level ERR_INVALID_INPUT error naming it in extensions.argument.',
    authScopes: { authenticated: true },
    args: {
      guid: t.arg.id(),
      chatRoomId: t.arg.id(),
      after: t.arg.id(),
      first: t.arg.int(),
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
