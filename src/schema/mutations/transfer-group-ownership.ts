import type { Group } from '../../generated/prisma/client.js'
import { transferGroupOwnership } from '../../domain/groups/transfer-ownership.js'
import { builder } from '../builder.js'
import { GroupRef } from '../group.js'
import { perform } from '../perform.js'
import { RateLimitedError } from '../../domain/errors.js'

const TransferGroupOwnershipPayload = builder.objectRef<{ group: Group }>('TransferGroupOwnershipPayload').implement({
  fields: (t) => ({ group: t.field({ type: GroupRef, resolve: (p) => p.group }) }),
})

builder.mutationField('transferGroupOwnership', (t) =>
  t.field({
    type: TransferGroupOwnershipPayload,
    description: 'Owner (or app admin) only; the new owner must be a member; the old owner becomes ADMIN.',
    authScopes: { authenticated: true },
    errors: { types: [RateLimitedError] },
    args: { guid: t.arg.id({ required: true }), uid: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) =>
      perform(ctx, (deps, actor) => transferGroupOwnership(deps, actor, { guid: String(args.guid), uid: String(args.uid) })),
  }),
)
