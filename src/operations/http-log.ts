import type { IncomingMessage, ServerResponse } from 'node:http'
import { getOperationAST, type DocumentNode } from 'graphql'
import type { Plugin } from 'graphql-yoga'
import { noteOnRequest, requestIdFrom, type LogScope, type Logger } from './logger.js'

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

/** Notes the GraphQL operation (its type and name, as the document says) on its request's log line. */
export function useOperationOnRequestLog(): Plugin {
  const note = (args: { document: DocumentNode; operationName?: string | null }) => {
    const operation = getOperationAST(args.document, args.operationName)
    if (operation) noteOnRequest({ operation: operation.operation, operationName: operation.name?.value })
  }
  return {
    onExecute: ({ args }) => note(args),
    onSubscribe: ({ args }) => note(args),
  }
}
