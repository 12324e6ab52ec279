import type { IncomingMessage, ServerResponse } from 'node:http'
import { getOperationAST, type DocumentNode } from 'graphql'
import { handleStreamOrSingleExecutionResult, maskError, type Plugin } from 'graphql-yoga'
import { noteOnScope, requestIdFrom, type LogScope, type Logger } from './logger.js'

/**
 * Gives the request its id (the caller's sane `x-request-id`, else a new one), echoes it in the
 * response's `x-request-id`, and logs one line when the response is done (or cut): method,
 * pathname (not the query: a GET's query string holds the variables), status and duration, with
 * what the handling learnt (operationName, uid). Probes log at debug, so polling stays quiet.
 */
export function beginHttpRequest(root: Logger, req: IncomingMessage, res: ServerResponse, options: { path: string; probe: boolean }): LogScope {
  const reqId = requestIdFrom(req.headers['x-request-id'])
  res.setHeader('x-request-id', reqId)
  const log = root.child({ reqId })
  const fields: Record<string, unknown> = {}
  const started = performance.now()
  res.once('close', () => {
    const level = options.probe ? 'debug' : 'info'
    if (!log.isLevelEnabled(level)) return
    const summary = {
      method: req.method,
      path: options.path.length > 200 ? `${options.path.slice(0, 199)}…` : options.path,
      status: res.statusCode,
      ms: Math.round((performance.now() - started) * 10) / 10,
      ...fields,
      ...(res.writableFinished ? {} : { aborted: true }),
    }
    log[level](summary, 'request completed')
  })
  return { log, fields }
}

/** Errors useRequestLog wrote with their request's ids: Yoga's own line about them is dropped (yogaLogger). */
const loggedWithTheirRequest = new WeakSet<Error>()

export function loggedWithItsRequest(error: Error): boolean {
  return loggedWithTheirRequest.has(error)
}

/**
 * Through the context's `logScope` (an HTTP request's or a WebSocket operation's): notes the
 * GraphQL operation (its type and name, as the document says) on the request's summary line,
 * and logs each error that Yoga will mask as "Unexpected error." with the request's ids.
 */
export function useRequestLog(): Plugin<{ logScope?: LogScope }> {
  const begin = (args: { document: DocumentNode; operationName?: string | null; contextValue: { logScope?: LogScope } }) => {
    const scope = args.contextValue.logScope
    if (!scope) return undefined
    const operation = getOperationAST(args.document, args.operationName)
    if (operation) noteOnScope(scope, { operation: operation.operation, operationName: operation.name?.value })
    return {
      onExecuteDone: (payload: Parameters<typeof handleStreamOrSingleExecutionResult>[0]) =>
        handleStreamOrSingleExecutionResult(payload, ({ result }) => {
          for (const error of result.errors ?? []) {
            if (loggedWithTheirRequest.has(error) || maskError(error, 'Unexpected error.', false) === error) continue
            loggedWithTheirRequest.add(error)
            scope.log.error({ err: error }, 'unexpected error (masked in the response)')
          }
        }),
    }
  }
  return {
    onExecute: ({ args }) => begin(args),
    onSubscribe: ({ args }) => {
      const hooks = begin(args)
      return hooks && { onSubscribeResult: hooks.onExecuteDone }
    },
  }
}
