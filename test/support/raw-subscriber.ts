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
  /** Cuts the connection at once. */
  close(): void
  /** Closes it with 1000 and resolves once the server answered. */
  leave(): Promise<number>
}

/** A socket open and not yet initialised; its steps can be taken for a whole crowd at once. */
export interface RawConnection {
  /** Sends connection_init; resolves on connection_ack. */
  init(token: string): Promise<void>
  /** Sends subscribe (operation id 1). */
  subscribe(query: string, variables: Record<string, unknown>): RawSubscriber
}

export async function rawConnect(wsUrl: string): Promise<RawConnection> {
  const socket = new WebSocket(wsUrl, 'graphql-transport-ws')
  const results: RawSubscriber['results'] = []
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)))
  let acknowledged: () => void = () => {}
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as { type: string; payload?: unknown }
    if (message.type === 'connection_ack') acknowledged()
    else if (message.type === 'next') results.push(message.payload as RawSubscriber['results'][number])
    else if (message.type === 'ping') socket.send(JSON.stringify({ type: 'pong' }))
  })
  await new Promise<void>((resolve, reject) => {
    socket.once('open', resolve)
    socket.once('error', reject)
  })
  const refused = closed.then((code) => Promise.reject(new Error(`closed with ${code} before subscribing`)))
  refused.catch(() => undefined)
  return {
    init: (token) => {
      const ack = new Promise<void>((resolve) => (acknowledged = resolve))
      socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }))
      return Promise.race([ack, refused])
    },
    subscribe: (query, variables) => {
      socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query, variables } }))
      return {
        results,
        closed,
        pause: () => socket.pause(),
        resume: () => socket.resume(),
        close: () => socket.terminate(),
        leave: () => {
          socket.close(1000)
          return closed
        },
      }
    },
  }
}

export async function rawSubscribe(
  wsUrl: string,
  token: string,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<RawSubscriber> {
  const connection = await rawConnect(wsUrl)
  await connection.init(token)
  return connection.subscribe(query, variables)
}

/** The ids of the memberLeft events a subscriber received, in order. */
export function memberLeftIds(subscriber: Pick<RawSubscriber, 'results'>): string[] {
  return subscriber.results.map((result) => (result.data as { memberLeft: { id: string } }).memberLeft.id)
}
