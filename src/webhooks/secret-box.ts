import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'

const version = 'v1'
const algorithm = 'aes-256-gcm'
const ivBytes = 12
const tagBytes = 16
// Changing the salt or info derives another key and makes every stored secret unreadable.
const salt = 'departures'
const info = 'webhook endpoint secrets'

// One message for every failure: a wrong key and a damaged value look the same to GCM, and the
// likely cause is a changed AUTH_SECRET. Neither the key nor the plaintext may reach a log.
const cannotOpen = 'cannot decrypt the webhook secret: was AUTH_SECRET changed?'

/** Endpoint secrets are stored sealed, so that a database dump alone does not reveal them. */
export class SecretBox {
  readonly #key: Buffer

  constructor(serverKey: string) {
    // A derived key rather than the server key itself: the same AUTH_SECRET also signs tokens.
    this.#key = Buffer.from(hkdfSync('sha256', serverKey, salt, info, 32))
  }

  seal(plain: string): string {
    const iv = randomBytes(ivBytes)
    const cipher = createCipheriv(algorithm, this.#key, iv, { authTagLength: tagBytes })
    const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
    const encoded = [iv, cipher.getAuthTag(), ciphertext].map((part) => part.toString('base64url'))
    return [version, ...encoded].join(':')
  }

  open(sealed: string): string {
    const parts = sealed.split(':')
    if (parts.length !== 4 || parts[0] !== version) throw new Error(cannotOpen)
    const [iv, tag, ciphertext] = parts.slice(1).map((part) => Buffer.from(part, 'base64url'))
    if (iv.length !== ivBytes || tag.length !== tagBytes) throw new Error(cannotOpen)
    try {
      // authTagLength pins the tag size, so a truncated tag cannot weaken the check.
      const decipher = createDecipheriv(algorithm, this.#key, iv, { authTagLength: tagBytes })
      decipher.setAuthTag(tag)
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8')
    } catch {
      throw new Error(cannotOpen)
    }
  }
}
