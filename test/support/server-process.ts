// The real server as a child process (`node --import tsx src/main.ts`), for what only a
// process shows: its stdout, its signals, its exit code. Every stdout line is kept.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { randomBytes } from 'node:crypto'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { signToken } from '../../src/auth/tokens.js'
import { listeningUrlIn } from '../../scripts/server-output.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
// Under a full parallel test run, tsx and the migrations can take a while.
const START_TIMEOUT_MS = 90_000

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
}

/** One parsed stdout line. */
export interface LogEntry {
  level: string
  time: string
  msg: string
  [field: string]: unknown
}

export interface ServerProcess {
  pid: number
  /** The GraphQL endpoint, http://127.0.0.1:<port>/graphql. */
  url: string
  /** ws://127.0.0.1:<port>/graphql. */
  wsUrl: string
  /** http://127.0.0.1:<port>, for /metrics and /healthz. */
  origin: string
  authSecret: string
  /** Every stdout line so far, as written. */
  readonly lines: string[]
  readonly stderr: string
  /** The stdout lines parsed as JSON (throws on one that is not). */
  entries(): LogEntry[]
  /** Resolves with the first entry (already written or to come) that matches. */
  waitForEntry(matches: (entry: LogEntry) => boolean, timeoutMs?: number): Promise<LogEntry>
  /** A token signed with this server's AUTH_SECRET. */
  token(uid: string, options?: { admin?: boolean }): Promise<string>
  /** Resolves when the process has exited. */
  readonly exited: Promise<Exit>
  /** Sends the signal (default SIGTERM) and resolves when the process has exited. */
  stop(signal?: NodeJS.Signals): Promise<Exit>
  kill9(): Promise<Exit>
}

/**
 * Starts the server on a free port with an in-memory PGlite and a random AUTH_SECRET; `env`
 * overrides (or adds) settings. DATABASE_URL and REDIS_URL are unset unless given.
 */
export async function startServerProcess(env: Record<string, string> = {}): Promise<ServerProcess> {
  const authSecret = env.AUTH_SECRET ?? randomBytes(24).toString('base64url')
  const child = spawnServer({ AUTH_SECRET: authSecret, ...env })
  const lines: string[] = []
  const waiters = new Set<() => void>()
  let stderr = ''
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const exited = once(child, 'exit').then(([code, signal]) => ({ code, signal }) as Exit)
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line)
    for (const wake of waiters) wake()
  })
  void exited.then(() => {
    for (const wake of waiters) wake()
  })

  const describe = () => `stdout:\n${lines.join('\n')}\nstderr:\n${stderr}`

  async function waitForLine<T>(find: () => T | undefined, what: string, timeoutMs: number): Promise<T> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = find()
      if (found !== undefined) return found
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the server exited before ${what}\n${describe()}`)
      const remaining = deadline - Date.now()
      if (remaining <= 0) throw new Error(`not within ${timeoutMs} ms: ${what}\n${describe()}`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(wake, remaining)
        function wake() {
          clearTimeout(timer)
          waiters.delete(wake)
          resolve()
        }
        waiters.add(wake)
      })
    }
  }

  const entries = () =>
    lines.map((line) => {
      try {
        return JSON.parse(line) as LogEntry
      } catch {
        throw new Error(`a stdout line is not JSON: ${line}`)
      }
    })

  let listening: { url: URL; wsUrl: string }
  try {
    listening = await waitForLine(
      () => {
        for (const line of lines) {
          const url = listeningUrlIn(line)
          if (url) return { url, wsUrl: String((JSON.parse(line) as { wsUrl?: unknown }).wsUrl) }
        }
        return undefined
      },
      'the server said where it listens',
      START_TIMEOUT_MS,
    )
  } catch (error) {
    child.kill('SIGKILL')
    throw error
  }

  const signalled = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal)
    return exited
  }

  return {
    pid: child.pid!,
    url: listening.url.toString(),
    wsUrl: listening.wsUrl,
    origin: listening.url.origin,
    authSecret,
    lines,
    get stderr() {
      return stderr
    },
    entries,
    waitForEntry: (matches, timeoutMs = 10_000) => waitForLine(() => entries().find(matches), 'a matching log line', timeoutMs),
    token: (uid, options = {}) => signToken(authSecret, { sub: uid, admin: options.admin }),
    exited,
    stop: (signal = 'SIGTERM') => signalled(signal),
    kill9: () => signalled('SIGKILL'),
  }
}

function spawnServer(env: Record<string, string>) {
  return spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: { ...process.env, NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', DATA_DIR: 'memory', DATABASE_URL: '', REDIS_URL: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
}

/**
 * Runs the server with settings it must refuse: resolves with how it exited and what it
 * wrote. Killed (and rejected) if it is still running after timeoutMs, i.e. if it started.
 */
export async function runServerProcessToExit(env: Record<string, string>, timeoutMs = 60_000): Promise<Exit & { stdout: string; stderr: string }> {
  const child = spawnServer(env)
  let stdout = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null]
  clearTimeout(timer)
  if (signal === 'SIGKILL') throw new Error(`still running after ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`)
  return { code, signal, stdout, stderr }
}
