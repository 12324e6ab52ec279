import type { MemberLeftEvent, Prisma, PrismaClient } from '../generated/prisma/client.js'
import { InProcessNotifier, type Notifier } from './notifier.js'

/** What a subscriber wants done with one event. */
export type FeedDecision = 'deliver' | 'deliver-and-complete' | 'skip'

export interface FeedSubscribeOptions {
  /** Replay stored events with an id above this cursor first. Without it, start at the feed's position. */
  after?: bigint
  /** Called once per event, in id order. Defaults to delivering everything. */
  filter?: (event: MemberLeftEvent) => FeedDecision
  /**
   * Narrows the stored reads (replay) in SQL. It must select the events `filter` does not skip;
   * without it, replay reads every event and lets `filter` decide.
   */
  where?: Prisma.MemberLeftEventWhereInput
}

export interface MemberLeftFeedOptions {
  /** Default: an in-process notifier, closed with the feed. */
  notifier?: Notifier
  /** Rows per catch-up read and per replay page. */
  pageSize?: number
  /** Events a subscriber may hold before it falls back to reading the table itself. */
  maxBuffered?: number
  /** Also read every this many ms, in case a notification is lost (multi-instance transports). */
  pollIntervalMs?: number
  /** Retry delay after a failed catch-up read. */
  retryDelayMs?: number
  onError?: (error: unknown) => void
}

type Store = Pick<PrismaClient, 'memberLeftEvent'>

/**
 * Committed exits, to every subscriber, in commit order, exactly once.
 *
 * recordExit hands out ids under a lock held to commit, so id order is commit order and any
 * read sees a prefix of the committed ids. The feed therefore never trusts what `publish` is
 * given: a publish only says "read past lastDispatchedId". One catch-up read per burst (at most
 * one in flight, one more if prompted during it) fetches the new rows, and each row object is
 * handed to every subscriber: one read and one row per event per server, not per subscriber.
 * Late, repeated or reordered notifications cannot reorder or repeat events.
 */
export class MemberLeftFeed {
  private readonly notifier: Notifier
  private readonly ownsNotifier: boolean
  private readonly stopListening: () => void
  readonly pageSize: number
  readonly maxBuffered: number
  private readonly options: MemberLeftFeedOptions

  private lastDispatchedId: bigint | null = null
  private starting: Promise<bigint> | null = null
  /** Highest id announced since the last read started; 'unknown' when a notification had no id. */
  private pending: bigint | 'unknown' | null = null
  /** Set synchronously around catchUp, so a prompt arriving as a read ends always starts another. */
  private reading = false
  private inFlight: Promise<void> = Promise.resolve()
  private retryTimer: NodeJS.Timeout | null = null
  private pollTimer: NodeJS.Timeout | null = null
  private closed = false
  private readonly subscribers = new Set<FeedSubscription>()
  private registrations = 0

  constructor(
    readonly prisma: Store,
    options: MemberLeftFeedOptions = {},
  ) {
    this.options = options
    this.notifier = options.notifier ?? new InProcessNotifier()
    this.ownsNotifier = !options.notifier
    this.pageSize = options.pageSize ?? 500
    this.maxBuffered = options.maxBuffered ?? 1000
    this.stopListening = this.notifier.onNotify((maxId) => this.prompt(maxId))
  }

  /** Announces committed events. Call it after commit; it never waits and never throws. */
  publish(events: readonly MemberLeftEvent[]): void {
    if (this.closed || events.length === 0) return
    let maxId = events[0].id
    for (const event of events) if (event.id > maxId) maxId = event.id
    try {
      this.notifier.publish(maxId)
    } catch (error) {
      // The exits are committed whatever happens here; polling or the next publish catches up.
      ;(this.options.onError ?? defaultOnError)(error)
    }
  }

  /**
   * The id of the last event handed to subscribers (on first use: the newest stored event).
   * A cursor taken here and passed as `after` misses nothing committed later.
   */
  position(): Promise<bigint> {
    if (this.lastDispatchedId !== null) return Promise.resolve(this.lastDispatchedId)
    if (!this.starting) {
      this.starting = this.prisma.memberLeftEvent.aggregate({ _max: { id: true } }).then(
        (result) => {
          this.lastDispatchedId ??= result._max.id ?? 0n
          if (this.options.pollIntervalMs && !this.closed && !this.pollTimer) {
            this.pollTimer = setInterval(() => this.prompt(undefined), this.options.pollIntervalMs)
            this.pollTimer.unref()
          }
          return this.lastDispatchedId
        },
        (error: unknown) => {
          this.starting = null
          throw error
        },
      )
    }
    return this.starting
  }

  /**
   * Live events from now (or, with `after`, every stored event after it first, then live ones),
   * with no gap and no duplicate. Registers for live rows before reading anything, so rows
   * committed while replaying are buffered rather than lost.
   */
  subscribe(options: FeedSubscribeOptions = {}): AsyncIterableIterator<MemberLeftEvent> {
    return new FeedSubscription(this, options)
  }

