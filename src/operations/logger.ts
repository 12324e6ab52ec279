// The service's log: one JSON object per line on stdout (pino), with the request or WebSocket
// operation it is about. Nothing that authenticates anyone reaches it: the code logs chosen
// fields only (never headers, variables or connectionParams), `redact` blanks the known paths
// should one be passed anyway, and errors are logged as type, code and message rather than
// as whole objects (a Prisma error carries its query's arguments).
import { randomUUID } from 'node:crypto'
import { pino, type DestinationStream, type Logger } from 'pino'
import type { Config } from '../config.js'

export type { Logger }

export interface LoggerOptions {
  level: Config['logLevel']
  /** Default: stdout. Tests pass a stream to read the lines back. */
  destination?: DestinationStream
}

const SECRET_KEYS = ['authorization', 'cookie', 'password', 'secret', 'sealedSecret', 'token', 'signature', 'webhook-signature']

/** Paths blanked wherever they appear at the top level or one or two objects down. */
export const redactedPaths = [
  ...SECRET_KEYS.flatMap((key) => [`["${key}"]`, `*["${key}"]`, `*.*["${key}"]`]),
  'connectionParams',
  '*.connectionParams',
  'variables',
  '*.variables',
]

export function createLogger({ level, destination }: LoggerOptions): Logger {
  const options = {
    level,
    redact: { paths: redactedPaths, censor: '[redacted]' },
    serializers: { err: errorFields },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  }
  return destination ? pino(options, destination) : pino(options)
}

/** A logger for code that runs without one (library defaults): warnings and errors only. */
export function fallbackLogger(): Logger {
  return (fallback ??= createLogger({ level: 'warn' }))
}
let fallback: Logger | undefined

// ---------------------------------------------------------------------------------------------
// Errors

export interface ErrorFields {
  type: string
  message: string
  code?: string | number
  stack?: string
  cause?: ErrorFields
}

const MAX_MESSAGE = 1000

/**
 * What is logged of an error: its class, code and message, with the stack and cause. Prisma's
 * messages can quote the call they came from with its arguments, and its errors carry `meta`;
 * of those only the closing sentence (the reason) is kept, and no stack (it repeats the message).
 */
export function errorFields(error: unknown, depth = 0): ErrorFields {
  if (!(error instanceof Error)) return { type: typeof error, message: truncate(String(error)) }
  const type = error.constructor?.name && error.constructor.name !== 'Error' ? error.constructor.name : error.name
  const code = (error as { code?: unknown }).code
  const fields: ErrorFields = { type, message: '' }
  if (typeof code === 'string' || typeof code === 'number') fields.code = code
  if (isPrismaError(error)) {
    fields.message = truncate(lastParagraph(error.message))
  } else {
    fields.message = truncate(error.message)
    if (error.stack) fields.stack = error.stack
  }
  const cause = (error as { originalError?: unknown }).originalError ?? error.cause
  if (cause !== undefined && cause !== null && depth < 3) fields.cause = errorFields(cause, depth + 1)
  return fields
}

function isPrismaError(error: Error): boolean {
  return /^(PrismaClient|DriverAdapter)/.test(error.constructor?.name ?? '') || /^(PrismaClient|DriverAdapter)/.test(error.name)
}

function lastParagraph(message: string): string {
  const paragraphs = message.split(/\n\s*\n/).map((p) => p.trim()).filter(Boolean)
  return paragraphs.at(-1) ?? ''
}

function truncate(text: string): string {
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE - 1)}…` : text
}

// ---------------------------------------------------------------------------------------------
// The logger of the request or operation being handled

/**
 * The request or WebSocket operation being handled: its logger, and what its summary line adds.
 * It travels in the GraphQL context (`logScope`), not in an AsyncLocalStorage: on Node 20 that
 * turns on async_hooks, which adds about 70 bytes to every promise the process makes (a
 * subscription holds a dozen while it waits).
 */
export interface LogScope {
  log: Logger
  /** Fields learnt while handling it (operation name, caller), for the line that sums it up. */
  fields?: Record<string, unknown>
}

/** Adds fields to the scope's summary line, if it keeps one. */
export function noteOnScope(scope: LogScope | undefined, fields: Record<string, unknown>): void {
  if (scope?.fields) Object.assign(scope.fields, fields)
}

// ---------------------------------------------------------------------------------------------
// Request ids

const SANE_REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/

/** The caller's `x-request-id` when it is a plain token of at most 128 characters, else a new one. */
export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header
  return value !== undefined && SANE_REQUEST_ID.test(value) ? value : randomUUID()
}

// ---------------------------------------------------------------------------------------------
// Yoga

/** Yoga's logger interface: console-like methods. */
export interface YogaLogger {
  debug(...args: unknown[]): void
  info(...args: unknown[]): void
  warn(...args: unknown[]): void
  error(...args: unknown[]): void
}

/**
 * Yoga's `logging` option over pino. Yoga logs an unexpected error (the one it masks as
 * "Unexpected error.") as `error(err)`; one that `loggedElsewhere` says was already logged with
 * its request's ids (useRequestLog) is not written twice.
 */
export function yogaLogger(root: Logger, loggedElsewhere: (error: Error) => boolean = () => false): YogaLogger {
  const at =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (...args: unknown[]): void => {
      if (!root.isLevelEnabled(level)) return
      const error = args.find((arg) => arg instanceof Error)
      if (error && loggedElsewhere(error)) return
      const text = args.filter((arg) => typeof arg === 'string').join(' ')
      if (error) root[level]({ err: error }, text || 'unexpected error (masked in the response)')
      else root[level](text)
    }
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}
