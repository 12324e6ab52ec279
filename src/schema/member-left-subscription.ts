import { followMemberLeft } from '../domain/exits/follow-member-left.js'
import { builder } from './builder.js'
import { joinedDescription } from './joined-argument.js'
import { MemberLeftEventRef } from './member-left-event.js'
import { asGraphQLError } from './member-left-errors.js'
import { requireViewer } from './viewer.js'

builder.subscriptionField('memberLeft', (t) =>
  t.field({
    type: MemberLeftEventRef,
    description: `Exits as they commit. With guid: every exit of that group (caller must be a
member or the app admin); the stream completes after delivering the event in
which the caller itself left. Without guid and chatRoomId: the app admin gets
every exit; a user gets the exits that include itself. With joined: true
(and neither guid nor chatRoomId): the exits of every group and chat room the
caller is a member of as each event is delivered, plus every exit that
includes the caller (the app admin too: its own places); it does not complete
when the caller leaves a place. With after: first every stored event after
that cursor, then live ones, with no gap and no duplicate. A refused argument
is a top-level ERR_INVALID_INPUT error naming it in extensions.argument.`,
    authScopes: { authenticated: true },
    args: {
      guid: t.arg.id(),
      chatRoomId: t.arg.id(),
      after: t.arg.id(),
      joined: t.arg.boolean({ defaultValue: false, description: joinedDescription }),
    },
    // Authorized once here; the returned stream filters every event by the same rule.
    subscribe: async (_root, args, ctx) => {
      const viewer = requireViewer(ctx)
      try {
        return await followMemberLeft(ctx.deps, viewer, args)
      } catch (error) {
        throw asGraphQLError(error)
      }
    },
    resolve: (event) => event,
  }),
)
