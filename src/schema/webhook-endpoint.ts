import { prismaConnectionHelpers } from '@pothos/plugin-prisma'
import type { Prisma } from '../generated/prisma/client.js'
import { builder } from './builder.js'
import { checkPageArgs } from './queries/arguments.js'

export const WebhookDeliveryStatusEnum = builder.enumType('WebhookDeliveryStatus', { values: ['PENDING', 'SUCCEEDED', 'DEAD'] as const })

export const WebhookDeliveryRef = builder.prismaObject('WebhookDelivery', {
  description: 'One exit to one endpoint: sent until a 2xx answer, or DEAD once the retries run out.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Also the webhook-id header.' }),
    event: t.relation('event'),
    status: t.expose('status', { type: WebhookDeliveryStatusEnum }),
    attempts: t.exposeInt('attempts'),
    lastStatusCode: t.exposeInt('lastStatusCode', { nullable: true }),
    lastError: t.exposeString('lastError', { nullable: true }),
    nextAttemptAt: t.expose('nextAttemptAt', { type: 'DateTime', nullable: true }),
    deliveredAt: t.expose('deliveredAt', { type: 'DateTime', nullable: true }),
  }),
})

const deliveriesConnection = prismaConnectionHelpers(builder, WebhookDeliveryRef, {
  cursor: 'id',
  args: (t) => ({ status: t.field({ type: WebhookDeliveryStatusEnum }) }),
  // Newest first: what an operator looks at.
  query: (args) => ({
    where: args.status ? { status: args.status } : {},
    orderBy: [{ createdAt: 'desc' }, { eventId: 'desc' }, { id: 'desc' }] as Prisma.WebhookDeliveryOrderByWithRelationInput,
  }),
})

export const WebhookEndpointRef = builder.prismaObject('WebhookEndpoint', {
  description: 'Where every exit is POSTed (Tencent Group.CallbackAfterMemberExit, signed per Standard Webhooks). The secret is never readable here.',
  fields: (t) => ({
    id: t.exposeID('id'),
    url: t.exposeString('url'),
    enabled: t.exposeBoolean('enabled'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    deliveries: t.connection({
      type: deliveriesConnection.ref,
      args: deliveriesConnection.getArgs(),
      select: (args, ctx, nestedSelection) => {
        checkPageArgs(args, 'string', 'deliveries')
        return { deliveries: deliveriesConnection.getQuery(args, ctx, nestedSelection) }
      },
      resolve: (endpoint, args, ctx) => deliveriesConnection.resolve(endpoint.deliveries, args, ctx, endpoint),
    }),
  }),
})
