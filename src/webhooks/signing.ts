import { createHmac, randomBytes } from 'node:crypto'

// Standard Webhooks (https://www.standardwebhooks.com/): receivers verify with any of its
// libraries, which expect this prefix and a base64 key of 24 to 64 bytes.
const secretPrefix = 'whsec_'
const secretBytes = 32

export type WebhookHeaders = Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string>

export function generateWebhookSecret(): string {
  return secretPrefix + randomBytes(secretBytes).toString('base64')
}

export function webhookHeaders(secret: string, message: { id: string; timestamp: Date; body: string }): WebhookHeaders {
  const timestamp = Math.floor(message.timestamp.getTime() / 1000)
  if (!Number.isFinite(timestamp)) throw new Error('cannot sign a webhook with an invalid timestamp')
  const signature = createHmac('sha256', keyOf(secret))
    .update(`${message.id}.${timestamp}.${message.body}`)
    .digest('base64')
  return {
    'webhook-id': message.id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': `v1,${signature}`,
  }
}

function keyOf(secret: string): Buffer {
  // A secret without the prefix is most likely a sealed or otherwise wrong value: signing with it
  // would send webhooks that no receiver can verify, so refuse rather than guess.
  if (!secret.startsWith(secretPrefix)) throw new Error(`a webhook secret must start with ${secretPrefix}`)
  const key = Buffer.from(secret.slice(secretPrefix.length), 'base64')
  if (key.length === 0) throw new Error('the webhook secret has an empty key')
  return key
}
