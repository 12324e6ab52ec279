import type { WebhookEndpoint } from '../../generated/prisma/client.js'
import { updateWebhookEndpoint } from '../../domain/webhooks/manage-endpoints.js'
import { builder } from '../builder.js'
import { perform } from '../perform.js'
import { WebhookEndpointRef } from '../webhook-endpoint.js'

const UpdateWebhookEndpointPayload = builder.objectRef<{ endpoint: WebhookEndpoint }>('UpdateWebhookEndpointPayload').implement({
  fields: (t) => ({ endpoint: t.field({ type: WebhookEndpointRef, resolve: (p) => p.endpoint }) }),
})

builder.mutationField('updateWebhookEndpoint', (t) =>
  t.field({
    type: UpdateWebhookEndpointPayload,
    description: 'App admin only. A disabled endpoint gets no deliveries for new exits; its pending ones wait until it is enabled again.',
    authScopes: { appAdmin: true },
    errors: {},
    args: { id: t.arg.id({ required: true }), url: t.arg.string(), enabled: t.arg.boolean() },
    resolve: (_root, args, ctx) =>
      perform(ctx, (_deps, actor) => updateWebhookEndpoint(ctx.deps, actor, { id: String(args.id), url: args.url, enabled: args.enabled })),
  }),
)
