import type { MemberLeftEvent, User } from '../../generated/prisma/client.js'
import { deactivateUser } from '../../domain/users/deactivate-user.js'
import { builder } from '../builder.js'
import { MemberLeftEventRef } from '../member-left-event.js'
import { perform } from '../perform.js'
import { UserRef } from '../user.js'

const DeactivateUserPayload = builder.objectRef<{ user: User; events: MemberLeftEvent[] }>('DeactivateUserPayload').implement({
  fields: (t) => ({
    user: t.field({ type: UserRef, resolve: (p) => p.user }),
    events: t.field({ type: [MemberLeftEventRef], resolve: (p) => p.events }),
  }),
})

builder.mutationField('deactivateUser', (t) =>
  t.field({
    type: DeactivateUserPayload,
    description: 'App admin only. Leaves every group when the user\'s leaveAllWhenDeactivated is true.',
    authScopes: { appAdmin: true },
    errors: {},
    args: { uid: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => perform(ctx, (deps, actor) => deactivateUser(deps, actor, { uid: String(args.uid) })),
  }),
)
