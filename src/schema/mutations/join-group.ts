import type { Group, GroupMember } from '../../generated/prisma/client.js'
import { joinGroup } from '../../domain/groups/join-group.js'
import { builder } from '../builder.js'
import { GroupRef } from '../group.js'
import { GroupMemberRef } from '../group-member.js'
import { perform } from '../perform.js'
import { RateLimitedError } from '../../domain/errors.js'

const JoinGroupPayload = builder.objectRef<{ group: Group; member: GroupMember }>('JoinGroupPayload').implement({
  fields: (t) => ({
    group: t.field({ type: GroupRef, resolve: (p) => p.group }),
    member: t.field({ type: GroupMemberRef, resolve: (p) => p.member }),
  }),
})

builder.mutationField('joinGroup', (t) =>
  t.field({
    type: JoinGroupPayload,
    description: 'Join a PUBLIC group, or a PASSWORD group with its password. PRIVATE groups are joined by being added.',
    authScopes: { authenticated: true },
    errors: { types: [RateLimitedError] },
    args: { guid: t.arg.id({ required: true }), password: t.arg.string() },
    resolve: (_root, args, ctx) =>
      perform(ctx, (deps, actor) => joinGroup(deps, actor, { guid: String(args.guid), password: args.password })),
  }),
)