  /** Completes every subscription; later publishes and subscribes do nothing. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.stopListening()
    if (this.retryTimer) clearTimeout(this.retryTimer)
    if (this.pollTimer) clearInterval(this.pollTimer)
    for (const subscription of [...this.subscribers]) subscription.end()
    await this.inFlight
    if (this.ownsNotifier) await this.notifier.close()
  }

  get isClosed(): boolean {
    return this.closed
  }

  /** @internal */
  register(subscription: FeedSubscription): void {
    this.subscribers.add(subscription)
    this.registrations++
    // Starting the feed also starts its position; a subscriber needs one.
    void this.position().catch(() => undefined)
  }

  /** @internal */
  unregister(subscription: FeedSubscription): void {
    this.subscribers.delete(subscription)
  }

  /** @internal Number of live subscriptions (tests check that ended ones are released). */
  get subscriberCount(): number {
    return this.subscribers.size
  }

  /** @internal Subscriptions past their replay, taking rows straight from the feed (tests wait on it). */
  get liveSubscriberCount(): number {
    return [...this.subscribers].filter((subscription) => subscription.isLive).length
  }

  /** @internal Subscriptions ever registered; only grows (tests wait on it). */
  get registrationCount(): number {
    return this.registrations
  }

  private prompt(maxId: bigint | undefined): void {
    if (this.closed) return
    if (maxId !== undefined && this.lastDispatchedId !== null && maxId <= this.lastDispatchedId) return
    if (maxId === undefined || this.pending === 'unknown') this.pending = 'unknown'
    else if (this.pending === null || maxId > this.pending) this.pending = maxId
    if (this.reading) return
    this.reading = true
    this.inFlight = this.catchUp()
  }

  private async catchUp(): Promise<void> {
    try {
      await this.position()
      while (this.pending !== null && !this.closed) {
        const wanted = this.pending
        this.pending = null
        if (wanted !== 'unknown' && wanted <= this.lastDispatchedId!) continue
        await this.readToEnd()
      }
    } catch (error) {
      this.pending = 'unknown'
      ;(this.options.onError ?? defaultOnError)(error)
      if (!this.closed && !this.retryTimer) {
        this.retryTimer = setTimeout(() => {
          this.retryTimer = null
          this.prompt(undefined)
        }, this.options.retryDelayMs ?? 1000)
        this.retryTimer.unref()
      }
    } finally {
      this.reading = false
    }
  }

  private async readToEnd(): Promise<void> {
    for (;;) {
      const rows = await this.prisma.memberLeftEvent.findMany({
        where: { id: { gt: this.lastDispatchedId! } },
        orderBy: { id: 'asc' },
        take: this.pageSize,
      })
      if (this.closed) return
      for (const row of rows) {
        if (row.id <= this.lastDispatchedId!) continue
        this.lastDispatchedId = row.id
        for (const subscription of this.subscribers) subscription.push(row)
      }
      if (rows.length < this.pageSize) return
    }
  }
}

function defaultOnError(error: unknown): void {
  console.error('member-left feed: notification or catch-up read failed (retried on the next prompt)', error)
}

const DONE: IteratorReturnResult<undefined> = { value: undefined, done: true }

/**
 * One subscriber. It is in one of two modes:
 * - 'store': it reads the table itself (replay, or catching up after its buffer overflowed)
 *   while live rows are buffered (bounded; on overflow the buffer is dropped and the
 *   replay reads once more, since dropped rows are committed and so readable);
 * - 'live': the feed's rows go straight to its queue (bounded; a consumer too slow to keep
 *   up drops the queue and goes back to 'store' from the last event it took).
 * `acceptedId` only grows while a mode lasts, so nothing is delivered twice; the switch to
 * 'live' happens after a read that reached the end of the table began after every dropped
 * row was committed, so nothing is skipped.
 */
class FeedSubscription implements AsyncIterableIterator<MemberLeftEvent> {
  private mode: 'starting' | 'store' | 'live' = 'starting'
  /** Events accepted and not yet taken by next(). */
  private ready: MemberLeftEvent[] = []
  /** Live rows that arrived while in 'store' mode, with their decision. */
  private buffered: { event: MemberLeftEvent; decision: FeedDecision }[] = []
  private droppedWhileStoring = false
  /** Every event with an id up to this one has been accepted or skipped. */
  private acceptedId = 0n
  /** The id of the last event next() returned (or the start cursor). */
  private takenId = 0n
  /** No more events will be accepted: completed, returned, closed or failed. */
  private ended = false
  private failure: { error: unknown } | null = null
  private wake: (() => void) | null = null
  private queue: Promise<unknown> = Promise.resolve()
  private readonly started: Promise<void>
  private readonly filter: (event: MemberLeftEvent) => FeedDecision

