import { KeyedLimit, type KeyedLimitOptions, type Refusal } from './keyed-limit.js'

export interface RequestFloodLimitOptions extends Pick<KeyedLimitOptions, 'redis'> {
  /** HTTP requests per minute for one user, or one client address without a token (RATE_LIMIT_REQUESTS_PER_MINUTE). */
  requestsPerMinute: number
  keyPrefix: string
}

/** Who sent a request, as far as its verified token says (no database read). */
export interface RequestSender {
  sub: string
  isAppAdmin: boolean
}

/**
 * The contract's "request floods" row: counted per token subject, or per client address for a
 * request without a valid token. The app admin is never limited.
 */
export class RequestFloodLimit {
  private readonly limit: KeyedLimit

  constructor({ requestsPerMinute, keyPrefix, redis }: RequestFloodLimitOptions) {
    this.limit = new KeyedLimit({ points: requestsPerMinute, windowSeconds: 60, keyPrefix: `${keyPrefix}:requests`, redis })
  }

  /** Counts one request; a refusal when the sender has sent its minute's worth already. */
  admit(sender: RequestSender | null, address: string): Promise<Refusal | null> {
    if (sender?.isAppAdmin) return Promise.resolve(null)
    return this.limit.take(sender ? `user:${sender.sub}` : `address:${address}`)
  }
}
