import type { Group, MemberLeftEvent } from '../../generated/prisma/client.js'
import { kickGroupMember } from '../../domain/groups/remove-members.js'
import { builder } from '../builder.js'
import { GroupRef } from '../group.js'
import { MemberLeftEventRef } from '../member-left-event.js'
import { perform } from '../perform.js'
import { RateLimitedError } from '../../domain/errors.js'

const KickGroupMemberPayload = builder.objectRef<{ group: Group; event: MemberLeftEvent }>('KickGroupMemberPayload').implement({
  fields: (t) => ({
    group: t.field({ type: GroupRef, resolve: (p) => p.group }),
    event: t.field({ type: MemberLeftEventRef, resolve: (p) => p.event }),
  }),
})

builder.mutationField('kickGroupMember', (t) =>
  t.field({
    type: KickGroupMemberPayload,
    description: 'Removes one member of a lower scope than the caller\'s (the app admin: anyone).',
    authScopes: { authenticated: true },
    errors: { types: [RateLimitedError] },
    args: { guid: t.arg.id({ required: true }), uid: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) =>
      perform(ctx, (deps, actor) => kickGroupMember(deps, actor, { guid: String(args.guid), uid: String(args.uid) })),
  }),
)
