import { deleteWebhookEndpoint } from '../../domain/webhooks/manage-endpoints.js'
import { builder } from '../builder.js'
import { perform } from '../perform.js'

const DeleteWebhookEndpointPayload = builder.objectRef<{ id: string }>('DeleteWebhookEndpointPayload').implement({
  fields: (t) => ({ id: t.exposeID('id') }),
})

builder.mutationField('deleteWebhookEndpoint', (t) =>
  t.field({
    type: DeleteWebhookEndpointPayload,
    description: 'App admin only. Its deliveries go with it: pending ones are never sent.',
    authScopes: { appAdmin: true },
    errors: {},
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => perform(ctx, (_deps, actor) => deleteWebhookEndpoint(ctx.deps, actor, { id: String(args.id) })),
  }),
)
