import type { MemberLeftEvent } from '../generated/prisma/client.js'
import { EXIT_LOG_START, isAfter, laterOf, positionOf, type ExitLog, type ExitLogPosition, type StoredEventFilter } from '../domain/exits/exit-log.js'
import { mergePlaceMembers, NO_PLACE_MEMBERS, type PlaceMembers } from '../domain/exits/joined-places.js'
import { InProcessNotifier, type Notifier } from './notifier.js'
import type { ListenableStream, StreamListener } from './listenable-stream.js'
import { IDLE_IN_TRANSACTION_TIMEOUT_MS } from '../db/database.js'
import { fallbackLogger, type Logger } from '../operations/logger.js'

/** What a subscriber wants done with one event. */
export type FeedDecision = 'deliver' | 'deliver-and-complete' | 'skip'

export interface FeedSubscribeOptions {
  /** Replay stored events after this position first. Without it, start at the feed's position. */
  after?: ExitLogPosition
  /**
   * Called once per event, in order. Defaults to delivering everything. `members`: with
   * `memberUid`, that user's current memberships in the places of the event's page.
   */
  filter?: (event: MemberLeftEvent, members: PlaceMembers) => FeedDecision
  /**
   * Narrows the stored reads (replay) in SQL. It must select the events `filter` does not skip;
   * without it, replay reads every event and lets `filter` decide.
   */
  where?: StoredEventFilter
  /**
   * The user whose memberships `filter` reads. The feed reads them for every such subscriber
   * together, one statement per page of new rows (MemberLeftFeedOptions.placeMembers).
   */
  memberUid?: string
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
  /**
   * First delay before reading again while an announced event is still above the read horizon
   * (another transaction of this service that started writing earlier is still open); it
   * doubles up to 100 ms.
   */
  horizonRetryMs?: number
  onError?: (error: unknown) => void
  /** Where failures are logged when there is no onError. */
  log?: Logger
  /**
   * Which of these users are members of the places of these events now: one read for a page
   * of rows and every subscriber with a memberUid. Subscribers with one need it.
   */
  placeMembers?: (events: readonly MemberLeftEvent[], uids: readonly string[]) => Promise<PlaceMembers>
}

/**
 * Committed exits, to every subscriber, in the exit log's order, exactly once.
 *
 * Events are read in (txid, id) order and only below the read horizon (ExitLog.horizon), so
 * every read sees a prefix of the order that can no longer grow in the middle. The feed never
 * trusts what `publish` is given: a publish only says "read past lastDispatched". One catch-up
 * read per burst (at most one in flight, one more if prompted during it) fetches the new rows,
 * and each row object is handed to every subscriber: one read and one row per event per server,
 * not per subscriber. Late, repeated or reordered notifications cannot reorder or repeat events.
 * With no subscriber the feed reads nothing at all.
 */
export class MemberLeftFeed {
  private readonly notifier: Notifier
  private readonly ownsNotifier: boolean
  private readonly stopListening: () => void
  readonly pageSize: number
  readonly maxBuffered: number
  private readonly options: MemberLeftFeedOptions

  /** Null while nobody subscribes: the next position() reads the horizon afresh. */
  private lastDispatched: ExitLogPosition | null = null
  private starting: Promise<ExitLogPosition> | null = null
  /** Latest position announced since the last read started; 'unknown' when a notification had none. */
  private pending: ExitLogPosition | 'unknown' | null = null
  /** Latest position announced and not yet dispatched (it may still be above the horizon). */
  private announced: ExitLogPosition | null = null
  /** When `announced` was first waited for; a position that never shows up is given up. */
  private announcedWaitStarted = 0
  /** Set synchronously around catchUp, so a prompt arriving as a read ends always starts another. */
  private reading = false
  private inFlight: Promise<void> = Promise.resolve()
  private retryTimer: NodeJS.Timeout | null = null
  private horizonTimer: NodeJS.Timeout | null = null
  private horizonDelayMs: number
  private pollTimer: NodeJS.Timeout | null = null
  private closed = false
  private readonly subscribers = new Set<FeedSubscription>()
  /** Subscribers per memberUid: whose memberships each page of rows is read for. */
  private readonly memberUids = new Map<string, number>()
  private registrations = 0
  /** Rows this feed read as they committed and handed out (as opposed to rows a replay read). */
  private readonly liveRows = new WeakSet<MemberLeftEvent>()

