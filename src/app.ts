import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { getOperationAST, GraphQLError, type DocumentNode, type ExecutionArgs } from 'graphql'
import { createYoga, maskError, type YogaServerInstance } from 'graphql-yoga'
import { WebSocketServer, type WebSocket } from 'ws'
import type { Config } from './config.js'
import type { AppDeps, GraphQLContext } from './context.js'
import { bearerClaims, isUnauthenticated, resolveViewer } from './auth/viewer.js'
import { TokenVerifier } from './auth/token-verifier.js'
import { schema } from './schema/index.js'
import { OfflineKickoutSweeper } from './jobs/offline-kickout-sweeper.js'
import { SharedSubscriptions, type SharedSubscriptionArgs, type SharedSubscriptionCounts } from './websocket/shared-subscriptions.js'
import { defaultMaxBufferedBytes, sinkOf } from './websocket/socket-sink.js'
import { connectionLog, operationLogScope, serveGraphqlWs } from './websocket/graphql-ws-server.js'
import { TOO_MANY_CONNECTIONS_CLOSE_CODE, tooManyOperations } from './websocket/web-socket-limits.js'
import { offlineGraphiQL } from './graphiql/offline-graphiql.js'
import { dashboardRoutes } from './dashboard/serve-dashboard.js'
import { readinessCheck } from './operations/readiness.js'
import { noteOnScope, yogaLogger, type LogScope, type Logger } from './operations/logger.js'
import { beginHttpRequest, loggedWithItsRequest, useRequestLog } from './operations/http-log.js'
import { metricsEndpoint, metricsPath } from './operations/metrics-endpoint.js'
import { hiddenSchemaPlugins } from './limits/hidden-schema.js'
import { documentLimitPlugins, shortDocumentCache } from './limits/document-limits.js'

export interface App {
  /** The GraphQL endpoint, `http://HOST:PORT/graphql` (GraphiQL from a browser); known after start(). */
  readonly url: string
  /** The graphql-ws endpoint, `ws://HOST:PORT/graphql`; known after start(). */
  readonly wsUrl: string
  /** What the WebSockets hold now: connections, bytes not yet written, subscriptions and their cohorts. */
  liveCounts(): LiveCounts
  start(): Promise<void>
  /**
   * Refuses new connections, closes WebSockets with 1001, lets in-flight HTTP requests finish
   * and releases the webhook claims still held, cutting what is left at the drain deadline
   * (derived from config.shutdownTimeoutMs, see drainMsFor).
   */
  stop(): Promise<void>
}

export interface LiveCounts extends SharedSubscriptionCounts {
  connections: number
  bufferedBytes: number
}

export interface BuildAppOptions {
  config: Pick<Config, 'port' | 'host' | 'production' | 'introspection' | 'documentLimits' | 'metricsToken' | 'shutdownTimeoutMs' | 'webSocketLimits' | 'identityProvider'>
  deps: AppDeps
  authSecret: string
  /** Shorter timers for tests; offlineSweepMs 0 turns the realtime kick-out sweeper off. */
  timings?: { webSocketKeepAliveMs?: number; offlineSweepMs?: number }
  /** Bytes a WebSocket may have waiting to be written before it is closed as a slow consumer. */
  maxBufferedBytes?: number
}

const graphqlPath = '/graphql'
// A dead peer must be noticed within 30 s: graphql-ws pings every interval and terminates a
// socket whose pong has not come back by the next one, so at most two intervals (24 s).
export const webSocketKeepAliveMs = 12_000

/**
 * How long stop() lets open work finish before it cuts it (a stuck request, a client that never
 * answers the WebSocket close handshake, a receiver that does not answer a webhook): the
 * shutdown timeout less what closing the rest (presence, the database) may take.
 */
export function drainMsFor(shutdownTimeoutMs: number): number {
  return shutdownTimeoutMs - Math.min(2_000, Math.round(shutdownTimeoutMs / 4))
}

/**
 * What each transport hands Yoga's context function. HTTP: Yoga's `request`. graphql-ws: the
 * `connection_init` authorization, read again for every operation so a deactivation applies at once.
 */
interface TransportContext {
  transport?: 'ws'
  wsAuthorization?: string
  /** The HTTP request's or WebSocket operation's: what is logged about it carries its ids. */
  logScope?: LogScope
}

/**
 * ExecutionArgs that carry Yoga's enveloped execute, so graphql-ws runs Yoga's plugins; for
 * subscriptions, what SharedSubscriptions needs as well.
 */
interface EnvelopedExecutionArgs extends SharedSubscriptionArgs {
  envelopedExecute: Enveloped['execute']
}
type Enveloped = ReturnType<YogaServerInstance<TransportContext, GraphQLContext>['getEnveloped']>

