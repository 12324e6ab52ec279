import {
  createSourceEventStream,
  execute,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLError,
  type GraphQLSchema,
} from 'graphql'
import { isListenable, type StreamListener } from '../events/listenable-stream.js'

/** Where one subscriber's frames go: its WebSocket, as far as fan-out needs it. */
export interface FrameSink {
  readonly isOpen: boolean
  /** Bytes accepted by send() and not yet handed to the network. */
  readonly bufferedAmount: number
  send(frame: Buffer): void
  /** Closes the connection of a subscriber that stopped reading (see SharedSubscriptionsOptions.maxBufferedBytes). */
  dropSlowConsumer(): void
}

export interface SharedSubscriptionArgs extends ExecutionArgs {
  /** The operation text as the client sent it: with the variables, what makes two subscriptions the same. */
  query: string
  /** The graphql-ws operation id, written into every frame. */
  operationId: string
  sink: FrameSink
  /** Whose results these are; only documents that select a field marked `perViewer` are executed per viewer. */
  viewer: { uid: string | null; isAppAdmin: boolean } | null
  /**
   * The subscribe message's payload, which graphql-ws keeps for as long as the subscription
   * lives: its query and variables are swapped for the cohort's equal ones (one copy per crowd).
   */
  payload?: { query: string; variables?: Record<string, unknown> | null }
}

export interface SharedSubscriptionsOptions {
  /** A subscriber with more than this many bytes waiting to be written is dropped. */
  maxBufferedBytes: number
  /** Masks an error that is not meant for clients (Yoga's maskError), at subscribe time and per event. */
  maskError(error: GraphQLError): GraphQLError
  /** Events per cohort whose serialized payloads are kept for subscribers that replay them. */
  payloadCacheSize?: number
  /** Called once per event per cohort, when the first frame carrying it has been written (metrics). */
  onFrameWritten?(event: unknown): void
}

export interface SharedSubscriptionCounts {
  subscriptions: number
  cohorts: number
}

const DONE: IteratorReturnResult<undefined> = { value: undefined, done: true }
const FRAME_HEAD = Buffer.from('{"id":')
const FRAME_NEXT = Buffer.from(',"type":"next","payload":')
const FRAME_END = 0x7d // }

/**
 * A `next` message: the operation id is written per frame, so that a subscriber holds no
 * bytes of its own while it waits (graphql-ws keeps the id string anyway).
 */
function nextFrame(operationId: string, payload: Buffer): Buffer {
  const id = JSON.stringify(operationId)
  const frame = Buffer.allocUnsafe(FRAME_HEAD.length + Buffer.byteLength(id) + FRAME_NEXT.length + payload.length + 1)
  let at = FRAME_HEAD.copy(frame, 0)
  at += frame.write(id, at)
  at += FRAME_NEXT.copy(frame, at)
  at += payload.copy(frame, at)
  frame[at] = FRAME_END
  return frame
}

/**
 * Subscription delivery where the work per event is shared: subscribers whose operation text,
 * variables and (for documents that read the viewer) viewer are the same form a cohort, and
 * the cohort executes the selection set once per event and serializes it once. Each socket
 * then gets those bytes behind its own operation id, written straight to it.
 *
 * What each subscriber sees is still decided per subscriber by its source stream (the field's
 * `subscribe` resolver: authorization, per-event visibility, completion, replay); only the
 * execution of what it is given is shared.
 */
export class SharedSubscriptions {
  private readonly cohorts = new Map<string, Cohort>()
  private readonly perViewerDocuments = new WeakMap<DocumentNode, boolean>()
  constructor(private readonly options: SharedSubscriptionsOptions) {}

  /**
   * graphql-ws's `subscribe`: the source stream (or the errors that refused it), wrapped in an
   * iterator that sends frames itself and yields nothing; it ends when the stream does.
   */
  async subscribe(args: SharedSubscriptionArgs): Promise<AsyncGenerator<never, undefined> | ExecutionResult> {
    const source = await createSourceEventStream(args)
    if (!isAsyncIterable(source)) {
      return this.masked(source)
    }
    const cohort = this.join(args)
    if (args.payload) {
      args.payload.query = cohort.query
      if (args.payload.variables) args.payload.variables = cohort.variables
    }
    const delivery = new SharedDelivery(source[Symbol.asyncIterator](), cohort, args.sink, args.operationId, this.options.maxBufferedBytes)
    forgetArguments(args)
    return delivery
  }

  /** Subscriptions being delivered now, and the cohorts that execute for them. */
  get counts(): SharedSubscriptionCounts {
    let subscriptions = 0
    for (const cohort of this.cohorts.values()) subscriptions += cohort.members
    return { subscriptions, cohorts: this.cohorts.size }
  }

  private join(args: SharedSubscriptionArgs): Cohort {
    const key = this.cohortKey(args)
    let cohort = this.cohorts.get(key)
    if (!cohort) {
      cohort = new Cohort(
        args.query,
        executionOf(args),
        (result) => this.masked(result),
        this.options.payloadCacheSize ?? 64,
        () => this.cohorts.delete(key),
        this.options.onFrameWritten,
      )
      this.cohorts.set(key, cohort)
    }
    cohort.members++
    return cohort
  }

