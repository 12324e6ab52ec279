import { Redis } from 'ioredis'

/**
 * The Redis client of one instance. Commands fail at once while Redis is away rather than
 * queueing (live events then go on through the feeds' polling, rate limits through their
 * in-memory fallback), and the client reconnects by itself. An outage is reported once when it
 * starts and once when it ends, not on every reconnection attempt.
 */
export function openRedis(url: string, report: (message: string, error?: unknown) => void): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
  })
  let down = false
  redis.on('error', (error) => {
    if (down) return
    down = true
    report('Redis is unreachable: live events go on through polling, and rate limits are counted per instance, until it is back', error)
  })
  redis.on('ready', () => {
    if (!down) return
    down = false
    report('Redis is reachable again')
  })
  return redis
}