export async function buildApp({ config, deps, authSecret, timings = {}, maxBufferedBytes }: BuildAppOptions): Promise<App> {
  const log = deps.logger
  const offlineSweeper = new OfflineKickoutSweeper(deps, {
    intervalMs: timings.offlineSweepMs,
    publish: (events) => deps.announceExits(events),
    log,
  })
  const tokens = new TokenVerifier(authSecret, { identityProvider: config.identityProvider })

  const yoga = createYoga<TransportContext, GraphQLContext>({
    schema,
    graphqlEndpoint: graphqlPath,
    landingPage: false,
    context: async (initial) => {
      if (initial.transport === 'ws') return { viewer: await resolveViewer(deps.connectLookups, tokens, initial.wsAuthorization), deps }
      const authorization = initial.request.headers.get('authorization') ?? undefined
      const viewer = await resolveViewer(deps.users, tokens, authorization)
      if (viewer) noteOnScope(initial.logScope, { uid: viewer.uid ?? undefined, admin: viewer.isAppAdmin || undefined })
      return { viewer, deps }
    },
    logging: yogaLogger(log, loggedWithItsRequest),
    plugins: [useRequestLog(), ...documentLimitPlugins(config.documentLimits), ...(config.introspection ? [] : hiddenSchemaPlugins())],
    parserAndValidationCache: { documentCache: shortDocumentCache(), errorCache: shortDocumentCache() },
    // Yoga masks unexpected errors ("Unexpected error.") and logs them; isDev would put their
    // message and stack into responses whenever NODE_ENV=development.
    maskedErrors: { isDev: false },
    // The page's own fetcher (src/graphiql/offline-graphiql.ts) is what sends subscriptions over graphql-ws;
    // subscriptionsProtocol says the same to Yoga's built-in one.
    // GraphiQL cannot work without introspection: no page rather than a broken one.
    graphiql: config.introspection && {
      title: 'Departures',
      subscriptionsProtocol: 'WS',
      defaultQuery: '# Paste a token into Headers: { "Authorization": "Bearer <token>" }\n# (npm run token -- <uid> [--admin])\n\n{\n  me {\n    uid\n    name\n  }\n}\n',
    },
    renderGraphiQL: offlineGraphiQL(graphqlPath),
  })

  const sharedSubscriptions = new SharedSubscriptions({
    maxBufferedBytes: maxBufferedBytes ?? defaultMaxBufferedBytes,
    maskError: (error) => {
      const masked = maskError(error, 'Unexpected error.', false) as GraphQLError
      // A cohort's execution serves many operations: the line names none of them.
      if (masked !== error) log.error({ err: error }, 'unexpected error in a subscription (masked in the response)')
      return masked
    },
    onFrameWritten: (event) => {
      // Live events only: a replayed one's age is how long its subscriber was away.
      if (deps.memberLeft.isLive(event)) deps.metrics.observeDelivery((event as { occurredAt: Date }).occurredAt)
    },
  })
  const serveMetrics = metricsEndpoint(deps.metrics, config.metricsToken, log)
  // Static bytes, bundled once: not counted against the flood limit, like /healthz.
  const serveDashboard = dashboardRoutes(graphqlPath, log)

  let address: AddressInfo | undefined
  let stopping = false
  let stopped: Promise<void> | undefined

  const server = createServer((req, res) => {
    // server.close() closes only the connections idle at that moment; one that finishes its
    // response later would stay open for the keep-alive timeout and hold stop() up.
    res.once('finish', () => {
      if (stopping) setImmediate(() => server.closeIdleConnections())
    })
    const path = pathnameOf(req)
    const scope = beginHttpRequest(log, req, res, { path, probe: probePaths.has(path) })
    if (path === healthPath && (req.method === 'GET' || req.method === 'HEAD')) {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' }).end(req.method === 'HEAD' ? undefined : 'ok')
      return
    }
    if (path === metricsPath) {
      void serveMetrics(req, res)
      return
    }
    if (serveDashboard(req, res, path)) return
    if (path === readinessPath && (req.method === 'GET' || req.method === 'HEAD')) {
      void answerReadiness(req, res)
      return
    }
    void refusedAsFlood(req, res).then(async (refused) => {
      if (!refused) await yoga(req, res, { logScope: scope })
    })
  })

  /**
   * Counts the request against its sender's minute (the token's subject, else the client
   * address) and answers 429 beyond it, from the headers alone: the body is never read.
   */
  async function refusedAsFlood(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    let refusal
    try {
      const sender = await bearerClaims(tokens, req.headers.authorization)
      refusal = await deps.requestFloods.admit(sender, req.socket.remoteAddress ?? 'unknown')
    } catch (error) {
      // A Redis failure is already absorbed by the limiter; anything else must not take the API down.
      yoga.logger.error('could not count a request against the flood limit', error)
      return false
    }
    if (!refusal) return false
    const { retryAfterSeconds } = refusal
    const body = { errors: [{ message: `too many requests: try again in ${retryAfterSeconds} s`, extensions: { code: 'ERR_RATE_LIMITED', retryAfterSeconds } }] }
    res.writeHead(429, { 'Content-Type': 'application/json; charset=utf-8', 'Retry-After': String(retryAfterSeconds) }).end(JSON.stringify(body))
    return true
  }

  // A message over maxPayload closes the socket with 1009 before it is parsed.
  const webSockets = new WebSocketServer({ server, path: graphqlPath, maxPayload: config.webSocketLimits.maxMessageBytes })
  const graphqlWs = serveGraphqlWs<Record<string, unknown> | undefined>(
    {
      execute: (args) => (args as EnvelopedExecutionArgs).envelopedExecute(args),
      subscribe: (args) => sharedSubscriptions.subscribe(args as EnvelopedExecutionArgs),
      onConnect: async (ctx) => {
        // Returning false closes the socket with 4403 Forbidden, as the contract asks for a bad token.
        try {
          const viewer = await resolveViewer(deps.connectLookups, tokens, authorizationParam(ctx.connectionParams))
          // Connections and operations are logged at debug: at info, a reconnect storm of 10,000
          // clients would write 30,000 lines synchronously to stdout (issue 9's connect figures).
          if (log.isLevelEnabled('debug')) {
            connectionLog(log, ctx.extra).debug({ uid: viewer?.uid ?? undefined, admin: viewer?.isAppAdmin || undefined }, 'WebSocket connection accepted')
          }
          if (viewer?.uid) {
            const socket = ctx.extra.socket
            // Checked and counted in the same turn, so racing connects cannot both pass.
            if (deps.liveSessions.count(viewer.uid) >= config.webSocketLimits.connectionsPerUser) {
              connectionLog(log, ctx.extra).info({ uid: viewer.uid }, `WebSocket connection refused: too many connections (${TOO_MANY_CONNECTIONS_CLOSE_CODE})`)
              socket.close(TOO_MANY_CONNECTIONS_CLOSE_CODE, 'Too many connections for this user')
              return false
            }
            ctx.extra.onClose(deps.liveSessions.add(viewer.uid, socket))
            const goneOffline = await deps.presence.connect(viewer.uid)
            if (socket.readyState === socket.OPEN) ctx.extra.onClose(goneOffline, 'could not record a closed connection')
            else await goneOffline()
          }
          return true
        } catch (error) {
          if (isUnauthenticated(error)) {
            connectionLog(log, ctx.extra).info('WebSocket connection refused: bad token (4403)')
            return false
          }
          throw error
        }
      },
      onSubscribe: async (ctx, id, payload) => {
        const overLimit = tooManyOperations(ctx.subscriptions, config.webSocketLimits.subscriptionsPerConnection)
        if (overLimit) return [overLimit]
        const initialContext = {
          socket: ctx.extra.socket,
          params: payload,
          transport: 'ws' as const,
          wsAuthorization: authorizationParam(ctx.connectionParams),
          logScope: operationLogScope(log, ctx.extra, id),
        }
        const enveloped = yoga.getEnveloped(initialContext)
        const { logScope } = initialContext
        const refused = (errors: readonly GraphQLError[]) => {
          logScope.log.info({ errors: errors.length }, 'WebSocket operation refused')
          return errors
        }
        let document: DocumentNode
        try {
          document = enveloped.parse(payload.query)
        } catch (error) {
          if (error instanceof GraphQLError) return refused([error])
          throw error
        }
        const validationErrors = enveloped.validate(enveloped.schema, document)
        if (validationErrors.length > 0) return refused(validationErrors)
        let contextValue: GraphQLContext
        try {
          contextValue = (await enveloped.contextFactory()) as GraphQLContext
        } catch (error) {
          if (isUnauthenticated(error)) return refused([new GraphQLError(error.message, { extensions: { code: 'UNAUTHENTICATED' } })])
          logScope.log.error({ err: error }, 'could not build the context of a WebSocket operation')
          return [maskError(error, 'Unexpected error.', false) as GraphQLError]
        }
        const viewer = contextValue.viewer
        const operation = getOperationAST(document, payload.operationName)
        if (log.isLevelEnabled('debug')) {
          logScope.log.debug(
            { operation: operation?.operation, operationName: operation?.name?.value, uid: viewer?.uid ?? undefined, admin: viewer?.isAppAdmin || undefined },
            'WebSocket operation started',
          )
        }
        const args: EnvelopedExecutionArgs = {
          schema: enveloped.schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue,
          envelopedExecute: enveloped.execute,
          query: payload.query,
          operationId: id,
          sink: sinkOf(ctx.extra.socket),
          viewer: contextValue.viewer,
          payload,
        }
        return args
      },
      onComplete: (ctx, id) => {
        if (log.isLevelEnabled('debug')) operationLogScope(log, ctx.extra, id).log.debug('WebSocket operation completed')
      },
    },
    webSockets,
    timings.webSocketKeepAliveMs ?? webSocketKeepAliveMs,
    log,
  )
  deps.metrics.readLiveCountsFrom(liveCounts)

  const readiness = readinessCheck({ prisma: deps.prisma, redis: deps.redis })
  async function answerReadiness(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const report = await readiness()
    const body = report.ready
      ? { status: 'ready', checks: report.checks }
      : { status: 'not ready', failing: Object.fromEntries(Object.entries(report.checks).filter(([, result]) => result !== 'ok')), checks: report.checks }
    res
      .writeHead(report.ready ? 200 : 503, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' })
      .end(req.method === 'HEAD' ? undefined : JSON.stringify(body))
  }

  function liveCounts(): LiveCounts {
    let bufferedBytes = 0
    for (const socket of webSockets.clients) bufferedBytes += socket.bufferedAmount
    return { connections: webSockets.clients.size, bufferedBytes, ...sharedSubscriptions.counts }
  }

  function urlFor(protocol: 'http' | 'ws'): string {
    if (!address) throw new Error('the server has not started')
    const host = config.host.includes(':') ? `[${config.host}]` : config.host
    return `${protocol}://${host}:${address.port}${graphqlPath}`
  }

  async function stopServing(): Promise<void> {
    stopping = true
    const deadline = Date.now() + drainMsFor(config.shutdownTimeoutMs)
    const httpClosed = server.listening
      ? new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())))
      : Promise.resolve()
    server.closeIdleConnections()
    // Stops claiming now; sends still unanswered at the deadline are cut and given back.
    const dispatcherStopped = deps.webhookDispatcher.stop({ deadline })
    // Closes every socket with 1001 Going Away; graphql-ws then completes their operations.
    await withDeadline(Promise.resolve(graphqlWs.dispose()), deadline, () => {
      log.warn({ sockets: webSockets.clients.size }, 'stopping: cutting the WebSockets that did not close in time')
      terminateAll(webSockets.clients)
    })
    await withDeadline(httpClosed, deadline, () => {
      log.warn('stopping: cutting the HTTP requests still in flight')
      server.closeAllConnections()
    })
    await dispatcherStopped
    await offlineSweeper.stop()
    await deps.presence.stop()
    await yoga.dispose()
    await deps.memberLeft.close()
    await deps.closeCrossInstance()
  }

  return {
    get url() {
      return urlFor('http')
    },
    get wsUrl() {
      return urlFor('ws')
    },
    liveCounts,
    start: async () => {
      await deps.presence.start()
      if (timings.offlineSweepMs !== 0) offlineSweeper.start()
      deps.webhookDispatcher.start()
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(config.port, config.host, () => {
          server.off('error', reject)
          address = server.address() as AddressInfo
          resolve()
        })
      })
    },
    stop: () => (stopped ??= stopServing()),
  }
}

