import type { MemberLeftEvent } from '../../generated/prisma/client.js'
import { deleteGroup } from '../../domain/groups/delete-group.js'
import { builder } from '../builder.js'
import { MemberLeftEventRef } from '../member-left-event.js'
import { perform } from '../perform.js'
import { RateLimitedError } from '../../domain/errors.js'

const DeleteGroupPayload = builder.objectRef<{ guid: string; event: MemberLeftEvent }>('DeleteGroupPayload').implement({
  fields: (t) => ({
    guid: t.exposeID('guid'),
    event: t.field({ type: MemberLeftEventRef, nullable: true, resolve: (p) => p.event }),
  }),
})

builder.mutationField('deleteGroup', (t) =>
  t.field({
    type: DeleteGroupPayload,
    description: 'Owner or app admin: every member exits (DISSOLVED, ADMIN_DELETED).',
    authScopes: { authenticated: true },
    errors: { types: [RateLimitedError] },
    args: { guid: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => perform(ctx, (deps, actor) => deleteGroup(deps, actor, { guid: String(args.guid) })),
  }),
)
