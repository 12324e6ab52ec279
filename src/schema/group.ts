import { builder } from './builder.js'
import { GroupTypeEnum, MemberScopeEnum, OwnerLeavePolicyEnum } from './enums.js'
import { groupMembersConnection } from './group-member.js'
import { loadersFor } from './loaders.js'
import { checkPageArgs } from './queries/arguments.js'

export const GroupRef = builder.prismaObject('Group', {
  description: 'A group chat. Dissolved groups stay readable by guid, with dissolvedAt set.',
  fields: (t) => ({
    guid: t.exposeID('guid'),
    name: t.exposeString('name'),
    type: t.expose('type', { type: GroupTypeEnum }),
    // Dissolution and an owner's exit clear ownerUid, so the relation is null then.
    owner: t.relation('owner', { nullable: true, description: 'Null once the group is dissolved.' }),
    ownerLeavePolicy: t.expose('ownerLeavePolicy', { type: OwnerLeavePolicyEnum }),
    membersCount: t.relationCount('members'),
    // A connection helper rather than t.relatedConnection: its `select` runs before Pothos plans
    // the page, so out-of-range sizes and bad cursors get ERR_INVALID_INPUT instead of being
    // clamped or refused without a code.
    members: t.connection({
      type: groupMembersConnection.ref,
      select: (args, ctx, nestedSelection) => {
        checkPageArgs(args, 'stringPair', 'members')
        return { members: groupMembersConnection.getQuery(args, ctx, nestedSelection) }
      },
      resolve: (group, args, ctx) => groupMembersConnection.resolve(group.members, args, ctx, group),
    }),
    viewerScope: t.field({
      type: MemberScopeEnum,
      nullable: true,
      description: "The caller's scope in this group; null when the caller is not a member.",
      // Subscriptions that select it are executed per viewer, not shared (src/websocket/shared-subscriptions.ts).
      extensions: { perViewer: true },
      // Batched per request: listing many groups costs one membership query, not one per group.
      resolve: async (group, _args, ctx) =>
        ctx.viewer?.uid ? ((await loadersFor(ctx).viewerMemberships.load(group.guid))?.scope ?? null) : null,
    }),
    dissolvedAt: t.expose('dissolvedAt', { type: 'DateTime', nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
})