const healthPath = '/healthz'
/** Polled by load balancers and Prometheus: their request lines are logged at debug. */
const readinessPath = '/readyz'
const probePaths = new Set([healthPath, readinessPath, metricsPath])

function pathnameOf(req: IncomingMessage): string {
  try {
    return new URL(req.url ?? '/', 'http://localhost').pathname
  } catch {
    return '(unparsable)'
  }
}

/** `connection_init`'s `authorization` (or `Authorization`); a non-string is kept so that it fails as a bad token. */
function authorizationParam(params: Record<string, unknown> | undefined): string | undefined {
  const value = params?.authorization ?? params?.Authorization
  if (value === undefined || value === null) return undefined
  return typeof value === 'string' ? value : JSON.stringify(value)
}

function terminateAll(sockets: Set<WebSocket>): void {
  for (const socket of sockets) socket.terminate()
}

/** Waits for `work`; at `deadline` (epoch ms) calls onDeadline, which must make it end. */
async function withDeadline(work: Promise<unknown>, deadline: number, onDeadline: () => void): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), Math.max(0, deadline - Date.now()))
    timer.unref()
  })
  try {
    if ((await Promise.race([work.then(() => 'done' as const), late])) === 'late') {
      onDeadline()
      await work
    }
  } finally {
    clearTimeout(timer)
  }
}
