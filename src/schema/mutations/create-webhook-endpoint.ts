import type { WebhookEndpoint } from '../../generated/prisma/client.js'
import { createWebhookEndpoint } from '../../domain/webhooks/manage-endpoints.js'
import { builder } from '../builder.js'
import { perform } from '../perform.js'
import { WebhookEndpointRef } from '../webhook-endpoint.js'

const CreateWebhookEndpointInput = builder.inputType('CreateWebhookEndpointInput', {
  fields: (t) => ({
    url: t.string({ required: true, description: 'http or https; loopback, private and link-local addresses only with WEBHOOK_ALLOW_PRIVATE=true.' }),
    enabled: t.boolean({ description: 'Default true.' }),
  }),
})

const CreateWebhookEndpointPayload = builder.objectRef<{ endpoint: WebhookEndpoint; secret: string }>('CreateWebhookEndpointPayload').implement({
  fields: (t) => ({
    endpoint: t.field({ type: WebhookEndpointRef, resolve: (p) => p.endpoint }),
    secret: t.exposeString('secret', { description: 'The whsec_ signing secret. Shown only here and by rotateWebhookSecret.' }),
  }),
})

builder.mutationField('createWebhookEndpoint', (t) =>
  t.field({
    type: CreateWebhookEndpointPayload,
    description: 'App admin only. The secret is returned once, here.',
    authScopes: { appAdmin: true },
    errors: {},
    args: { input: t.arg({ type: CreateWebhookEndpointInput, required: true }) },
    resolve: (_root, { input }, ctx) => perform(ctx, (_deps, actor) => createWebhookEndpoint(ctx.deps, actor, input)),
  }),
)