  constructor(
    private readonly feed: MemberLeftFeed,
    private readonly options: FeedSubscribeOptions,
  ) {
    this.filter = options.filter ?? (() => 'deliver')
    if (feed.isClosed) {
      this.ended = true
      this.started = Promise.resolve()
      return
    }
    feed.register(this)
    this.started = this.start()
    this.started.catch(() => undefined)
  }

  [Symbol.asyncIterator](): this {
    return this
  }

  get isLive(): boolean {
    return this.mode === 'live'
  }

  next(): Promise<IteratorResult<MemberLeftEvent, undefined>> {
    const result = this.queue.then(() => this.pull())
    this.queue = result.catch(() => undefined)
    return result
  }

  return(): Promise<IteratorReturnResult<undefined>> {
    this.end()
    return Promise.resolve(DONE)
  }

  throw(error?: unknown): Promise<IteratorReturnResult<undefined>> {
    this.end()
    return Promise.reject(error)
  }

  /** Called by the feed with each new row, in id order. */
  push(event: MemberLeftEvent): void {
    if (this.ended) return
    let decision: FeedDecision
    try {
      decision = this.filter(event)
    } catch (error) {
      this.fail(error)
      return
    }
    if (decision === 'skip') return
    if (this.mode === 'live') {
      if (event.id <= this.acceptedId) return
      if (this.ready.length >= this.feed.maxBuffered) {
        // Too slow: forget the queue and read from the table from the last event taken.
        // This row and all before it are committed, so that read will see them.
        this.ready = []
        this.acceptedId = this.takenId
        this.buffered = []
        this.droppedWhileStoring = false
        this.mode = 'store'
      } else {
        this.accept(event, decision)
      }
      this.signal()
      return
    }
    if (this.buffered.length >= this.feed.maxBuffered) {
      this.buffered = []
      this.droppedWhileStoring = true
    } else {
      this.buffered.push({ event, decision })
    }
  }

  /** Stops at once: drops what is queued and leaves the feed. */
  end(): void {
    this.ended = true
    this.ready = []
    this.buffered = []
    this.feed.unregister(this)
    this.signal()
  }

  private fail(error: unknown): void {
    this.failure ??= { error }
    this.end()
  }

  private async start(): Promise<void> {
    const position = await this.feed.position()
    if (this.ended) return
    if (this.options.after === undefined) {
      this.acceptedId = this.takenId = position
      if (this.droppedWhileStoring) this.mode = 'store'
      else this.goLive()
    } else {
      this.acceptedId = this.takenId = this.options.after
      this.mode = 'store'
    }
  }

  private async pull(): Promise<IteratorResult<MemberLeftEvent, undefined>> {
    try {
      await this.started
    } catch (error) {
      this.end()
      throw error
    }
    for (;;) {
      const event = this.ready.shift()
      if (event) {
        this.takenId = event.id
        return { value: event, done: false }
      }
      if (this.failure) {
        // Reported once; the stream is over after that.
        const { error } = this.failure
        this.failure = null
        throw error
      }
      if (this.ended) return DONE
      if (this.mode === 'store') {
        try {
          await this.readPage()
        } catch (error) {
          this.fail(error)
        }
        continue
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve
      })
    }
  }

  private async readPage(): Promise<void> {
    // Rows dropped before this read began are committed, so this read covers them.
    this.droppedWhileStoring = false
    const cursor = { id: { gt: this.acceptedId } }
    const rows = await this.feed.prisma.memberLeftEvent.findMany({
      where: this.options.where ? { AND: [this.options.where, cursor] } : cursor,
      orderBy: { id: 'asc' },
      take: this.feed.pageSize,
    })
    if (this.ended) return
    for (const row of rows) {
      if (row.id <= this.acceptedId) continue
      const decision = this.filter(row)
      this.acceptedId = row.id
      if (decision !== 'skip') this.accept(row, decision)
      if (this.ended) return
    }
    if (rows.length === this.feed.pageSize || this.droppedWhileStoring) return
    this.goLive()
  }

  private goLive(): void {
    this.mode = 'live'
    const buffered = this.buffered
    this.buffered = []
    for (const { event, decision } of buffered) {
      if (this.ended) return
      if (event.id > this.acceptedId) this.accept(event, decision)
    }
  }

  private accept(event: MemberLeftEvent, decision: FeedDecision): void {
    this.ready.push(event)
    this.acceptedId = event.id
    if (decision === 'deliver-and-complete') {
      // Keep `ready`: next() hands out what is queued, this event last, then completes.
      this.ended = true
      this.buffered = []
      this.feed.unregister(this)
    }
  }

  private signal(): void {
    const wake = this.wake
    this.wake = null
    wake?.()
  }
}
