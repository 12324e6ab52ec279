import { randomUUID } from 'node:crypto'
import { CloseCode, handleProtocols, makeServer, type ServerOptions } from 'graphql-ws'
import type { WebSocket, WebSocketServer } from 'ws'
import type { LogScope, Logger } from '../operations/logger.js'

/** What each graphql-ws callback gets as `ctx.extra`: the socket, and not the upgrade request. */
export interface SocketExtra {
  socket: WebSocket
  /** Names the connection in the log; an operation is `<connId>/<operation id>`. */
  connId: string
}

/**
 * The connection's logger, made when a line is written rather than kept per connection (a
 * crowd of idle sockets should not hold a logger each).
 */
export function connectionLog(log: Logger, extra: SocketExtra): Logger {
  return log.child({ connId: extra.connId })
}

/**
 * An operation's log scope: `reqId` is unique in the log like an HTTP request's. Its logger is
 * made on first use: a subscription that never logs (the usual case at `info`) costs no child logger.
 */
export function operationLogScope(log: Logger, extra: SocketExtra, operationId: string): LogScope {
  let child: Logger | undefined
  return {
    get log() {
      const opId = operationId.length > 64 ? `${operationId.slice(0, 63)}…` : operationId
      return (child ??= log.child({ connId: extra.connId, opId, reqId: `${extra.connId}/${opId}` }))
    },
  }
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
  log: Logger,
): GraphqlWsServer {
  const protocol = makeServer(options)
  webSockets.options.handleProtocols = handleProtocols
  const awaitingPong = new WeakSet<WebSocket>()
  const connIds = new WeakMap<WebSocket, string>()

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
    // ws's WS_ERR_* codes are the client breaking the protocol (a message over maxPayload, a bad
    // frame); ws has already closed the socket with the matching code (1009, 1002).
    const code = (error as { code?: unknown }).code
    if (typeof code === 'string' && code.startsWith('WS_ERR_')) {
      log.info({ connId: connIds.get(this), code, reason: error.message }, 'WebSocket closed: the client broke the protocol')
      return
    }
    log.error({ connId: connIds.get(this), err: error }, 'a WebSocket failed')
    this.close(CloseCode.InternalServerError, 'Internal server error')
  }

  webSockets.on('error', (error) => log.error({ err: error }, 'the WebSocket server failed'))
  webSockets.on('connection', (socket) => {
    socket.on('pong', onPong)
    socket.on('error', onSocketError)
    const extra: SocketExtra = { socket, connId: randomUUID() }
    connIds.set(socket, extra.connId)
    const openedAt = Date.now()
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
              connectionLog(log, extra).error({ err: error }, 'a graphql-ws message could not be handled')
              socket.close(CloseCode.InternalServerError, 'Internal server error')
            })
          }),
      },
      extra,
    )
    socket.once('close', (code, reason) => {
      // The reason is not logged: a client chooses it.
      if (log.isLevelEnabled('debug')) connectionLog(log, extra).debug({ code, ms: Date.now() - openedAt }, 'WebSocket closed')
      void closed(code, String(reason))
    })
  })

  return {
    dispose: async () => {
      clearInterval(sweep)
      for (const socket of webSockets.clients) socket.close(1001, 'Going away')
      await new Promise<void>((resolve, reject) => webSockets.close((error) => (error ? reject(error) : resolve())))
    },
  }
}
