import { sweepOfflineMembers } from '../domain/chatrooms/sweep-offline-members.js'
import type { DomainDeps } from '../domain/deps.js'
import type { MemberLeftEvent } from '../generated/prisma/client.js'
import { fallbackLogger, type Logger } from '../operations/logger.js'

export interface OfflineKickoutSweeperOptions {
  /** How often to sweep: a realtime kick-out happens at most this much after it is due. */
  intervalMs?: number
  /** Called with each sweep's committed events. */
  publish: (events: MemberLeftEvent[]) => void
  onError?: (error: unknown) => void
  /** Where failures are logged when there is no onError. */
  log?: Logger
}

/** Runs the realtime offline kick-out on a timer; with several instances, one sweeps at a time. */
export class OfflineKickoutSweeper {
  private readonly intervalMs: number
  private timer: NodeJS.Timeout | undefined
  private running: Promise<unknown> | undefined

  constructor(
    private readonly deps: DomainDeps,
    private readonly options: OfflineKickoutSweeperOptions,
  ) {
    this.intervalMs = options.intervalMs ?? 1000
  }

  start(): void {
    this.timer = setInterval(() => {
      this.running ??= this.sweepOnce()
        .catch((error) => (this.options.onError ?? ((e) => (this.options.log ?? fallbackLogger()).error({ err: e }, 'offline kick-out sweep failed')))(error))
        .finally(() => (this.running = undefined))
    }, this.intervalMs)
    this.timer.unref()
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    await this.running
  }

  /** One sweep; returns its events after publishing them. */
  async sweepOnce(): Promise<MemberLeftEvent[]> {
    const { events } = await sweepOfflineMembers(this.deps)
    if (events.length > 0) this.options.publish(events)
    return events
  }
}