  private masked(result: ExecutionResult): ExecutionResult {
    return result.errors ? { ...result, errors: result.errors.map((error) => this.options.maskError(error)) } : result
  }

  private cohortKey(args: SharedSubscriptionArgs): string {
    const viewer = args.viewer
    const who = !viewer ? 'anonymous' : this.readsViewer(args.schema, args.document) ? `${viewer.isAppAdmin}:${viewer.uid}` : `${viewer.isAppAdmin}`
    return JSON.stringify([args.query, args.operationName ?? null, args.variableValues ?? null, who])
  }

  private readsViewer(schema: GraphQLSchema, document: DocumentNode): boolean {
    let reads = this.perViewerDocuments.get(document)
    if (reads === undefined) {
      reads = selectsPerViewerField(schema, document)
      this.perViewerDocuments.set(document, reads)
    }
    return reads
  }
}

/** The arguments a cohort executes with: the first member's, without what only subscribing needed. */
function executionOf(args: SharedSubscriptionArgs): ExecutionArgs {
  const { schema, document, operationName, variableValues, contextValue, fieldResolver, typeResolver } = args
  return { schema, document, operationName, variableValues, contextValue, fieldResolver, typeResolver }
}

/**
 * graphql-ws keeps a subscription's arguments for as long as it lives, to pass them along with
 * each result; a shared delivery yields no results, and its cohort copied what it executes
 * with. Emptying them leaves a subscriber holding only its delivery, not its own context.
 */
function forgetArguments(args: SharedSubscriptionArgs): void {
  for (const key of Object.keys(args)) (args as unknown as Record<string, unknown>)[key] = undefined
}

/** Whether the document selects a field whose value depends on who asks (`extensions.perViewer`). */
export function selectsPerViewerField(schema: GraphQLSchema, document: DocumentNode): boolean {
  const typeInfo = new TypeInfo(schema)
  let found = false
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field() {
        if (typeInfo.getFieldDef()?.extensions?.perViewer) found = true
      },
    }),
  )
  return found
}

/** Subscribers that share executions and payloads. */
class Cohort {
  members = 0
  private readonly payloads = new Map<unknown, CachedPayload>()

  constructor(
    /** The operation text, as the first member sent it (the others sent the same). */
    readonly query: string,
    private readonly execution: ExecutionArgs,
    private readonly mask: (result: ExecutionResult) => ExecutionResult,
    private readonly cacheSize: number,
    private readonly onEmpty: () => void,
    private readonly onFrameWritten: ((event: unknown) => void) | undefined,
  ) {}

  /** The variables, as the first member sent them (the others' are equal: they are in the cohort's key). */
  get variables(): Record<string, unknown> | undefined {
    return (this.execution.variableValues ?? undefined) as Record<string, unknown> | undefined
  }

  /** The event's serialized result: executed once for every member it is delivered to. */
  payloadFor(event: unknown): CachedPayload {
    const key = eventKey(event)
    let cached = this.payloads.get(key)
    if (!cached) {
      cached = new CachedPayload(event, this.execute(event))
      this.payloads.set(key, cached)
      if (this.payloads.size > this.cacheSize) this.payloads.delete(this.payloads.keys().next().value)
    }
    return cached
  }

  /** A member wrote the event's frame to its socket. */
  written(cached: CachedPayload): void {
    if (!this.onFrameWritten || cached.written) return
    cached.written = true
    this.onFrameWritten(cached.event)
  }

  leave(): void {
    if (--this.members === 0) this.onEmpty()
  }

  private async execute(event: unknown): Promise<Buffer> {
    // graphql-js's execute, as graphql-js's own subscribe does per event: it runs the subscription
    // field's resolver on the event (Yoga's execute would subscribe again). A context of its own
    // per event, so what resolvers cache per context (dataloaders) lives as long as the event.
    const contextValue = { ...(this.execution.contextValue as object) }
    const result = await execute({ ...this.execution, contextValue, rootValue: event })
    return Buffer.from(JSON.stringify(this.mask(result)))
  }
}

/**
 * One event's payload for a cohort. Members that get events pushed wait on it without a
 * promise of their own: it calls each back once, when it settles.
 */
class CachedPayload {
  bytes: Buffer | null = null
  failure: { error: unknown } | null = null
  /** Whether a member has written it to its socket yet. */
  written = false
  private waiting: SharedDelivery[] | null = []

  constructor(
    readonly event: unknown,
    readonly settled: Promise<Buffer>,
  ) {
    settled.then(
      (bytes) => this.settle(bytes, null),
      (error: unknown) => this.settle(null, { error }),
    )
  }

  get isSettled(): boolean {
    return this.waiting === null
  }

  /** Calls `delivery.payloadSettled()` once this has settled. */
  notify(delivery: SharedDelivery): void {
    this.waiting!.push(delivery)
  }

  private settle(bytes: Buffer | null, failure: { error: unknown } | null): void {
    this.bytes = bytes
    this.failure = failure
    const waiting = this.waiting!
    this.waiting = null
    for (const delivery of waiting) delivery.payloadSettled()
  }
}

