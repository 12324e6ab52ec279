import { randomUUID } from 'node:crypto'
import { Webhook, WebhookVerificationError } from 'standardwebhooks'
import { expect, test } from 'vitest'
import { generateWebhookSecret, webhookHeaders } from '../../src/webhooks/signing.js'

// Verification uses the reference library, not our own code, so a shared misreading of the spec
// cannot make both sides agree. It rejects timestamps more than five minutes from now.
function message(body = JSON.stringify({ type: 'member.left', groupId: 'g1', userId: 'u1' })) {
  return { id: `msg_${randomUUID()}`, timestamp: new Date(), body }
}

test('headers signed with a secret verify with the standardwebhooks library', () => {
  const secret = generateWebhookSecret()
  const sent = message()
  const headers = webhookHeaders(secret, sent)
  expect(headers['webhook-id']).toBe(sent.id)
  expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/)
  expect(new Webhook(secret).verify(sent.body, headers)).toEqual(JSON.parse(sent.body))
})

test('headers signed with a rotated-out secret do not verify with the new one', () => {
  const oldSecret = generateWebhookSecret()
  const newSecret = generateWebhookSecret()
  const sent = message()
  const headers = webhookHeaders(oldSecret, sent)
  expect(() => new Webhook(newSecret).verify(sent.body, headers)).toThrow(WebhookVerificationError)
})

test('a tampered body does not verify', () => {
  const secret = generateWebhookSecret()
  const sent = message()
  const headers = webhookHeaders(secret, sent)
  const tampered = sent.body.replace('u1', 'u2')
  expect(tampered).not.toBe(sent.body)
  expect(() => new Webhook(secret).verify(tampered, headers)).toThrow(WebhookVerificationError)
})

test('the timestamp header is the given time in whole seconds since the epoch', () => {
  const timestamp = new Date('2025-03-01T12:34:56.789Z')
  const headers = webhookHeaders(generateWebhookSecret(), { ...message(), timestamp })
  expect(headers['webhook-timestamp']).toBe(String(Math.floor(timestamp.getTime() / 1000)))
  expect(headers['webhook-timestamp']).toBe('1740832496')
})

test('generated secrets are distinct whsec_ secrets with a key of at least 24 bytes', () => {
  const secrets = Array.from({ length: 20 }, () => generateWebhookSecret())
  expect(new Set(secrets).size).toBe(secrets.length)
  for (const secret of secrets) {
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/)
    expect(Buffer.from(secret.slice('whsec_'.length), 'base64').length).toBeGreaterThanOrEqual(24)
  }
})

test('a secret without the whsec_ prefix is refused rather than used', () => {
  expect(() => webhookHeaders('not-a-webhook-secret', message())).toThrow(/whsec_/)
})
