import WebSocket from 'ws'

/**
 * One graphql-transport-ws subscription spoken by hand over a `ws` socket that the test can
 * stop reading (pause) and resume: what a client on a stalled network looks like to the server.
 */
export interface RawSubscriber {
  /** The `next` payloads received, in order. */
  readonly results: Array<{ data?: Record<string, unknown>; errors?: unknown[] }>
  /** Stops reading from the socket: what the server sends stays in the network's buffers. */
  pause(): void
  resume(): void
  /** Resolves with the close code the server sent (or 1006 when the connection was cut). */
  readonly closed: Promise<number>
  close(): void
}

export async function rawSubscribe(
  wsUrl: string,
  token: string,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<RawSubscriber> {
  const socket = new WebSocket(wsUrl, 'graphql-transport-ws')
  const results: RawSubscriber['results'] = []
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)))
  const subscribed = new Promise<void>((resolve, reject) => {
    socket.once('error', reject)
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { type: string; payload?: unknown }
      if (message.type === 'connection_ack') {
        socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query, variables } }))
        resolve()
      } else if (message.type === 'next') {
        results.push(message.payload as RawSubscriber['results'][number])
      } else if (message.type === 'ping') {
        socket.send(JSON.stringify({ type: 'pong' }))
      }
    })
    socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })))
    void closed.then((code) => reject(new Error(`closed with ${code} before subscribing`)))
  })
  await subscribed
  return {
    results,
    closed,
    pause: () => socket.pause(),
    resume: () => socket.resume(),
    close: () => socket.terminate(),
  }
}
