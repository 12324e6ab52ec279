import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { isIP } from 'node:net'
import { guardedLookup, isPublicAddress, WebhookAddressRefused } from './address-policy.js'

export interface WebhookRequest {
  url: string
  headers: Record<string, string>
  body: string
  /** Aborting it cuts the request off (the server is stopping): it fails at once. */
  signal?: AbortSignal
}

export interface WebhookResponse {
  /** The receiver answered 2xx, and its answer arrived within the deadline. */
  ok: boolean
  statusCode: number | null
  /** A short message for lastError; null when ok. */
  error: string | null
  /** The start of the response body, at most maxBodyBytes of UTF-8, for diagnostics. */
  body: string
}

export interface PostWebhookOptions {
  /** One deadline for connecting, the response and its body. */
  timeoutMs: number
  allowPrivate: boolean
  /** Default 4096. */
  maxBodyBytes?: number
}

// Connections are kept alive and reused: a dispatcher sends many events to the same few receivers,
// and a new TCP (and TLS) handshake per event would dominate the cost. Pooling is safe for the
// address policy because a pooled socket stays connected to the address guardedLookup checked when
// it was opened; the agents are split by allowPrivate so that a socket opened under one policy is
// never reused under the other. maxSockets bounds the connections to one receiver (a burst of events
// queues in the agent instead of opening thousands of sockets); time spent queued counts against the
// request's deadline. Idle sockets are unref'd by node, so the pool never keeps the process alive.
const agents = new Map<string, HttpAgent>()
function agentFor(protocol: 'http:' | 'https:', allowPrivate: boolean): HttpAgent {
  const key = `${protocol}${allowPrivate}`
  let agent = agents.get(key)
  if (!agent) {
    const options = { keepAlive: true, maxSockets: 64, lookup: guardedLookup(allowPrivate) }
    agent = protocol === 'https:' ? new HttpsAgent(options) : new HttpAgent(options)
    agents.set(key, agent)
  }
  return agent
}

/**
 * POSTs one webhook. Never throws for network or HTTP failures: they come back as ok:false with a
 * short error. Redirects are not followed (a receiver could point us at an internal address).
 */
export async function postWebhook(request: WebhookRequest, options: PostWebhookOptions): Promise<WebhookResponse> {
  const { timeoutMs, allowPrivate } = options
  const maxBodyBytes = options.maxBodyBytes ?? 4096
  const failure = (error: string, statusCode: number | null = null, body = ''): WebhookResponse => ({
    ok: false,
    statusCode,
    error,
    body,
  })

  let url: URL
  try {
    url = new URL(request.url)
  } catch {
    return failure('invalid URL')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return failure(`unsupported URL scheme ${url.protocol} (only http: and https:)`)
  }
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname
  // node connects to an IP literal directly, without calling lookup, so the policy is applied here.
  if (isIP(hostname) && !allowPrivate && !isPublicAddress(hostname)) {
    return failure(new WebhookAddressRefused(hostname).message)
  }

  const agent = agentFor(url.protocol, allowPrivate)
  const requestOptions: RequestOptions = {
    method: 'POST',
    hostname,
    port: url.port || undefined,
    path: `${url.pathname}${url.search}`,
    auth:
      url.username || url.password
        ? `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`
        : undefined,
    headers: {
      'content-type': 'application/json',
      ...request.headers,
      'content-length': String(Buffer.byteLength(request.body)),
    },
    agent,
    lookup: guardedLookup(allowPrivate),
  }

  const started = Date.now()
  const first = await exchange(url, requestOptions, request.body, timeoutMs, maxBodyBytes, hostname, request.signal)
  if (!first.staleSocket) return first.response
  // A kept-alive connection the receiver had already closed: nothing was received, so sending
  // again on a fresh connection is safe (Node's documented pattern for reusedSocket).
  const remainingMs = Math.max(1, timeoutMs - (Date.now() - started))
  return (await exchange(url, requestOptions, request.body, remainingMs, maxBodyBytes, hostname, request.signal)).response
}

