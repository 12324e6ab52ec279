import type { DomainDeps } from '../deps.js'

/** What endpoint management needs besides the database: secrets and the address policy. */
export interface WebhookEndpointDeps extends DomainDeps {
  webhookSecrets: {
    /** A new `whsec_…` signing secret. */
    generate(): string
    /** The secret as stored: unreadable without the server's key. */
    seal(secret: string): string
  }
  /** Refuses a host whose addresses the delivery policy does not allow (throws an Error saying why). */
  checkWebhookHost(hostname: string): Promise<void>
}
