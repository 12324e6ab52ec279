import { leaveAllGroups, type LeaveAllGroupsResult } from '../../domain/groups/leave-all-groups.js'
import { builder } from '../builder.js'
import { GroupRef } from '../group.js'
import { MemberLeftEventRef } from '../member-left-event.js'
import { perform } from '../perform.js'
import { RateLimitedError } from '../../domain/errors.js'

const LeaveAllGroupsPayload = builder.objectRef<LeaveAllGroupsResult>('LeaveAllGroupsPayload').implement({
  fields: (t) => ({
    events: t.field({ type: [MemberLeftEventRef], resolve: (p) => p.events }),
    left: t.field({ type: [GroupRef], description: 'Groups left.', resolve: (p) => p.left }),
    skipped: t.field({ type: [GroupRef], description: 'Groups kept because the user owns them under TRANSFER_REQUIRED.', resolve: (p) => p.skipped }),
  }),
})

builder.mutationField('leaveAllGroups', (t) =>
  t.field({
    type: LeaveAllGroupsPayload,
    description: "Leave every group; uid other than the caller's needs the app admin.",
    authScopes: { authenticated: true },
    errors: { types: [RateLimitedError] },
    args: { uid: t.arg.id() },
    resolve: (_root, args, ctx) =>
      perform(ctx, (deps, actor) => leaveAllGroups(deps, actor, { uid: args.uid == null ? null : String(args.uid) })),
  }),
)
