import { followMemberLeft } from '../domain/exits/follow-member-left.js'
import { builder } from './builder.js'
import { MemberLeftEventRef } from './member-left-event.js'
import { asGraphQLError } from './member-left-errors.js'
import { requireViewer } from './viewer.js'

builder.subscriptionField('memberLeft', (t) =>
  t.field({
    type: MemberLeftEventRef,
    description: `Exits as they commit. With guid: every exit of that group (caller must be a
member or the app admin); the stream completes after delivering the event in
which the caller itself left. Without guid and chatRoomId: the app admin gets
every exit; a user gets the exits that include itself. With after: first
every stored event after that cursor, then live ones, with no gap and no
duplicate.`,
    authScopes: { authenticated: true },
    args: {
      guid: t.arg.id(),
      chatRoomId: t.arg.id(),
      after: t.arg.id(),
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
