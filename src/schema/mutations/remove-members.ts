import { removeMembers, type RemoveMembersResult } from '../../domain/groups/remove-members.js'
import { builder } from '../builder.js'
import { LeaveReasonEnum } from '../enums.js'
import { GroupRef } from '../group.js'
import { MemberLeftEventRef } from '../member-left-event.js'
import { perform } from '../perform.js'
import { UserRef } from '../user.js'
import { RateLimitedError } from '../../domain/errors.js'

const RemoveMembersPayload = builder.objectRef<RemoveMembersResult>('RemoveMembersPayload').implement({
  fields: (t) => ({
    group: t.field({ type: GroupRef, resolve: (p) => p.group }),
    removed: t.field({ type: [UserRef], resolve: (p) => p.removed }),
    notMembers: t.field({ type: ['ID'], description: 'Requested uids that were not members.', resolve: (p) => p.notMembers }),
    event: t.field({ type: MemberLeftEventRef, nullable: true, resolve: (p) => p.event }),
  }),
})

builder.mutationField('removeMembers', (t) =>
  t.field({
    type: RemoveMembersPayload,
    description:
      'Batch removal (Sendbird leave with user_ids / should_leave_all). removeAll removes every member but the owner. Up to 1,000 uids a call; every member named must have a scope lower than the caller\'s, or nobody is removed.',
    authScopes: { authenticated: true },
    errors: { types: [RateLimitedError] },
    args: {
      guid: t.arg.id({ required: true }),
      uids: t.arg.idList(),
      removeAll: t.arg.boolean(),
      reason: t.arg({ type: LeaveReasonEnum, description: 'Default ADMIN_REMOVED.' }),
      removeOperatorStatus: t.arg.boolean({ description: 'Removed ADMINs and MODERATORs do not get their scope back when they return.' }),
    },
    resolve: (_root, args, ctx) =>
      perform(ctx, (deps, actor) =>
        removeMembers(deps, actor, {
          guid: String(args.guid),
          uids: args.uids?.map(String),
          removeAll: args.removeAll,
          reason: args.reason,
          removeOperatorStatus: args.removeOperatorStatus,
        }),
      ),
  }),
)
