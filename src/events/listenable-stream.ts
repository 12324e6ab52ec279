/** Takes a stream's values as they come, in order (ListenableStream.listen). */
export interface StreamListener<T> {
  receive(value: T): void
  /** No value will follow: the stream completed, or failed with `failure.error`. */
  end(failure?: { error: unknown }): void
}

/**
 * An async iterator that can also push its values. A consumer that mostly waits (a subscriber
 * between rare events) then holds no pending promise, async function or closure per layer of
 * iteration: with 10,000 idle subscriptions that chain was over a kilobyte each (issue 9).
 */
export interface ListenableStream<T> extends AsyncIterator<T> {
  /** Hands every value not yet taken to `listener`; next() is not called after this. return() still ends it. */
  listen(listener: StreamListener<T>): void
}

export function isListenable<T>(iterator: AsyncIterator<T>): iterator is ListenableStream<T> {
  return typeof (iterator as Partial<ListenableStream<T>>).listen === 'function'
}
