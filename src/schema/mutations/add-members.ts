import type { Group, GroupMember } from '../../generated/prisma/client.js'
import { addMembers } from '../../domain/groups/add-members.js'
import { builder } from '../builder.js'
import { MemberScopeEnum } from '../enums.js'
import { GroupRef } from '../group.js'
import { GroupMemberRef } from '../group-member.js'
import { perform } from '../perform.js'
import { RateLimitedError } from '../../domain/errors.js'

const MemberInput = builder.inputType('MemberInput', {
  fields: (t) => ({
    uid: t.id({ required: true }),
    scope: t.field({ type: MemberScopeEnum, description: 'Default: the scope a returning operator had, else PARTICIPANT.' }),
  }),
})

const AddMembersPayload = builder.objectRef<{ group: Group; added: GroupMember[] }>('AddMembersPayload').implement({
  fields: (t) => ({
    group: t.field({ type: GroupRef, resolve: (p) => p.group }),
    added: t.field({ type: [GroupMemberRef], resolve: (p) => p.added }),
  }),
})

builder.mutationField('addMembers', (t) =>
  t.field({
    type: AddMembersPayload,
    description: 'Owner, ADMIN members or the app admin. Up to 1,000 members a call.',
    authScopes: { authenticated: true },
    errors: { types: [RateLimitedError] },
    args: { guid: t.arg.id({ required: true }), members: t.arg({ type: [MemberInput], required: true }) },
    resolve: (_root, args, ctx) =>
      perform(ctx, (deps, actor) =>
        addMembers(deps, actor, { guid: String(args.guid), members: args.members.map((m) => ({ uid: String(m.uid), scope: m.scope })) }),
      ),
  }),
)
