import { randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'

export interface RedisChannelOptions {
  /** Called after the subscriber connection is back from an outage: messages may have been lost. */
  onResubscribed?: () => void
  onError?: (error: unknown) => void
}

/**
 * One Redis pub/sub channel between the instances of the service. Each message carries the
 * sending instance's id, so an instance never handles its own messages twice (it acts on them
 * locally when it sends). Redis pub/sub delivers at most once: every user of a channel must
 * treat a message as a nudge that something else (the database, a periodic check) backs up.
 */
export class RedisChannel {
  private readonly instanceId = randomUUID()
  private readonly subscriber: Redis
  private readonly listeners = new Set<(message: string) => void>()
  private hadOutage = false

  constructor(
    private readonly redis: Redis,
    readonly name: string,
    private readonly options: RedisChannelOptions = {},
  ) {
    // A connection in subscriber mode can do nothing else, so the channel has its own.
    this.subscriber = redis.duplicate()
    this.subscriber.on('message', (channel: string, raw: string) => {
      if (channel !== name) return
      const space = raw.indexOf(' ')
      if (space < 0 || raw.slice(0, space) === this.instanceId) return
      const message = raw.slice(space + 1)
      for (const listener of this.listeners) listener(message)
    })
    // The client reports its own errors (openRedis); here only what they mean for the channel.
    this.subscriber.on('error', () => {})
    this.subscriber.on('close', () => (this.hadOutage = true))
    // Subscribes on every (re)connection: commands are not queued while Redis is away.
    this.subscriber.on('ready', () => {
      this.subscriber.subscribe(name).then(
        () => {
          if (!this.hadOutage) return
          this.hadOutage = false
          this.options.onResubscribed?.()
        },
        (error: unknown) => this.options.onError?.(error),
      )
    })
  }

  /** Sends to the other instances; a failure is reported, never thrown. */
  publish(message: string): void {
    // While Redis is away the message is dropped (openRedis reports the outage once); the
    // receivers make up for it when they reconnect (onResubscribed) or by polling.
    if (this.redis.status !== 'ready') return
    this.redis.publish(this.name, `${this.instanceId} ${message}`).catch((error: unknown) => this.options.onError?.(error))
  }

  /** Messages from the other instances. */
  onMessage(listener: (message: string) => void): () => void {
    this.listeners.add(listener)
    return () => {
      this.listeners.delete(listener)
    }
  }

  async close(): Promise<void> {
    this.listeners.clear()
    this.subscriber.disconnect()
  }
}
