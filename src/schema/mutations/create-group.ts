import type { Group } from '../../generated/prisma/client.js'
import { createGroup } from '../../domain/groups/create-group.js'
import { builder } from '../builder.js'
import { GroupTypeEnum, OwnerLeavePolicyEnum } from '../enums.js'
import { GroupRef } from '../group.js'
import { perform } from '../perform.js'
import { RateLimitedError } from '../../domain/errors.js'

const CreateGroupInput = builder.inputType('CreateGroupInput', {
  fields: (t) => ({
    guid: t.id({ required: true }),
    name: t.string({ required: true }),
    type: t.field({ type: GroupTypeEnum, required: true }),
    password: t.string(),
    ownerLeavePolicy: t.field({ type: OwnerLeavePolicyEnum }),
  }),
})

const CreateGroupPayload = builder.objectRef<{ group: Group }>('CreateGroupPayload').implement({
  fields: (t) => ({ group: t.field({ type: GroupRef, resolve: (p) => p.group }) }),
})

builder.mutationField('createGroup', (t) =>
  t.field({
    type: CreateGroupPayload,
    description: 'The caller becomes the OWNER.',
    authScopes: { authenticated: true },
    errors: { types: [RateLimitedError] },
    args: { input: t.arg({ type: CreateGroupInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      perform(ctx, (deps, actor) => createGroup(deps, actor, { ...input, guid: String(input.guid) })),
  }),
)