  constructor(
    readonly log: ExitLog,
    options: MemberLeftFeedOptions = {},
  ) {
    this.options = options
    this.notifier = options.notifier ?? new InProcessNotifier()
    this.ownsNotifier = !options.notifier
    this.pageSize = options.pageSize ?? 500
    this.maxBuffered = options.maxBuffered ?? 1000
    this.horizonDelayMs = options.horizonRetryMs ?? 2
    this.stopListening = this.notifier.onNotify((position) => this.prompt(position))
    if (options.pollIntervalMs) {
      this.pollTimer = setInterval(() => this.prompt(undefined), options.pollIntervalMs)
      this.pollTimer.unref()
    }
  }

  /** Announces committed events. Call it after commit; it never waits and never throws. */
  publish(events: readonly MemberLeftEvent[]): void {
    if (this.closed || events.length === 0) return
    let latest = positionOf(events[0])
    for (const event of events) latest = laterOf(latest, positionOf(event))
    try {
      this.notifier.publish(latest)
    } catch (error) {
      // The exits are committed whatever happens here; polling or the next publish catches up.
      this.reportError(error)
    }
  }

  /**
   * The position of the last event handed to subscribers (when nobody subscribes: just below
   * the read horizon). A cursor taken here and passed as `after` misses nothing committed later.
   */
  position(): Promise<ExitLogPosition> {
    if (this.lastDispatched !== null) return Promise.resolve(this.lastDispatched)
    if (!this.starting) {
      const starting = this.log.horizon().then(
        (horizon) => {
          if (this.starting === starting) this.starting = null
          this.lastDispatched ??= { txid: horizon, id: 0n }
          return this.lastDispatched
        },
        (error: unknown) => {
          if (this.starting === starting) this.starting = null
          throw error
        },
      )
      this.starting = starting
    }
    return this.starting
  }

  /**
   * Live events from now (or, with `after`, every stored event after it first, then live ones),
   * with no gap and no duplicate. Registers for live rows before reading anything, so rows
   * committed while replaying are buffered rather than lost.
   */
  subscribe(options: FeedSubscribeOptions = {}): AsyncIterableIterator<MemberLeftEvent> & ListenableStream<MemberLeftEvent> {
    if (options.memberUid !== undefined && !this.options.placeMembers) throw new Error('this feed cannot read memberships (no placeMembers)')
    return new FeedSubscription(this, options)
  }

  /** Completes every subscription; later publishes and subscribes do nothing. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.stopListening()
    if (this.retryTimer) clearTimeout(this.retryTimer)
    if (this.horizonTimer) clearTimeout(this.horizonTimer)
    if (this.pollTimer) clearInterval(this.pollTimer)
    for (const subscription of [...this.subscribers]) subscription.end()
    await this.inFlight
    if (this.ownsNotifier) await this.notifier.close()
  }

  /**
   * Whether this event object came live from the feed rather than from a subscriber's replay
   * of stored events: how long a replayed event took to arrive is how long its client was away.
   */
  isLive(event: unknown): boolean {
    return typeof event === 'object' && event !== null && this.liveRows.has(event as MemberLeftEvent)
  }

  get isClosed(): boolean {
    return this.closed
  }

  /** @internal */
  register(subscription: FeedSubscription, memberUid: string | undefined): void {
    this.subscribers.add(subscription)
    if (memberUid !== undefined) this.memberUids.set(memberUid, (this.memberUids.get(memberUid) ?? 0) + 1)
    this.registrations++
    // Starting the feed also starts its position; a subscriber needs one.
    void this.position().catch(() => undefined)
  }

