import { builder } from '../builder.js'
import { WebhookEndpointRef } from '../webhook-endpoint.js'

builder.queryField('webhookEndpoints', (t) =>
  t.prismaField({
    type: [WebhookEndpointRef],
    description: 'App admin only.',
    authScopes: { appAdmin: true },
    resolve: (query, _root, _args, ctx) => ctx.deps.prisma.webhookEndpoint.findMany({ ...query, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] }),
  }),
)
