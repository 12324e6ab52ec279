// What the benchmarks share about the server under test: build/main.js as a child process, and
// GraphQL over keep-alive HTTP to it.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { mkdtemp, readFile } from 'node:fs/promises'
import { Agent, request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { log } from './bench-cli.js'
import { listeningUrlIn } from './server-output.js'

export const root = fileURLToPath(new URL('..', import.meta.url))
const SERVER_START_TIMEOUT_MS = 180_000
const SERVER_STOP_TIMEOUT_MS = 30_000

export async function temporaryFolder(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix))
}

// ---------------------------------------------------------------------------------------------
// The server, as a child process

export interface Server {
  /** The GraphQL endpoint. */
  url: URL
  /** The node process that runs build/main.js. */
  pid: number
  /** The last of what the server wrote on stderr. */
  stderr(): string
  /** CPU seconds the server's processes have used so far; undefined where /proc cannot tell. */
  cpuSeconds(): Promise<number | undefined>
  stop(): Promise<void>
}

export interface ServerOptions {
  authSecret: string
  dataDir: string
  /** Unset: embedded PGlite in dataDir. */
  databaseUrl?: string
  /** Node options for the server process, e.g. --expose-gc. */
  nodeArgs?: string[]
  /** More environment for the server (REDIS_URL, …). */
  env?: Record<string, string>
}

const TAIL_CHARS = 20_000

function keepTail(text: string, more: string): string {
  const all = text + more
  return all.length > TAIL_CHARS ? all.slice(all.length - TAIL_CHARS) : all
}

let built: Promise<void> | undefined

/** What `npm start` runs: src/ compiled by scripts/build.mjs (once per benchmark), then build/main.js. */
function buildOnce(): Promise<void> {
  built ??= new Promise<void>((resolve, reject) => {
    const build = spawn(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: 'inherit' })
    build.once('error', reject)
    build.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`scripts/build.mjs exited with code ${code}`))))
  })
  return built
}

/** The node options of package.json's start script ("node <options> build/main.js"), so the benchmarks run what npm start runs. */
function startNodeArgs(): string[] {
  const start = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start
  const match = /^node\s+(.*?)\s*build\/main\.js$/.exec(start.trim())
  if (!match) throw new Error(`package.json's start script is not "node [options] build/main.js": ${start}`)
  return match[1] ? match[1].split(/\s+/) : []
}

export async function startServer(options: ServerOptions): Promise<Server> {
  await buildOnce()
  const child = spawn(process.execPath, [...startNodeArgs(), ...(options.nodeArgs ?? []), 'build/main.js'], {
    cwd: root,
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      AUTH_SECRET: options.authSecret,
      DATA_DIR: options.dataDir,
      DATABASE_URL: options.databaseUrl ?? '',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  let stdout = ''
  let stopping = false
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr = keepTail(stderr, chunk)))
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
  void exited.then(([code, signal]) => {
    if (!stopping) log(`the server exited unexpectedly (code ${code}, signal ${signal}); its stderr:\n${stderr}`)
  })

  // The whole of stdout is read, after the URL too, so that the server never blocks on a full pipe.
  const url = await new Promise<URL>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start within ${SERVER_START_TIMEOUT_MS} ms:\n${stdout}\n${stderr}`)), SERVER_START_TIMEOUT_MS)
    createInterface({ input: child.stdout! }).on('line', (line) => {
      stdout = keepTail(stdout, `${line}\n`)
      const found = listeningUrlIn(line)
      if (found) {
        clearTimeout(timer)
        resolve(found)
      }
    })
    void exited.then(() => {
      clearTimeout(timer)
      reject(new Error(`the server exited before it was listening:\n${stdout}\n${stderr}`))
    })
  })

  return {
    url,
    pid: child.pid!,
    stderr: () => stderr,
    cpuSeconds: () => processTreeCpuSeconds(child.pid),
    stop: async () => {
      stopping = true
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      await stopWithin(child, exited, SERVER_STOP_TIMEOUT_MS)
    },
  }
}

/** Linux's USER_HZ, the unit of utime and stime in /proc/<pid>/stat, is 100 on every common build. */
const CLOCK_TICKS_PER_SECOND = 100

/** The process and its children. */
export async function processTreeCpuSeconds(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    let seconds = (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND
    const children = (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8')).trim().split(/\s+/).filter(Boolean)
    for (const child of children) seconds += (await processTreeCpuSeconds(Number(child))) ?? 0
    return seconds
  } catch {
    return undefined
  }
}

/** VmRSS of one process, in KiB. */
export async function residentKiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const found = /^VmRSS:\s+(\d+) kB$/m.exec(status)
  if (!found) throw new Error(`no VmRSS in /proc/${pid}/status`)
  return Number(found[1])
}

export async function stopWithin(child: ChildProcess, exited: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ms)))
  if ((await Promise.race([exited, late])) === 'late') {
    log(`${child.spawnfile} (pid ${child.pid}) did not stop within ${ms} ms of SIGTERM: killing it`)
    child.kill('SIGKILL')
    await exited
  }
  clearTimeout(timer)
}

// ---------------------------------------------------------------------------------------------
// GraphQL over keep-alive HTTP

export interface HttpAnswer {
  status: number
  body: string
  /** False when the request opened a new connection. */
  reused: boolean
}

export function post(url: URL, agent: Agent, token: string, query: string, variables: Record<string, unknown>): Promise<HttpAnswer> {
  const payload = JSON.stringify({ query, variables })
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          authorization: `Bearer ${token}`,
          'content-length': Buffer.byteLength(payload),
        },
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('error', reject)
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), reused: req.reusedSocket }))
      },
    )
    req.on('error', reject)
    req.end(payload)
  })
}

/** One keep-alive connection per caller. */
export function agents(count: number): Agent[] {
  return Array.from({ length: count }, () => new Agent({ keepAlive: true, maxSockets: 1 }))
}

const leaveGroupDocument = `mutation LeaveGroup($guid: ID!) {
  leaveGroup(guid: $guid) { __typename ... on LeaveGroupPayload { event { id } } ... on Error { code message } }
}`

interface LeaveAnswer {
  data?: { leaveGroup?: { __typename?: string; event?: { id?: string } } } | null
}

/** `leaveGroup` as the member the token names; anything but a LeaveGroupPayload throws with the answer. */
export async function leaveGroup(url: URL, agent: Agent, token: string, guid: string): Promise<{ eventId: string; reused: boolean }> {
  const answer = await post(url, agent, token, leaveGroupDocument, { guid })
  let result: LeaveAnswer | undefined
  try {
    result = JSON.parse(answer.body) as LeaveAnswer
  } catch {
    result = undefined
  }
  const payload = result?.data?.leaveGroup
  if (answer.status !== 200 || payload?.__typename !== 'LeaveGroupPayload' || !payload.event?.id) {
    throw new Error(`leaveGroup in ${guid} answered HTTP ${answer.status}: ${answer.body.slice(0, 4000)}`)
  }
  return { eventId: payload.event.id, reused: answer.reused }
}
