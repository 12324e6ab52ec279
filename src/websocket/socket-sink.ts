import type { WebSocket } from 'ws'
import type { FrameSink } from './shared-subscriptions.js'

/** Closes the connection of a subscriber that stopped reading; it resumes with `after`. */
export const SLOW_CONSUMER_CLOSE_CODE = 4413
// About 200 exits of 300 bytes behind, on top of what the kernel's socket buffers already hold.
export const defaultMaxBufferedBytes = 64 * 1024
// The close frame waits behind what the peer has not read; a peer that never reads again is
// cut off after this, so its buffers are freed (ws itself would wait 30 s).
const slowConsumerCloseGraceMs = 5_000

const sinks = new WeakMap<WebSocket, FrameSink>()

/** The socket as SharedSubscriptions writes to it; one per socket, shared by its subscriptions. */
export function sinkOf(socket: WebSocket): FrameSink {
  let sink = sinks.get(socket)
  if (!sink) {
    sink = new WebSocketSink(socket)
    sinks.set(socket, sink)
  }
  return sink
}

class WebSocketSink implements FrameSink {
  constructor(private readonly socket: WebSocket) {}

  get isOpen(): boolean {
    return this.socket.readyState === this.socket.OPEN
  }

  get bufferedAmount(): number {
    return this.socket.bufferedAmount
  }

  send(frame: Buffer): void {
    // A text frame: graphql-ws clients parse text frames only.
    this.socket.send(frame, { binary: false })
  }

  dropSlowConsumer(): void {
    const socket = this.socket
    socket.close(SLOW_CONSUMER_CLOSE_CODE, 'Slow consumer: reconnect and resume with after')
    setTimeout(() => socket.terminate(), slowConsumerCloseGraceMs).unref()
  }
}
