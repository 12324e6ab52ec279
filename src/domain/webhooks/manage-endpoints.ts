import { randomUUID } from 'node:crypto'
import type { WebhookEndpoint } from '../../generated/prisma/client.js'
import type { Actor } from '../actor.js'
import { InsufficientScopeError, WebhookNotFoundError } from '../errors.js'
import { inTransaction, type Outcome, type Tx } from '../transaction.js'
import { requireId } from '../validation.js'
import type { WebhookEndpointDeps } from './webhook-deps.js'
import { requireWebhookUrl } from './webhook-url.js'

function requireAppAdmin(actor: Actor): void {
  if (!actor.isAppAdmin) throw new InsufficientScopeError('only the app admin manages webhook endpoints')
}

async function lockEndpoint(tx: Tx, id: string): Promise<void> {
  const locked = await tx.$queryRawUnsafe<unknown[]>(`SELECT 1 FROM "WebhookEndpoint" WHERE id = $1 FOR UPDATE`, id)
  if (locked.length === 0) throw new WebhookNotFoundError(`webhook endpoint ${id}`)
}

/** Every exit committed from now on is delivered to it (while enabled). The secret is shown once, here. */
export async function createWebhookEndpoint(
  deps: WebhookEndpointDeps,
  actor: Actor,
  input: { url: string; enabled?: boolean | null },
): Promise<Outcome<{ endpoint: WebhookEndpoint; secret: string }>> {
  requireAppAdmin(actor)
  const url = await requireWebhookUrl(deps, 'input.url', input.url)
  const secret = deps.webhookSecrets.generate()
  return inTransaction(deps, async (tx) => {
    const endpoint = await tx.webhookEndpoint.create({
      data: {
        id: `we_${randomUUID().replaceAll('-', '')}`,
        url,
        enabled: input.enabled ?? true,
        sealedSecret: deps.webhookSecrets.seal(secret),
        createdAt: deps.clock.now(),
      },
    })
    return { value: { endpoint, secret }, events: [] }
  })
}

/**
 * Changes the URL or switches the endpoint on or off. A disabled endpoint gets no deliveries
 * for new exits, and its pending ones wait until it is enabled again.
 */
export async function updateWebhookEndpoint(
  deps: WebhookEndpointDeps,
  actor: Actor,
  input: { id: string; url?: string | null; enabled?: boolean | null },
): Promise<Outcome<{ endpoint: WebhookEndpoint }>> {
  requireAppAdmin(actor)
  const id = requireId('id', input.id)
  const url = input.url == null ? undefined : await requireWebhookUrl(deps, 'url', input.url)
  return inTransaction(deps, async (tx) => {
    await lockEndpoint(tx, id)
    const endpoint = await tx.webhookEndpoint.update({ where: { id }, data: { url, enabled: input.enabled ?? undefined } })
    return { value: { endpoint }, events: [] }
  })
}

/** Deletes the endpoint with its deliveries: pending ones are never sent. */
export async function deleteWebhookEndpoint(deps: WebhookEndpointDeps, actor: Actor, input: { id: string }): Promise<Outcome<{ id: string }>> {
  requireAppAdmin(actor)
  const id = requireId('id', input.id)
  return inTransaction(deps, async (tx) => {
    await lockEndpoint(tx, id)
    await tx.webhookEndpoint.delete({ where: { id } })
    return { value: { id }, events: [] }
  })
}

/** A new secret signs every attempt from now on; the old one signs nothing more. */
export async function rotateWebhookSecret(
  deps: WebhookEndpointDeps,
  actor: Actor,
  input: { id: string },
): Promise<Outcome<{ endpoint: WebhookEndpoint; secret: string }>> {
  requireAppAdmin(actor)
  const id = requireId('id', input.id)
  const secret = deps.webhookSecrets.generate()
  return inTransaction(deps, async (tx) => {
    await lockEndpoint(tx, id)
    const endpoint = await tx.webhookEndpoint.update({ where: { id }, data: { sealedSecret: deps.webhookSecrets.seal(secret) } })
    return { value: { endpoint, secret }, events: [] }
  })
}
