import { CloseCode, handleProtocols, makeServer, type ServerOptions, type WebSocket as GraphqlWsSocket } from 'graphql-ws'
import type { RawData, WebSocket, WebSocketServer } from 'ws'
import type { LogScope, Logger } from '../operations/logger.js'

/** What each graphql-ws callback gets as `ctx.extra`: the socket, and not the upgrade request. */
export interface SocketExtra {
  readonly socket: WebSocket
  /** The connection's number in this process; its id in the log is connIdOf(). */
  readonly connNumber: number
  /**
   * Runs `hook` once when the socket closes, or now if it has (one listener per socket, whatever
   * the number of hooks). A hook that returns a promise has its failure logged, as `what` if
   * given ("could not record a closed connection").
   */
  onClose(hook: CloseHook, what?: string): void
}

// A connection's log id is this process start's and its number: unique across restarts of a
// container whose pid is always 1, and made only when a line is written (a UUID per socket
// was kept as a rope of some fifteen strings, 0.6 KB).
const connIdPrefix = Date.now().toString(36)
let connectionsOpened = 0

/** Names the connection in the log; an operation is `<connId>/<operation id>`. */
export function connIdOf(extra: SocketExtra): string {
  return `${connIdPrefix}-${extra.connNumber}`
}

/**
 * The connection's logger, made when a line is written rather than kept per connection (a
 * crowd of idle sockets should not hold a logger each).
 */
export function connectionLog(log: Logger, extra: SocketExtra): Logger {
  return log.child({ connId: connIdOf(extra) })
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
      const connId = connIdOf(extra)
      return (child ??= log.child({ connId, opId, reqId: `${connId}/${opId}` }))
    },
  }
}

// A connection that has not sent connection_init is closed between initWaitMs and this much later.
const initSweepMs = 250

/** The message as a JSON value when it is one; graphql-ws rejects anything else itself (4400). */
function parsedMessage(data: RawData): unknown {
  const text = String(data)
  try {
    const message: unknown = JSON.parse(text)
    return typeof message === 'object' && message !== null ? message : text
  } catch {
    return text
  }
}

export type CloseHook = () => void | Promise<unknown>

export interface GraphqlWsServer {
  /** Closes every socket with 1001 Going Away and stops accepting new ones. */
  dispose(): Promise<void>
}

/**
 * One socket, as graphql-ws's makeServer uses it (`send`, `close`, `onMessage`) and as its
 * callbacks see it (`ctx.extra`). Its methods are on the prototype and the socket's listeners
 * are shared by every socket: a connection holds no closures of its own.
 */
class Connection implements GraphqlWsSocket, SocketExtra {
  readonly protocol: string
  readonly connNumber = ++connectionsOpened
  readonly openedAt = Date.now()
  handleMessage: ((data: string) => Promise<void>) | null = null
  closed: ((code?: number, reason?: string) => Promise<void>) | null = null
  /** Hooks and what each does, in pairs; copied when one is added, so the array is no larger than they are. */
  private closeHooks: readonly (CloseHook | string | undefined)[] | null = null
  private hasClosed = false

  constructor(
    readonly socket: WebSocket,
    private readonly log: Logger,
  ) {
    this.protocol = socket.protocol
  }

  send(data: string): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(data)
  }

  close(code?: number, reason?: string): void {
    this.socket.close(code, reason)
  }

  onMessage(handle: (data: string) => Promise<void>): void {
    this.handleMessage = handle
  }

  onClose(hook: CloseHook, what?: string): void {
    if (this.hasClosed) this.runCloseHook(hook, what)
    else this.closeHooks = [...(this.closeHooks ?? []), hook, what]
  }

  runCloseHooks(): void {
    this.hasClosed = true
    const hooks = this.closeHooks ?? []
    this.closeHooks = null
    for (let i = 0; i < hooks.length; i += 2) this.runCloseHook(hooks[i] as CloseHook, hooks[i + 1] as string | undefined)
  }

  private runCloseHook(hook: CloseHook, what: string | undefined): void {
    hook()?.catch((error: unknown) => {
      connectionLog(this.log, this).error({ err: error }, what ?? "a closed connection's hook failed")
    })
  }
}

