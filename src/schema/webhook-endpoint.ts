import { prismaConnectionHelpers } from '@pothos/plugin-prisma'
import type { Prisma } from '../generated/prisma/client.js'
import { builder } from './builder.js'
import { checkPageArgs } from './queries/arguments.js'
import { loadersFor } from './loaders.js'
import type { DeliveryCounts } from '../webhooks/delivery-counts.js'

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

const WebhookDeliveryCountsRef = builder.objectRef<DeliveryCounts>('WebhookDeliveryCounts').implement({
  description: "An endpoint's deliveries in each status, as kept in the outbox now.",
  fields: (t) => ({
    pending: t.exposeInt('pending', { description: 'Waiting for their next attempt (or being sent).' }),
    succeeded: t.exposeInt('succeeded', { description: 'Answered with a 2xx.' }),
    dead: t.exposeInt('dead', { description: 'Given up on after the last retry; redeliverWebhook sends one again.' }),
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
    deliveryCounts: t.field({
      type: WebhookDeliveryCountsRef,
      description: "This endpoint's deliveries per status. A list of endpoints is counted in one GROUP BY.",
      resolve: (endpoint, _args, ctx) => loadersFor(ctx).webhookDeliveryCounts.load(endpoint.id),
    }),
  }),
})
