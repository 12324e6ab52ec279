import type { WebhookDelivery } from '../../generated/prisma/client.js'
import { redeliverWebhook } from '../../domain/webhooks/redeliver-webhook.js'
import { builder } from '../builder.js'
import { perform } from '../perform.js'
import { WebhookDeliveryRef } from '../webhook-endpoint.js'

const RedeliverWebhookPayload = builder.objectRef<{ delivery: WebhookDelivery }>('RedeliverWebhookPayload').implement({
  fields: (t) => ({ delivery: t.field({ type: WebhookDeliveryRef, resolve: (p) => p.delivery }) }),
})

builder.mutationField('redeliverWebhook', (t) =>
  t.field({
    type: RedeliverWebhookPayload,
    description: 'App admin only. Sends a delivery again, whatever its status.',
    authScopes: { appAdmin: true },
    errors: {},
    args: { deliveryId: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const value = await perform(ctx, (deps, actor) => redeliverWebhook(deps, actor, { deliveryId: String(args.deliveryId) }))
      ctx.deps.webhookDispatcher.nudge()
      return value
    },
  }),
)