/**
 * graphql-ws's protocol (makeServer) over a `ws` server, holding less per connection than
 * graphql-ws/use/ws: it keeps no upgrade request, and one keep-alive sweep pings every socket
 * instead of a timer per socket. A socket that has not answered the previous sweep's ping is
 * cut, so a dead peer goes within two intervals, as with graphql-ws's own keep-alive. The wait
 * for `connection_init` is one sweep too (graphql-ws's timer per socket stays referenced for
 * the socket's life).
 */
export function serveGraphqlWs<P extends Record<string, unknown> | undefined>(
  options: ServerOptions<P, SocketExtra>,
  webSockets: WebSocketServer,
  keepAliveMs: number,
  log: Logger,
): GraphqlWsServer {
  const initWaitMs = options.connectionInitWaitTimeout ?? 3_000
  const awaitingInit = new Set<Connection>()
  const protocol = makeServer({
    ...options,
    connectionInitWaitTimeout: Infinity,
    onConnect: (ctx) => {
      awaitingInit.delete(ctx.extra as Connection)
      return options.onConnect?.(ctx)
    },
  })
  webSockets.options.handleProtocols = handleProtocols
  const awaitingPong = new WeakSet<WebSocket>()
  const connections = new WeakMap<WebSocket, Connection>()

  const initSweep = setInterval(() => {
    const now = Date.now()
    for (const connection of awaitingInit) {
      if (now - connection.openedAt < initWaitMs) continue
      awaitingInit.delete(connection)
      connection.close(CloseCode.ConnectionInitialisationTimeout, 'Connection initialisation timeout')
    }
  }, initSweepMs)
  initSweep.unref()

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

  // Shared by every socket (`this` is the socket).
  function onPong(this: WebSocket): void {
    awaitingPong.delete(this)
  }
  function onSocketMessage(this: WebSocket, data: RawData): void {
    const connection = connections.get(this)
    // graphql-ws parses what it is given unless it is parsed already, and keeps it for as long
    // as a subscription lives (its handler's argument): given the parsed message, which it
    // keeps anyway, it does not also keep the text (0.3 KB per subscription).
    connection?.handleMessage?.(parsedMessage(data) as string).catch((error: unknown) => {
      connectionLog(log, connection).error({ err: error }, 'a graphql-ws message could not be handled')
      this.close(CloseCode.InternalServerError, 'Internal server error')
    })
  }
  function onSocketClose(this: WebSocket, code: number, reason: Buffer): void {
    const connection = connections.get(this)
    if (!connection) return
    // The reason is not logged: a client chooses it.
    if (log.isLevelEnabled('debug')) connectionLog(log, connection).debug({ code, ms: Date.now() - connection.openedAt }, 'WebSocket closed')
    awaitingInit.delete(connection)
    void connection.closed?.(code, String(reason))
    connection.runCloseHooks()
  }
  function onSocketError(this: WebSocket, error: Error): void {
    const connection = connections.get(this)
    const connId = connection && connIdOf(connection)
    // ws's WS_ERR_* codes are the client breaking the protocol (a message over maxPayload, a bad
    // frame); ws has already closed the socket with the matching code (1009, 1002).
    const code = (error as { code?: unknown }).code
    if (typeof code === 'string' && code.startsWith('WS_ERR_')) {
      log.info({ connId, code, reason: error.message }, 'WebSocket closed: the client broke the protocol')
      return
    }
    log.error({ connId, err: error }, 'a WebSocket failed')
    this.close(CloseCode.InternalServerError, 'Internal server error')
  }

  webSockets.on('error', (error) => log.error({ err: error }, 'the WebSocket server failed'))
  webSockets.on('connection', (socket) => {
    const connection = new Connection(socket, log)
    connections.set(socket, connection)
    socket.on('pong', onPong)
    socket.on('error', onSocketError)
    socket.on('message', onSocketMessage)
    // on, not once: 'close' comes once anyway, and once() wraps each listener in a bound function and a state object.
    socket.on('close', onSocketClose)
    connection.closed = protocol.opened(connection, connection)
    if (socket.readyState === socket.OPEN) awaitingInit.add(connection)
  })

  return {
    dispose: async () => {
      clearInterval(sweep)
      clearInterval(initSweep)
      for (const socket of webSockets.clients) socket.close(1001, 'Going away')
      await new Promise<void>((resolve, reject) => webSockets.close((error) => (error ? reject(error) : resolve())))
    },
  }
}
