import type { Redis } from 'ioredis'
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, RLWrapperTimeouts, type RateLimiterAbstract } from 'rate-limiter-flexible'

export interface KeyedLimitOptions {
  /** Actions one key may take per window. */
  points: number
  windowSeconds: number
  /** Names this limit's counters in Redis; limits with different purposes must not share one. */
  keyPrefix: string
  /** Counters in Redis, shared by every instance using it; in process memory when absent. */
  redis?: Redis
}

/** What a refused action is told. */
export interface Refusal {
  /** Whole seconds until the key's window ends (at least 1). */
  retryAfterSeconds: number
}

// A Redis that keeps the connection but stops answering would otherwise hold every request it
// counts; after this the in-memory counter decides, as it does when Redis is unreachable.
const redisTimeoutMs = 500

/**
 * A fixed-window counter per key (rate-limiter-flexible). With Redis, a Redis error or a slow
 * answer falls back to an in-memory counter of this process (its insurance limiter), so an
 * outage loosens the limit to one window per instance instead of failing the request.
 */
export class KeyedLimit {
  private readonly limiter: Pick<RateLimiterAbstract, 'consume'>

  constructor({ points, windowSeconds, keyPrefix, redis }: KeyedLimitOptions) {
    const memory = new RateLimiterMemory({ points, duration: windowSeconds, keyPrefix })
    if (!redis) {
      this.limiter = memory
      return
    }
    // rejectIfRedisNotReady: while ioredis reconnects, go to memory at once instead of queueing.
    const shared = new RateLimiterRedis({ storeClient: redis, points, duration: windowSeconds, keyPrefix, rejectIfRedisNotReady: true, insuranceLimiter: memory })
    this.limiter = new RLWrapperTimeouts({ limiter: shared, timeoutMs: redisTimeoutMs })
  }

  /** Counts one action for `key`; a refusal when the key has used up its window. */
  async take(key: string): Promise<Refusal | null> {
    try {
      await this.limiter.consume(key)
      return null
    } catch (rejection) {
      // rate-limiter-flexible rejects with a RateLimiterRes when the points are used up.
      if (rejection instanceof RateLimiterRes) return { retryAfterSeconds: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)) }
      throw rejection
    }
  }
}