  /** @internal Whether every event handed to subscribers so far is at or before this position. */
  dispatchedNothingAfter(position: ExitLogPosition): boolean {
    return this.lastDispatched !== null && !isAfter(this.lastDispatched, position)
  }

  /** @internal */
  unregister(subscription: FeedSubscription, memberUid: string | undefined): void {
    if (!this.subscribers.delete(subscription) || memberUid === undefined) return
    const left = (this.memberUids.get(memberUid) ?? 1) - 1
    if (left === 0) this.memberUids.delete(memberUid)
    else this.memberUids.set(memberUid, left)
  }

  /**
   * @internal The current memberships of `uids` (default: every subscriber's memberUid) in the
   * places of `rows`. For the feed's own rows it reads again for subscribers that registered
   * during a read, so that when it returns every registered subscriber is covered and rows
   * can be handed out without another wait.
   */
  async placeMembersOf(rows: readonly MemberLeftEvent[], uids?: readonly string[]): Promise<PlaceMembers> {
    const read = this.options.placeMembers
    if (!read || rows.length === 0) return NO_PLACE_MEMBERS
    if (uids) return read(rows, uids)
    let members = NO_PLACE_MEMBERS
    const covered = new Set<string>()
    for (;;) {
      const missing = [...this.memberUids.keys()].filter((uid) => !covered.has(uid))
      if (missing.length === 0) return members
      members = mergePlaceMembers(members, await read(rows, missing))
      for (const uid of missing) covered.add(uid)
    }
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

  private prompt(position: ExitLogPosition | undefined): void {
    if (this.closed) return
    if (position !== undefined) {
      if (this.lastDispatched !== null && !isAfter(position, this.lastDispatched)) return
      this.announced = this.announced === null ? position : laterOf(this.announced, position)
    }
    if (position === undefined || this.pending === 'unknown') this.pending = 'unknown'
    else this.pending = this.pending === null ? position : laterOf(this.pending, position)
    if (this.reading) return
    this.reading = true
    this.inFlight = this.catchUp()
  }

  private async catchUp(): Promise<void> {
    try {
      while (this.pending !== null && !this.closed) {
        if (this.subscribers.size === 0) {
          // Nobody to hand rows to: forget the position rather than read for nobody.
          this.pending = null
          this.announced = null
          if (!this.starting) this.lastDispatched = null
          return
        }
        await this.position()
        const wanted = this.pending
        this.pending = null
        if (wanted !== 'unknown' && !isAfter(wanted, this.lastDispatched!)) continue
        await this.readToEnd()
      }
      this.awaitHorizon()
    } catch (error) {
      this.pending = 'unknown'
      this.reportError(error)
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

  /**
   * An announced event that the reads have not reached is committed but above the horizon:
   * an earlier-numbered transaction is still open. Nothing announces that transaction's end
   * when it writes no event, so read again shortly, backing off while it lasts.
   */
  private awaitHorizon(): void {
    if (this.announced !== null && this.lastDispatched !== null && !isAfter(this.announced, this.lastDispatched)) {
      this.announced = null
    }
    if (this.announced !== null && this.horizonDelayMs === (this.options.horizonRetryMs ?? 2)) this.announcedWaitStarted = Date.now()
    // Our own transactions end within IDLE_IN_TRANSACTION_TIMEOUT_MS; a position still missing
    // long after was not ours to wait for (a message from another database's instances).
    if (this.announced !== null && Date.now() - this.announcedWaitStarted > announcedWaitLimitMs) this.announced = null
    if (this.announced === null) {
      this.horizonDelayMs = this.options.horizonRetryMs ?? 2
      return
    }
    if (this.closed || this.horizonTimer) return
    this.horizonTimer = setTimeout(() => {
      this.horizonTimer = null
      this.prompt(undefined)
    }, this.horizonDelayMs)
    this.horizonTimer.unref()
    this.horizonDelayMs = Math.min(this.horizonDelayMs * 2, 100)
  }

  private reportError(error: unknown): void {
    if (this.options.onError) this.options.onError(error)
    else (this.options.log ?? fallbackLogger()).error({ err: error }, 'member-left feed: notification or catch-up read failed (retried on the next prompt)')
  }

  private async readToEnd(): Promise<void> {
    for (;;) {
      const below = await this.log.horizon()
      const rows = await this.log.read({ after: this.lastDispatched!, below, take: this.pageSize })
      if (this.closed) return
      // One read for the page and every `joined` subscriber, none while there is none.
      const members = this.memberUids.size === 0 ? NO_PLACE_MEMBERS : await this.placeMembersOf(rows)
      if (this.closed) return
      for (const row of rows) {
        const position = positionOf(row)
        if (!isAfter(position, this.lastDispatched!)) continue
        this.lastDispatched = position
        this.liveRows.add(row)
        for (const subscription of this.subscribers) subscription.push(row, members)
      }
      if (rows.length < this.pageSize) return
    }
  }
}
const announcedWaitLimitMs = 3 * IDLE_IN_TRANSACTION_TIMEOUT_MS

const DONE: IteratorReturnResult<undefined> = { value: undefined, done: true }
const STARTED = Promise.resolve()

/**
 * One subscriber. It is in one of two modes:
 * - 'store': it reads the table itself (replay, or catching up after its buffer overflowed)
 *   while live rows are buffered (bounded; on overflow the buffer is dropped and the
 *   replay reads once more, since dropped rows are committed and so readable);
 * - 'live': the feed's rows go straight to its queue (bounded; a consumer too slow to keep
 *   up drops the queue and goes back to 'store' from the last event it took).
 * `accepted` only moves forward while a mode lasts, so nothing is delivered twice; the switch
 * to 'live' happens after a read that reached the horizon began after every dropped row was
 * read by the feed (so below a horizon at least as high), so nothing is skipped.
 * It is either pulled (next()) or, once listen() was called, pushes what it accepts; then it
 * reads its replay pages itself, one after another, as a puller would.
 */
class FeedSubscription implements AsyncIterableIterator<MemberLeftEvent>, ListenableStream<MemberLeftEvent> {
  private mode: 'starting' | 'store' | 'live' = 'starting'
  /** Events accepted and not yet taken by next(). */
  private ready: MemberLeftEvent[] = []
  /** Live rows that arrived while in 'store' mode, with their decision. */
  private buffered: { event: MemberLeftEvent; decision: FeedDecision }[] = []
  private droppedWhileStoring = false
  /** Every event up to this position has been accepted or skipped. */
  private accepted: ExitLogPosition = EXIT_LOG_START
  /** The position of the last event next() returned (or the start cursor). */
  private taken: ExitLogPosition = EXIT_LOG_START
  /** No more events will be accepted: completed, returned, closed or failed. */
  private ended = false
  private failure: { error: unknown } | null = null
  private wake: (() => void) | null = null
  /** The last next() call's outcome, so that calls made before it settled wait their turn. */
  private queue: Promise<unknown> | null = null
  private listener: StreamListener<MemberLeftEvent> | null = null
  /** Until start() settles, its promise; then STARTED if it succeeded (one promise fewer per subscriber). */
  private started: Promise<void>
  private readonly filter: (event: MemberLeftEvent, members: PlaceMembers) => FeedDecision

  constructor(
    private readonly feed: MemberLeftFeed,
    private readonly options: FeedSubscribeOptions,
  ) {
    this.filter = options.filter ?? (() => 'deliver')
    if (feed.isClosed) {
      this.ended = true
      this.started = STARTED
      return
    }
    feed.register(this, options.memberUid)
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
    const result = this.queue ? this.queue.then(() => this.pull()) : this.pull()
    this.queue = result.catch(() => undefined)
    return result
  }

  listen(listener: StreamListener<MemberLeftEvent>): void {
    this.listener = listener
    void this.drive()
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
  push(event: MemberLeftEvent, members: PlaceMembers): void {
    if (this.ended) return
    let decision: FeedDecision
    try {
      decision = this.filter(event, members)
    } catch (error) {
      this.fail(error)
      return
    }
    if (decision === 'skip') return
    if (this.mode === 'live') {
      if (!isAfter(positionOf(event), this.accepted)) return
      // A listener takes each event as it is accepted, so only a puller can fall behind.
      if (!this.listener && this.ready.length >= this.feed.maxBuffered) {
        // Too slow: forget the queue and read from the table from the last event taken.
        // This row and all before it are committed, so that read will see them.
        this.ready = []
        this.accepted = this.taken
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
    this.feed.unregister(this, this.options.memberUid)
    this.signal()
  }

  private fail(error: unknown): void {
    this.failure ??= { error }
    this.end()
  }

  private async start(): Promise<void> {
    const position = await this.feed.position()
    this.started = STARTED
    if (this.ended) return
    if (this.options.after === undefined) {
      this.accepted = this.taken = position
      if (this.droppedWhileStoring) this.mode = 'store'
      else this.goLive()
    } else {
      this.accepted = this.taken = this.options.after
      // Nothing after the cursor handed out yet (the usual case: a cursor from position()
      // just now): every later event will be pushed here, so there is nothing to read.
      if (!this.droppedWhileStoring && this.feed.dispatchedNothingAfter(this.options.after)) this.goLive()
      else this.mode = 'store'
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
        this.taken = positionOf(event)
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

  /** Push mode: hands out what is accepted, reading the table itself while in 'store' mode. */
  private async drive(): Promise<void> {
    try {
      await this.started
    } catch (error) {
      this.fail(error)
    }
    for (;;) {
      this.flush()
      if (this.ended || this.mode !== 'store') return
      try {
        await this.readPage()
      } catch (error) {
        this.fail(error)
      }
    }
  }

  /** Push mode: the accepted events to the listener, then the end if the stream is over. */
  private flush(): void {
    const listener = this.listener
    if (!listener) return
    const ready = this.ready
    for (let i = 0; i < ready.length; i++) {
      this.taken = positionOf(ready[i])
      listener.receive(ready[i])
      // The listener may have ended the stream (and been told) while taking it.
      if (this.listener !== listener) return
    }
    // Emptied by length, which also frees the backing store a push grew (150 bytes a subscriber).
    ready.length = 0
    if (!this.ended) return
    this.listener = null
    const failure = this.failure
    this.failure = null
    listener.end(failure ?? undefined)
  }

  private async readPage(): Promise<void> {
    // Rows dropped before this read began were read by the feed below an earlier horizon,
    // so this read (below a later, never lower one) covers them.
    this.droppedWhileStoring = false
    const below = await this.feed.log.horizon()
    const rows = await this.feed.log.read({ after: this.accepted, below, where: this.options.where, take: this.feed.pageSize })
    if (this.ended) return
    const { memberUid } = this.options
    const members = memberUid === undefined ? NO_PLACE_MEMBERS : await this.feed.placeMembersOf(rows, [memberUid])
    if (this.ended) return
    for (const row of rows) {
      if (!isAfter(positionOf(row), this.accepted)) continue
      const decision = this.filter(row, members)
      this.accepted = positionOf(row)
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
      if (isAfter(positionOf(event), this.accepted)) this.accept(event, decision)
    }
  }

  private accept(event: MemberLeftEvent, decision: FeedDecision): void {
    this.ready.push(event)
    this.accepted = positionOf(event)
    if (decision === 'deliver-and-complete') {
      // Keep `ready`: next() hands out what is queued, this event last, then completes.
      this.ended = true
      this.buffered = []
      this.feed.unregister(this, this.options.memberUid)
    }
  }

  private signal(): void {
    if (this.listener) {
      this.flush()
      return
    }
    const wake = this.wake
    this.wake = null
    wake?.()
  }
}
