import type { WebhookDelivery } from '../../generated/prisma/client.js'
import type { Actor } from '../actor.js'
import type { DomainDeps } from '../deps.js'
import { InsufficientScopeError, WebhookNotFoundError } from '../errors.js'
import { inTransaction, type Outcome } from '../transaction.js'
import { requireId } from '../validation.js'

/**
 * Makes a delivery due now, whatever its status (a DEAD one gets one more attempt; more only
 * if that one fails and retries remain). An attempt in flight is superseded: its result is
 * not recorded (the dispatcher records results only for the attempt it claimed).
 */
export function redeliverWebhook(deps: DomainDeps, actor: Actor, input: { deliveryId: string }): Promise<Outcome<{ delivery: WebhookDelivery }>> {
  if (!actor.isAppAdmin) throw new InsufficientScopeError('only the app admin redelivers webhooks')
  const id = requireId('deliveryId', input.deliveryId)
  return inTransaction(deps, async (tx) => {
    const updated = await tx.webhookDelivery.updateMany({
      where: { id },
      data: { status: 'PENDING', nextAttemptAt: deps.clock.now(), claimedUntil: null },
    })
    if (updated.count === 0) throw new WebhookNotFoundError(`webhook delivery ${id}`)
    return { value: { delivery: await tx.webhookDelivery.findUniqueOrThrow({ where: { id } }) }, events: [] }
  })
}
