import { createHash, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AppMetrics } from './metrics.js'
import type { Logger } from './logger.js'

export const metricsPath = '/metrics'

/**
 * GET /metrics. With a token configured, only `Authorization: Bearer <token>` gets them; the
 * comparison takes the same time whatever the header holds (both sides are hashed first, so
 * not even the token's length shows).
 */
export function metricsEndpoint(metrics: AppMetrics, token: string | undefined, log: Logger) {
  const expected = token === undefined ? undefined : digest(token)
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('method not allowed')
      return
    }
    if (expected && !timingSafeEqual(digest(bearerToken(req.headers.authorization)), expected)) {
      res.writeHead(401, { 'WWW-Authenticate': 'Bearer realm="metrics"', 'Content-Type': 'text/plain; charset=utf-8' }).end('unauthorized')
      return
    }
    let body: string
    try {
      body = await metrics.scrape()
    } catch (error) {
      log.error({ err: error }, 'could not collect the metrics')
      res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end('could not collect the metrics')
      return
    }
    res.writeHead(200, { 'Content-Type': metrics.contentType }).end(req.method === 'HEAD' ? undefined : body)
  }
}

function bearerToken(header: string | undefined): string {
  return /^Bearer +(\S+) *$/i.exec(header ?? '')?.[1] ?? ''
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest()
}
