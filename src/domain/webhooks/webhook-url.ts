import { InvalidInputError } from '../errors.js'
import { requireStorable } from '../validation.js'
import type { WebhookEndpointDeps } from './webhook-deps.js'

/** An endpoint URL: http or https, no credentials, at most 2,048 characters, on an allowed host. */
export async function requireWebhookUrl(deps: WebhookEndpointDeps, field: string, value: string): Promise<string> {
  requireStorable(field, value)
  if (value.length > 2048) throw new InvalidInputError(field, 'must be at most 2,048 characters')
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new InvalidInputError(field, 'must be an absolute http or https URL')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidInputError(field, 'must be an http or https URL')
  if (url.username || url.password) throw new InvalidInputError(field, 'must not carry a user name or password')
  try {
    await deps.checkWebhookHost(url.hostname)
  } catch (error) {
    throw new InvalidInputError(field, (error as Error).message)
  }
  return url.toString()
}
