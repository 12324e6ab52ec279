import { leaveGroup, type LeaveGroupResult } from '../../domain/groups/leave-group.js'
import { builder } from '../builder.js'
import { GroupRef } from '../group.js'
import { MemberLeftEventRef } from '../member-left-event.js'
import { perform } from '../perform.js'
import { RateLimitedError } from '../../domain/errors.js'

const LeaveGroupPayload = builder.objectRef<LeaveGroupResult>('LeaveGroupPayload').implement({
  fields: (t) => ({
    group: t.field({ type: GroupRef, resolve: (p) => p.group }),
    event: t.field({ type: MemberLeftEventRef, resolve: (p) => p.event }),
    message: t.exposeString('message', { description: '"<guid> left successfully"' }),
  }),
})

builder.mutationField('leaveGroup', (t) =>
  t.field({
    type: LeaveGroupPayload,
    description:
      'The caller leaves. The owner of a TRANSFER_REQUIRED group must transfer ownership first; the owner of a DISSOLVE group dissolves it.',
    authScopes: { authenticated: true },
    errors: { types: [RateLimitedError] },
    args: { guid: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => perform(ctx, (deps, actor) => leaveGroup(deps, actor, { guid: String(args.guid) })),
  }),
)
