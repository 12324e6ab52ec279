import type { Redis } from 'ioredis'
import type { ExitLogPosition } from '../domain/exits/exit-log.js'
import { InProcessNotifier, type Notifier } from './notifier.js'
import { RedisChannel } from '../redis/redis-channel.js'

/**
 * Commits announced to every instance through Redis. This instance's own feeds hear a publish
 * at once, without the round trip; the others hear `txid:id` through the channel. A message
 * lost to Redis costs latency only: feeds also poll, and after an outage every feed is told
 * that something may have committed.
 */
export class RedisNotifier implements Notifier {
  private readonly local = new InProcessNotifier()
  private readonly channel: RedisChannel

  constructor(redis: Redis, options: { channel: string; onError?: (error: unknown) => void }) {
    this.channel = new RedisChannel(redis, options.channel, {
      onError: options.onError,
      onResubscribed: () => this.local.notifyUnknown(),
    })
    this.channel.onMessage((message) => {
      const position = parsePosition(message)
      if (position) this.local.publish(position)
      else this.local.notifyUnknown()
    })
  }

  publish(latest: ExitLogPosition): void {
    this.local.publish(latest)
    this.channel.publish(`${latest.txid}:${latest.id}`)
  }

  onNotify(listener: (latest: ExitLogPosition | undefined) => void): () => void {
    return this.local.onNotify(listener)
  }

  async close(): Promise<void> {
    await this.channel.close()
    await this.local.close()
  }
}

function parsePosition(message: string): ExitLogPosition | undefined {
  const match = /^(\d+):(\d+)$/.exec(message)
  return match ? { txid: BigInt(match[1]), id: BigInt(match[2]) } : undefined
}
