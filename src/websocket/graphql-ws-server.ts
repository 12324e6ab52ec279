import { CloseCode, handleProtocols, makeServer, type ServerOptions } from 'graphql-ws'
import type { WebSocket, WebSocketServer } from 'ws'

/** What each graphql-ws callback gets as `ctx.extra`: the socket, and not the upgrade request. */
export interface SocketExtra {
  socket: WebSocket
}

export interface GraphqlWsServer {
  /** Closes every socket with 1001 Going Away and stops accepting new ones. */
  dispose(): Promise<void>
}

/**
 * graphql-ws's protocol (makeServer) over a `ws` server, holding less per connection than
 * graphql-ws/use/ws: it keeps no upgrade request, and one keep-alive sweep pings every socket
 * instead of a timer per socket. A socket that has not answered the previous sweep's ping is
 * cut, so a dead peer goes within two intervals, as with graphql-ws's own keep-alive.
 */
export function serveGraphqlWs<P extends Record<string, unknown> | undefined>(
  options: ServerOptions<P, SocketExtra>,
  webSockets: WebSocketServer,
  keepAliveMs: number,
  logError: (message: string, error: unknown) => void,
): GraphqlWsServer {
  const protocol = makeServer(options)
  webSockets.options.handleProtocols = handleProtocols
  const awaitingPong = new WeakSet<WebSocket>()

  const sweep = setInterval(() => {
    for (const socket of webSockets.clients) {
      if (socket.readyState !== socket.OPEN) continue
      if (awaitingPong.has(socket)) {
        socket.terminate()
        continue
      }
      awaitingPong.add(socket)
      socket.ping()
    }
  }, keepAliveMs)
  sweep.unref()

  // Shared by every socket (`this` is the socket), so a connection costs no closures for them.
  function onPong(this: WebSocket): void {
    awaitingPong.delete(this)
  }
  function onSocketError(this: WebSocket, error: Error): void {
    logError('a WebSocket failed', error)
    this.close(CloseCode.InternalServerError, 'Internal server error')
  }

  webSockets.on('error', (error) => logError('the WebSocket server failed', error))
  webSockets.on('connection', (socket) => {
    socket.on('pong', onPong)
    socket.on('error', onSocketError)
    const closed = protocol.opened(
      {
        protocol: socket.protocol,
        send: (data) => {
          if (socket.readyState === socket.OPEN) socket.send(data)
        },
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on('message', (data) => {
            handle(String(data)).catch((error: unknown) => {
              logError('a graphql-ws message could not be handled', error)
              socket.close(CloseCode.InternalServerError, 'Internal server error')
            })
          }),
      },
      { socket },
    )
    socket.once('close', (code, reason) => void closed(code, String(reason)))
  })

  return {
    dispose: async () => {
      clearInterval(sweep)
      for (const socket of webSockets.clients) socket.close(1001, 'Going away')
      await new Promise<void>((resolve, reject) => webSockets.close((error) => (error ? reject(error) : resolve())))
    },
  }
}
