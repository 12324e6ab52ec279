import { describe, expect, test } from 'vitest'
import { GraphQLInt, GraphQLObjectType, GraphQLSchema, parse, type GraphQLError } from 'graphql'
import type { ListenableStream, StreamListener } from '../../src/events/listenable-stream.js'
import { SharedSubscriptions, type FrameSink } from '../../src/websocket/shared-subscriptions.js'

// Delivery to a subscriber whose source pushes its events (the member-left feed does): frames in
// the source's order whatever order the shared executions finish in, the end after the last
// frame, and a slow socket dropped, without the source ever being pulled.

interface Tick {
  id: number
  /** How long the `value` field's resolver takes for this event. */
  delayMs: number
}

class PushedTicks implements ListenableStream<Tick> {
  listener: StreamListener<Tick> | null = null
  pulls = 0
  returned = false

  listen(listener: StreamListener<Tick>): void {
    this.listener = listener
  }

  next(): Promise<IteratorResult<Tick>> {
    this.pulls++
    return new Promise(() => undefined)
  }

  return(): Promise<IteratorReturnResult<undefined>> {
    this.returned = true
    return Promise.resolve({ value: undefined, done: true })
  }

  [Symbol.asyncIterator](): this {
    return this
  }
}

class RecordedSink implements FrameSink {
  frames: unknown[] = []
  bufferedAmount = 0
  dropped = false
  get isOpen(): boolean {
    return !this.dropped
  }
  send(frame: Buffer): void {
    this.frames.push(JSON.parse(frame.toString()))
  }
  dropSlowConsumer(): void {
    this.dropped = true
  }
}

function setup() {
  const streams: PushedTicks[] = []
  const tick = new GraphQLObjectType<Tick>({
    name: 'Tick',
    fields: {
      id: { type: GraphQLInt },
      value: {
        type: GraphQLInt,
        resolve: async ({ id, delayMs }) => {
          await new Promise((resolve) => setTimeout(resolve, delayMs))
          return id * 10
        },
      },
    },
  })
  const schema = new GraphQLSchema({
    query: new GraphQLObjectType({ name: 'Query', fields: { ok: { type: GraphQLInt } } }),
    subscription: new GraphQLObjectType({
      name: 'Subscription',
      fields: {
        ticks: {
          type: tick,
          subscribe: () => {
            const stream = new PushedTicks()
            streams.push(stream)
            return stream
          },
          resolve: (event: Tick) => event,
        },
      },
    }),
  })
  const shared = new SharedSubscriptions({ maxBufferedBytes: 1000, maskError: (error: GraphQLError) => error })
  const query = 'subscription { ticks { id value } }'
  async function subscriber(operationId: string) {
    const sink = new RecordedSink()
    const delivery = await shared.subscribe({ schema, document: parse(query), query, operationId, sink, viewer: null })
    if (!(Symbol.asyncIterator in delivery)) throw new Error(`refused: ${JSON.stringify(delivery)}`)
    // graphql-ws's for-await: one next() that settles when the subscription is over.
    const over = delivery.next()
    const stream = streams.at(-1)!
    return { sink, delivery, over, stream, push: (event: Tick) => stream.listener!.receive(event) }
  }
  return { shared, subscriber }
}

const values = (sink: RecordedSink) => sink.frames.map((frame) => (frame as { payload: { data: { ticks: { value: number } } } }).payload.data.ticks.value)

describe('shared delivery from a source that pushes', () => {
  test('frames go out in the order the source gave, though later executions finish first, and the end comes after the last one', async () => {
    const { shared, subscriber } = setup()
    const a = await subscriber('a')
    const b = await subscriber('b "ü"')
    expect(shared.counts).toEqual({ subscriptions: 2, cohorts: 1 })
    for (const [id, delayMs] of [[1, 40], [2, 0], [3, 20]]) {
      a.push({ id, delayMs })
      b.push({ id, delayMs })
    }
    a.stream.listener!.end()
    expect(await a.over).toEqual({ value: undefined, done: true })
    expect(values(a.sink)).toEqual([10, 20, 30])
    expect(a.sink.frames[0]).toMatchObject({ id: 'a', type: 'next' })
    b.push({ id: 4, delayMs: 0 })
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(values(b.sink)).toEqual([10, 20, 30, 40])
    expect(b.sink.frames[3]).toMatchObject({ id: 'b "ü"', type: 'next' })
    expect(shared.counts).toEqual({ subscriptions: 1, cohorts: 1 })
    await b.delivery.return(undefined)
    expect(await b.over).toEqual({ value: undefined, done: true })
    expect(b.stream.returned).toBe(true)
    expect(shared.counts).toEqual({ subscriptions: 0, cohorts: 0 })
    expect(a.stream.pulls + b.stream.pulls).toBe(0)
  })

  test('a source that fails ends the subscription with its error, after the frames before it', async () => {
    const { subscriber } = setup()
    const a = await subscriber('a')
    a.push({ id: 1, delayMs: 10 })
    a.stream.listener!.end({ error: new Error('replay read failed') })
    await expect(a.over).rejects.toThrow('replay read failed')
    expect(values(a.sink)).toEqual([10])
  })

  test('a subscriber whose socket holds too much is dropped, and its source ended', async () => {
    const { shared, subscriber } = setup()
    const a = await subscriber('a')
    a.push({ id: 1, delayMs: 0 })
    await new Promise((resolve) => setTimeout(resolve, 10))
    a.sink.bufferedAmount = 5000
    a.push({ id: 2, delayMs: 0 })
    expect(await a.over).toEqual({ value: undefined, done: true })
    expect(a.sink.dropped).toBe(true)
    expect(values(a.sink)).toEqual([10])
    expect(a.stream.returned).toBe(true)
    expect(shared.counts.subscriptions).toBe(0)
  })
})
