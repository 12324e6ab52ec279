import { randomBytes } from 'node:crypto'
import { expect, test } from 'vitest'
import { SecretBox } from '../../src/webhooks/secret-box.js'

const serverKey = 'unit-test-server-key-0123456789abcdef'
const secret = `whsec_${randomBytes(32).toString('base64')}`
const cannotOpen = 'cannot decrypt the webhook secret: was AUTH_SECRET changed?'

test('a sealed secret opens to the same text', () => {
  const box = new SecretBox(serverKey)
  expect(box.open(box.seal(secret))).toBe(secret)
  // Another instance with the same server key, as after a restart.
  expect(new SecretBox(serverKey).open(box.seal(secret))).toBe(secret)
})

test('two seals of one secret differ', () => {
  const box = new SecretBox(serverKey)
  const first = box.seal(secret)
  const second = box.seal(secret)
  expect(first).not.toBe(second)
  expect(first).toMatch(/^v1:[\w-]+:[\w-]+:[\w-]+$/)
})

test('the sealed text reveals neither the secret nor its base64', () => {
  const sealed = new SecretBox(serverKey).seal(secret)
  const key = secret.slice('whsec_'.length)
  for (const revealing of [secret, key, Buffer.from(secret).toString('base64'), Buffer.from(secret).toString('base64url')]) {
    expect(sealed).not.toContain(revealing)
  }
})

test('opening with another server key throws the clear error', () => {
  const sealed = new SecretBox(serverKey).seal(secret)
  const other = new SecretBox('another-server-key-0123456789abcdef')
  expect(() => other.open(sealed)).toThrow(cannotOpen)
})

test('a tampered ciphertext throws the clear error without the secret or key in it', () => {
  const box = new SecretBox(serverKey)
  const [version, iv, tag, ciphertext] = box.seal(secret).split(':')
  const bytes = Buffer.from(ciphertext, 'base64url')
  bytes[0] ^= 1
  const tampered = [version, iv, tag, bytes.toString('base64url')].join(':')
  const error = (() => {
    try {
      box.open(tampered)
    } catch (e) {
      return e
    }
  })()
  expect(error).toBeInstanceOf(Error)
  expect((error as Error).message).toBe(cannotOpen)
  expect((error as Error).message).not.toContain(serverKey)
  expect((error as Error).message).not.toContain(secret)
})

test('malformed input throws the clear error', () => {
  const box = new SecretBox(serverKey)
  const [version, iv, tag, ciphertext] = box.seal(secret).split(':')
  for (const malformed of ['', secret, `v2:${iv}:${tag}:${ciphertext}`, `${version}:${iv}:${tag.slice(0, 8)}:${ciphertext}`, `${version}:${iv}:${tag}`]) {
    expect(() => box.open(malformed)).toThrow(cannotOpen)
  }
})
