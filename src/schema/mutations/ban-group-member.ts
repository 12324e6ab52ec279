import type { Group, MemberLeftEvent } from '../../generated/prisma/client.js'
import { banGroupMember, unbanGroupMember } from '../../domain/groups/ban-member.js'
import { builder } from '../builder.js'
import { GroupRef } from '../group.js'
import { MemberLeftEventRef } from '../member-left-event.js'
import { perform } from '../perform.js'
import { RateLimitedError } from '../../domain/errors.js'

const BanGroupMemberPayload = builder.objectRef<{ group: Group; event: MemberLeftEvent | null }>('BanGroupMemberPayload').implement({
  fields: (t) => ({
    group: t.field({ type: GroupRef, resolve: (p) => p.group }),
    event: t.field({
      type: MemberLeftEventRef,
      nullable: true,
      description: 'Null when the banned user was not a member.',
      resolve: (p) => p.event,
    }),
  }),
})

const UnbanGroupMemberPayload = builder.objectRef<{ group: Group }>('UnbanGroupMemberPayload').implement({
  fields: (t) => ({ group: t.field({ type: GroupRef, resolve: (p) => p.group }) }),
})

builder.mutationField('banGroupMember', (t) =>
  t.field({
    type: BanGroupMemberPayload,
    description: 'Owner, ADMIN, MODERATOR or app admin. Removes the member (BANNED) and keeps the user out until unbanned.',
    authScopes: { authenticated: true },
    errors: { types: [RateLimitedError] },
    args: { guid: t.arg.id({ required: true }), uid: t.arg.id({ required: true }), reason: t.arg.string() },
    resolve: (_root, args, ctx) =>
      perform(ctx, (deps, actor) => banGroupMember(deps, actor, { guid: String(args.guid), uid: String(args.uid), reason: args.reason })),
  }),
)

builder.mutationField('unbanGroupMember', (t) =>
  t.field({
    type: UnbanGroupMemberPayload,
    authScopes: { authenticated: true },
    errors: { types: [RateLimitedError] },
    args: { guid: t.arg.id({ required: true }), uid: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) =>
      perform(ctx, (deps, actor) => unbanGroupMember(deps, actor, { guid: String(args.guid), uid: String(args.uid) })),
  }),
)