function exchange(
  url: URL,
  requestOptions: RequestOptions,
  requestBody: string,
  timeoutMs: number,
  maxBodyBytes: number,
  hostname: string,
  signal: AbortSignal | undefined,
): Promise<{ response: WebhookResponse; staleSocket: boolean }> {
  const failure = (error: string, statusCode: number | null = null, body = ''): WebhookResponse => ({ ok: false, statusCode, error, body })
  return new Promise((resolve) => {
    let statusCode: number | null = null
    let settled = false
    const settle = (response: WebhookResponse, staleSocket = false) => {
      if (settled) return
      settled = true
      clearTimeout(deadline)
      signal?.removeEventListener('abort', cutOff)
      resolve({ response, staleSocket })
    }
    const cutOff = () => {
      settle(failure('cut off: the sending server is stopping', statusCode))
      req.destroy()
    }
    if (signal?.aborted) {
      resolve({ response: failure('cut off: the sending server is stopping'), staleSocket: false })
      return
    }

    let req: ReturnType<typeof httpRequest>
    try {
      req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(requestOptions)
    } catch (error) {
      // Synchronous failures are invalid headers; node's messages can quote a header value, and the
      // headers carry the signature, so only the code is kept.
      resolve({ response: failure(`invalid request (${(error as NodeJS.ErrnoException).code ?? 'unknown'})`), staleSocket: false })
      return
    }

    const deadline = setTimeout(() => {
      settle(failure(`no answer within ${timeoutMs} ms`, statusCode))
      req.destroy()
    }, timeoutMs)
    signal?.addEventListener('abort', cutOff, { once: true })

    // Stays attached after settling: destroying the request can still emit an error.
    req.on('error', (error: NodeJS.ErrnoException) => {
      const stale = req.reusedSocket && statusCode === null && error.code === 'ECONNRESET'
      settle(failure(describeError(error, hostname), statusCode), stale)
    })
    req.on('response', (res) => {
      statusCode = res.statusCode ?? null
      readBody(res, maxBodyBytes, (outcome) => {
        if (outcome.complete) settle(classify(statusCode, outcome.body))
        else settle(failure('connection closed while reading the response', statusCode, outcome.body))
      })
    })
    req.end(requestBody)
  })
}

function classify(statusCode: number | null, body: string): WebhookResponse {
  if (statusCode !== null && statusCode >= 200 && statusCode < 300) {
    return { ok: true, statusCode, error: null, body }
  }
  const redirect = statusCode !== null && statusCode >= 300 && statusCode < 400
  const error = redirect ? `HTTP ${statusCode} (redirects are not followed)` : `HTTP ${statusCode}`
  return { ok: false, statusCode, error, body }
}

/**
 * Reads at most maxBytes of the body. Past that the socket is destroyed rather than drained: an
 * endless body must cost neither memory nor the rest of the deadline. A body cut off this way
 * counts as complete, since stopping was our choice, not the receiver's failure.
 */
function readBody(
  res: IncomingMessage,
  maxBytes: number,
  done: (outcome: { complete: boolean; body: string }) => void,
): void {
  const chunks: Buffer[] = []
  let length = 0
  let finished = false
  const finish = (complete: boolean) => {
    if (finished) return
    finished = true
    done({ complete, body: utf8Prefix(Buffer.concat(chunks), maxBytes) })
  }
  res.on('data', (chunk: Buffer) => {
    if (finished) return
    // One byte past the limit tells a body longer than the limit from one exactly as long.
    const wanted = maxBytes + 1 - length
    chunks.push(chunk.length > wanted ? chunk.subarray(0, wanted) : chunk)
    length += Math.min(chunk.length, wanted)
    if (length > maxBytes) {
      finish(true)
      res.destroy()
    }
  })
  res.on('end', () => finish(true))
  res.on('error', () => finish(false))
  res.on('close', () => finish(res.complete))
}

/** The longest prefix of at most maxBytes that does not split a UTF-8 character. */
function utf8Prefix(bytes: Buffer, maxBytes: number): string {
  if (bytes.length <= maxBytes) return bytes.toString('utf8')
  let end = maxBytes
  // Step back over continuation bytes (10xxxxxx) to the start of the character the limit cut.
  while (end > 0 && end > maxBytes - 4 && (bytes[end] & 0xc0) === 0x80) end--
  return bytes.subarray(0, end).toString('utf8')
}

function describeError(error: NodeJS.ErrnoException, hostname: string): string {
  if (error instanceof WebhookAddressRefused) return error.message
  if (error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN') return `could not resolve ${hostname}`
  return error.message || error.code || 'request failed'
}