/**
 * Events read from the table for a replay are new objects; their id makes them the same event
 * as the live one, so a reconnecting crowd replaying the same exits shares their payloads too.
 */
function eventKey(event: unknown): unknown {
  if (typeof event === 'object' && event !== null && 'id' in event) return (event as { id: unknown }).id
  return event
}

/**
 * One subscriber. graphql-ws iterates it like any subscription, but it yields nothing: each
 * event's shared payload is written to the socket directly, behind this operation's id. Its one
 * next() settles when the subscription ends: when the source ends (graphql-ws then sends
 * `complete`), when graphql-ws returns it (the client completed or went away), or when the
 * subscriber is dropped for not reading. A source that can push (ListenableStream) is listened
 * to, so a waiting subscriber holds one pending promise; any other source is pulled.
 */
class SharedDelivery implements AsyncGenerator<never, undefined>, StreamListener<unknown> {
  private ended = false
  /** Push mode: events received whose frames wait for their payload, oldest first. */
  private waiting: CachedPayload[] | null = null
  /** Push mode: the source ended while frames were still waiting; they go first. */
  private sourceEnd: { failure?: { error: unknown } } | null = null
  private resolveNext: ((result: IteratorReturnResult<undefined>) => void) | null = null
  private rejectNext: ((error: unknown) => void) | null = null

  constructor(
    private readonly source: AsyncIterator<unknown>,
    private readonly cohort: Cohort,
    private readonly sink: FrameSink,
    private readonly operationId: string,
    private readonly maxBufferedBytes: number,
  ) {}

  [Symbol.asyncIterator](): this {
    return this
  }

  next(): Promise<IteratorResult<never, undefined>> {
    if (this.ended) return Promise.resolve(DONE)
    const source = this.source
    if (!isListenable(source)) return this.pull()
    return new Promise((resolve, reject) => {
      this.resolveNext = resolve
      this.rejectNext = reject
      source.listen(this)
    })
  }

  async return(): Promise<IteratorReturnResult<undefined>> {
    await this.finish()
    return DONE
  }

  async throw(error?: unknown): Promise<IteratorReturnResult<undefined>> {
    await this.finish()
    throw error
  }

  /** StreamListener: the source's next event. */
  receive(event: unknown): void {
    if (this.ended) return
    const cached = this.cohort.payloadFor(event)
    if (this.waiting) {
      this.waiting.push(cached)
    } else if (cached.isSettled) {
      this.writeSettled(cached)
    } else {
      this.waiting = [cached]
      cached.notify(this)
    }
  }

  /** StreamListener: the source is over. */
  end(failure?: { error: unknown }): void {
    if (this.ended) return
    if (this.waiting) this.sourceEnd = failure ? { failure } : {}
    else void this.finish(failure)
  }

  /** The payload of the first waiting event has settled: writes every frame that is ready, in order. */
  payloadSettled(): void {
    const waiting = this.waiting
    while (waiting && !this.ended) {
      const cached = waiting[0]
      if (!cached.isSettled) {
        cached.notify(this)
        return
      }
      waiting.shift()
      if (waiting.length === 0) this.waiting = null
      this.writeSettled(cached)
      if (!this.waiting) break
    }
    if (!this.ended && this.sourceEnd) void this.finish(this.sourceEnd.failure)
  }

  private async pull(): Promise<IteratorResult<never, undefined>> {
    try {
      while (!this.ended) {
        const step = await this.source.next()
        if (step.done || this.ended) break
        const cached = this.cohort.payloadFor(step.value)
        // Rejects when the execution failed; once it resolves, cached.bytes is set.
        await cached.settled
        if (this.ended || !this.write(cached)) break
      }
    } catch (error) {
      await this.finish()
      throw error
    }
    await this.finish()
    return DONE
  }

  private writeSettled(cached: CachedPayload): void {
    if (cached.failure) void this.finish(cached.failure)
    else this.write(cached)
  }

  /** Writes a settled payload's frame; false (and the subscription finished) when the socket cannot take it. */
  private write(cached: CachedPayload): boolean {
    if (!this.sink.isOpen) {
      void this.finish()
      return false
    }
    if (this.sink.bufferedAmount > this.maxBufferedBytes) {
      this.sink.dropSlowConsumer()
      void this.finish()
      return false
    }
    this.sink.send(nextFrame(this.operationId, cached.bytes!))
    this.cohort.written(cached)
    return true
  }

  /** Ends the subscription once: leaves the cohort, ends the source and settles the pending next(). */
  private async finish(failure?: { error: unknown }): Promise<void> {
    if (this.ended) return
    this.ended = true
    this.waiting = null
    this.cohort.leave()
    const resolve = this.resolveNext
    const reject = this.rejectNext
    this.resolveNext = this.rejectNext = null
    let failed = failure
    try {
      await this.source.return?.()
    } catch (error) {
      failed ??= { error }
    }
    if (failed) reject?.(failed.error)
    else resolve?.(DONE)
  }
}

function isAsyncIterable<T>(value: T | AsyncIterable<unknown>): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value
}
