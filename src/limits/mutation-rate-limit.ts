import type { Actor } from '../domain/actor.js'
import { RateLimitedError } from '../domain/errors.js'
import { KeyedLimit, type KeyedLimitOptions } from './keyed-limit.js'

export interface MutationRateLimitOptions extends Pick<KeyedLimitOptions, 'redis'> {
  /** Mutations a user may call per window (RATE_LIMIT_MUTATIONS). */
  mutations: number
  windowSeconds: number
  keyPrefix: string
}

/**
 * The contract's "rate limits" row: a user may call at most `mutations` mutations per window,
 * counted together (one bucket per user, not one per mutation). The app admin is never limited.
 */
export class MutationRateLimit {
  private readonly limit: KeyedLimit

  constructor({ mutations, windowSeconds, keyPrefix, redis }: MutationRateLimitOptions) {
    this.limit = new KeyedLimit({ points: mutations, windowSeconds, keyPrefix: `${keyPrefix}:mutations`, redis })
  }

  /** Counts one mutation for the caller; throws RateLimitedError, before anything is written, beyond the limit. */
  async check(actor: Actor): Promise<void> {
    if (actor.isAppAdmin) return
    const refusal = await this.limit.take(actor.uid ?? actor.sub)
    if (refusal) throw new RateLimitedError(refusal.retryAfterSeconds)
  }
}
