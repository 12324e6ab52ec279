import type { User } from '../../generated/prisma/client.js'
import { createUser } from '../../domain/users/create-user.js'
import { builder } from '../builder.js'
import { perform } from '../perform.js'
import { UserRef } from '../user.js'

const CreateUserInput = builder.inputType('CreateUserInput', {
  fields: (t) => ({
    uid: t.id({ required: true }),
    name: t.string({ required: true }),
    leaveAllWhenDeactivated: t.boolean(),
  }),
})

const CreateUserPayload = builder.objectRef<{ user: User }>('CreateUserPayload').implement({
  fields: (t) => ({ user: t.field({ type: UserRef, resolve: (p) => p.user }) }),
})

builder.mutationField('createUser', (t) =>
  t.field({
    type: CreateUserPayload,
    description: 'App admin only. Creates or updates a user.',
    authScopes: { appAdmin: true },
    errors: {},
    args: { input: t.arg({ type: CreateUserInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      perform(ctx, (deps, actor) => createUser(deps, actor, { ...input, uid: String(input.uid) })),
  }),
)
