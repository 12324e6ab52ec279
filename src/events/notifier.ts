import { EventEmitter } from 'node:events'

/**
 * Carries "exits up to this id have committed" between servers. A notification is only a
 * prompt to read the event table, so the transport may lose, repeat or reorder them: the
 * feed's catch-up read decides what is new. In-process now; Redis PUBLISH/SUBSCRIBE later
 * (send `maxId.toString()`, parse it back with BigInt).
 */
export interface Notifier {
  publish(maxId: bigint): void
  /** `maxId` undefined means "something may have committed" (a notification without a hint). */
  onNotify(listener: (maxId: bigint | undefined) => void): () => void
  close(): Promise<void>
}

/** One process: every feed in it hears every publish. */
export class InProcessNotifier implements Notifier {
  private readonly emitter = new EventEmitter().setMaxListeners(0)

  publish(maxId: bigint): void {
    this.emitter.emit('committed', maxId)
  }

  onNotify(listener: (maxId: bigint | undefined) => void): () => void {
    this.emitter.on('committed', listener)
    return () => {
      this.emitter.off('committed', listener)
    }
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners()
  }
}
