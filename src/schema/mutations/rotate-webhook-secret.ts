import type { WebhookEndpoint } from '../../generated/prisma/client.js'
import { rotateWebhookSecret } from '../../domain/webhooks/manage-endpoints.js'
import { builder } from '../builder.js'
import { perform } from '../perform.js'
import { WebhookEndpointRef } from '../webhook-endpoint.js'

const RotateWebhookSecretPayload = builder.objectRef<{ endpoint: WebhookEndpoint; secret: string }>('RotateWebhookSecretPayload').implement({
  fields: (t) => ({
    endpoint: t.field({ type: WebhookEndpointRef, resolve: (p) => p.endpoint }),
    secret: t.exposeString('secret', { description: 'The new whsec_ signing secret, shown only here.' }),
  }),
})

builder.mutationField('rotateWebhookSecret', (t) =>
  t.field({
    type: RotateWebhookSecretPayload,
    description: 'App admin only. The old secret stops signing at once.',
    authScopes: { appAdmin: true },
    errors: {},
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => perform(ctx, (_deps, actor) => rotateWebhookSecret(ctx.deps, actor, { id: String(args.id) })),
  }),
)
