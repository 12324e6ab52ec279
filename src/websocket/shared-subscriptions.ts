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
const FRAME_END = Buffer.from('}')

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
    private readonly execution: ExecutionArgs,
    private readonly mask: (result: ExecutionResult) => ExecutionResult,
    private readonly cacheSize: number,
    private readonly onEmpty: () => void,
    private readonly onFrameWritten: ((event: unknown) => void) | undefined,
  ) {}

  /** The serialized result for one event: executed once for every member it is delivered to. */
  payloadFor(event: unknown): Promise<Buffer> {
    return this.cached(event).payload
  }

  /** A member wrote the event's frame to its socket. */
  written(event: unknown): void {
    if (!this.onFrameWritten) return
    const cached = this.payloads.get(eventKey(event))
    if (!cached || cached.written) return
    cached.written = true
    this.onFrameWritten(event)
  }

  private cached(event: unknown): CachedPayload {
    const key = eventKey(event)
    let cached = this.payloads.get(key)
    if (!cached) {
      cached = { payload: this.execute(event), written: false }
      this.payloads.set(key, cached)
      if (this.payloads.size > this.cacheSize) this.payloads.delete(this.payloads.keys().next().value)
    }
    return cached
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

interface CachedPayload {
  payload: Promise<Buffer>
  /** Whether a member has written it to its socket yet. */
  written: boolean
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
 * event's shared payload is written to the socket directly, behind this operation's id. It ends
 * when the source ends (graphql-ws then sends `complete`), when graphql-ws returns it (the
 * client completed or went away), or when the subscriber is dropped for not reading.
 */
class SharedDelivery implements AsyncGenerator<never, undefined> {
  private ended = false
  private readonly framePrefix: Buffer

  constructor(
    private readonly source: AsyncIterator<unknown>,
    private readonly cohort: Cohort,
    private readonly sink: FrameSink,
    operationId: string,
    private readonly maxBufferedBytes: number,
  ) {
    this.framePrefix = Buffer.from(`{"id":${JSON.stringify(operationId)},"type":"next","payload":`)
  }

  [Symbol.asyncIterator](): this {
    return this
  }

  async next(): Promise<IteratorResult<never, undefined>> {
    try {
      while (!this.ended) {
        const step = await this.source.next()
        if (step.done || this.ended) break
        const payload = await this.cohort.payloadFor(step.value)
        if (this.ended || !this.sink.isOpen) break
        if (this.sink.bufferedAmount > this.maxBufferedBytes) {
          this.sink.dropSlowConsumer()
          break
        }
        this.sink.send(Buffer.concat([this.framePrefix, payload, FRAME_END]))
        this.cohort.written(step.value)
      }
    } catch (error) {
      await this.finish()
      throw error
    }
    await this.finish()
    return DONE
  }

  async return(): Promise<IteratorReturnResult<undefined>> {
    await this.finish()
    return DONE
  }

  async throw(error?: unknown): Promise<IteratorReturnResult<undefined>> {
    await this.finish()
    throw error
  }

  private async finish(): Promise<void> {
    if (this.ended) return
    this.ended = true
    this.cohort.leave()
    await this.source.return?.()
  }
}

function isAsyncIterable<T>(value: T | AsyncIterable<unknown>): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value
}
