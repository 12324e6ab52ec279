import { EventEmitter } from 'node:events'
import type { ExitLogPosition } from '../domain/exits/exit-log.js'

/**
 * Carries "exits up to this position have committed" between servers. A notification is only a
 * prompt to read the event table, so the transport may lose, repeat or reorder them: the
 * feed's catch-up read decides what is new. In process (InProcessNotifier) or across
 * instances through Redis (RedisNotifier).
 */
export interface Notifier {
  publish(latest: ExitLogPosition): void
  /** `latest` undefined means "something may have committed" (a notification without a hint). */
  onNotify(listener: (latest: ExitLogPosition | undefined) => void): () => void
  close(): Promise<void>
}

/** One process: every feed in it hears every publish. */
export class InProcessNotifier implements Notifier {
  private readonly emitter = new EventEmitter().setMaxListeners(0)

  publish(latest: ExitLogPosition): void {
    this.emitter.emit('committed', latest)
  }

  /** Tells every listener that something may have committed (a lost message, an outage). */
  notifyUnknown(): void {
    this.emitter.emit('committed', undefined)
  }

  onNotify(listener: (latest: ExitLogPosition | undefined) => void): () => void {
    this.emitter.on('committed', listener)
    return () => {
      this.emitter.off('committed', listener)
    }
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners()
  }
}
