// npm run bench:fanout [-- --subscribers N --exits K --smoke --only=pglite|postgres]: memberLeft
// fan-out of the real server (src/main.ts in a process of its own, seeded by SQL before it
// starts) to N subscribers of one group, each a member with its own token and its own
// graphql-ws connection held by scripts/fanout-clients.ts (a third process), next to a raw `ws`
// floor measured in the same run (scripts/fanout-raw-server.ts: one prebuilt frame of the same
// byte size written to every socket). PGlite always; PostgreSQL too when BENCH_DATABASE_URL or
// TEST_DATABASE_URL is set (a throwaway database, dropped afterwards).
//
// Per database, and for the floor:
// - connect: from the first socket opened until every subscriber has received a probe event,
//   which it can only get through its own subscription (replayed from `after`, which the
//   subscription gives only once it is registered, since replay and live have no gap);
//   reconnect: the same for all N again, right after they all disconnected, each resuming after
//   the last event it received.
// - fan-out: K exits one at a time, after one unmeasured; from the leaveGroup HTTP answer until
//   the first and until every subscriber has the event (the first can come before the answer,
//   so it is also given from the mutation sent).
// - burst: 100 exits sent at once, 1,000 subscribers of another group; frames received / time
//   from the first mutation sent to the last frame received.
// - RSS: the server's VmRSS before any connection and with N subscribed and idle; the
//   difference / N. Settled: after IDLE_SETTLE_MS without activity (V8 shrinks its young
//   generation back by then) and full GCs until the old generation stops shrinking (SIGUSR2,
//   scripts/gc-on-signal.mjs). Also read the earlier way, SETTLE_MS and one GC (SIGWINCH),
//   which counts the storm's leftovers: the grown young generation and fragmentation.
// - exactly once: every subscriber must have every event once, across its reconnect too; if
//   not, the line says "valid": false with the reasons, and the exit code is 1.
// Progress and a table on stderr; one JSON line with every figure on stdout.
import { fork, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { rm } from 'node:fs/promises'
import { Agent } from 'node:http'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { log, logTable, machine, onlyDatabase, positiveInteger } from './bench-cli.js'
import { median, range, round } from './bench-numbers.js'
import { leaveGroup, post, processTreeCpuSeconds, residentKiB, root, startServer, stopWithin, temporaryFolder, type Server } from './bench-server.js'
import type { CheckResult, ClientCommand, ClientReply, ClientRequest, ConnectResult, SetName, WaitResult } from './fanout-clients.js'
import { onThrowawayDatabase } from './on-database-server.js'
import { signToken } from '../src/auth/tokens.js'
import { openDatabase, type Prisma } from '../src/db/database.js'

const usage = 'usage: npm run bench:fanout -- [--subscribers N] [--exits K] [--smoke] [--only=pglite|postgres]'
/** WebSocket handshakes in flight at once: a storm of 10,000 SYNs would overflow the listen backlog and measure the kernel's retry timer. */
const CONNECT_CONCURRENCY = 256
/** RSS is read this long after the last activity, then after a full GC; shorter with --smoke, where RSS per subscription is noise anyway. */
const SETTLE_MS = { full: 2000, smoke: 200 }
const GC_SETTLE_MS = { full: 1000, smoke: 300 }
/**
 * The settled RSS is read this long after the last activity, then after full GCs: 2 s after
 * 10,000 connected, our server's young generation was still at its 16 MiB limit and the floor's
 * at 32 MiB; after 15 s, 2 and 1 MiB. A server left idle gets there by itself (V8 shrinks the
 * young generation at a low allocation rate).
 */
const IDLE_SETTLE_MS = { full: 15_000, smoke: 300 }
/** The settled reading's full GCs repeat and V8 unmaps the pages they free behind them. */
const SETTLED_GC_MS = { full: 3000, smoke: 300 }
/**
 * A fresh server's RSS still fell by some 30 MB about 9 s after it started, GC or not (seen on
 * PGlite); the idle figure is read after that.
 */
const IDLE_RSS_AFTER_START_MS = { full: 15_000, smoke: 0 }
const PAUSE_BETWEEN_EXITS_MS = 200
/** The first live delivery runs code nothing has run yet; it is not one of the K. */
const WARM_UP_EXITS = 1
const PROCESS_STOP_TIMEOUT_MS = 10_000
/** Used for the floor only if no frame of ours was measured. */
const FALLBACK_FRAME_BYTES = 300
/** BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles our server under the benchmark's load. */
const serverProfilingArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean)
const gcNodeArgs = ['--expose-gc', '--import', pathToFileURL(join(root, 'scripts/gc-on-signal.mjs')).href]

interface Settings {
  smoke: boolean
  only: 'pglite' | 'postgres' | undefined
  subscribers: number
  exits: number
  burstSubscribers: number
  burstExits: number
  settleMs: number
  gcSettleMs: number
  idleSettleMs: number
  settledGcMs: number
  idleRssAfterStartMs: number
}

function readSettings(): Settings {
  const { values } = parseArgs({
    options: {
      smoke: { type: 'boolean', default: false },
      only: { type: 'string' },
      subscribers: { type: 'string' },
      exits: { type: 'string' },
    },
  })
  const smoke = values.smoke ?? false
  return {
    smoke,
    only: onlyDatabase(values.only, usage),
    subscribers: positiveInteger('subscribers', values.subscribers, smoke ? 200 : 10_000, usage),
    exits: positiveInteger('exits', values.exits, smoke ? 2 : 5, usage),
    burstSubscribers: smoke ? 100 : 1000,
    burstExits: 100,
    settleMs: smoke ? SETTLE_MS.smoke : SETTLE_MS.full,
    gcSettleMs: smoke ? GC_SETTLE_MS.smoke : GC_SETTLE_MS.full,
    idleSettleMs: smoke ? IDLE_SETTLE_MS.smoke : IDLE_SETTLE_MS.full,
    settledGcMs: smoke ? SETTLED_GC_MS.smoke : SETTLED_GC_MS.full,
    idleRssAfterStartMs: smoke ? IDLE_RSS_AFTER_START_MS.smoke : IDLE_RSS_AFTER_START_MS.full,
  }
}

const now = () => performance.timeOrigin + performance.now()
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`

/** Generous: a phase that takes this long is broken, not slow. */
const connectTimeoutMs = (count: number) => 60_000 + 30 * count
const waitTimeoutMs = (frames: number) => 30_000 + frames

// ---------------------------------------------------------------------------------------------
// The other processes

interface Clients {
  call<T>(command: ClientCommand): Promise<T>
  stop(): Promise<void>
}

function startClients(): Clients {
  const child = fork(join(root, 'scripts/fanout-clients.ts'), [], { cwd: root, execArgv: ['--import', 'tsx'], stdio: ['ignore', 2, 2, 'ipc'] })
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
  let seq = 0
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>()
  child.on('message', (reply: ClientReply) => {
    const waiting = pending.get(reply.seq)
    pending.delete(reply.seq)
    if (reply.error !== undefined) waiting?.reject(new Error(`in the client process: ${reply.error}`))
    else waiting?.resolve(reply.result)
  })
  void exited.then(([code, signal]) => {
    for (const waiting of pending.values()) waiting.reject(new Error(`the client process exited (code ${code}, signal ${signal})`))
    pending.clear()
  })
  return {
    call: <T>(command: ClientCommand) =>
      new Promise<T>((resolve, reject) => {
        pending.set(++seq, { resolve: resolve as (value: unknown) => void, reject })
        child.send({ seq, command } satisfies ClientRequest)
      }),
    stop: () => stopChild(child, exited),
  }
}

async function stopChild(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  child.kill('SIGTERM')
  await stopWithin(child, exited, PROCESS_STOP_TIMEOUT_MS)
}

interface RawServer {
  url: URL
  wsUrl: string
  pid: number
  startedAt: number
  stop(): Promise<void>
}

async function startRawServer(): Promise<RawServer> {
  const child = fork(join(root, 'scripts/fanout-raw-server.ts'), [], {
    cwd: root,
    execArgv: ['--import', 'tsx', ...gcNodeArgs],
    stdio: ['ignore', 2, 2, 'ipc'],
  })
  const exited = once(child, 'exit')
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (message: { port: number }) => resolve(message.port))
    void exited.then(() => reject(new Error('the raw ws server exited before it was listening')))
  })
  return {
    url: new URL(`http://127.0.0.1:${port}/`),
    wsUrl: `ws://127.0.0.1:${port}/`,
    pid: child.pid!,
    startedAt: performance.now(),
    stop: () => stopChild(child, exited),
  }
}

/** Leaves the process alone (at least until `notBefore`, a performance.now()), then has it fully collected once. */
async function quiesce(pid: number, settings: Settings, notBefore = 0): Promise<void> {
  await sleep(Math.max(settings.settleMs, notBefore - performance.now()))
  process.kill(pid, 'SIGWINCH')
  await sleep(settings.gcSettleMs)
}

/** RSS after one GC, then settled: left idle until IDLE_SETTLE_MS after `from`, then collected until the heap stops shrinking. */
async function rssReadings(pid: number, settings: Settings, notBefore = 0): Promise<{ oneGcKiB: number; settledKiB: number }> {
  const from = Math.max(performance.now(), notBefore - settings.settleMs)
  await quiesce(pid, settings, notBefore)
  const oneGcKiB = await residentKiB(pid)
  await sleep(from + settings.idleSettleMs - performance.now())
  process.kill(pid, 'SIGUSR2')
  await sleep(settings.settledGcMs)
  return { oneGcKiB, settledKiB: await residentKiB(pid) }
}

// ---------------------------------------------------------------------------------------------
// What is measured: our server or the floor, behind one interface

interface Probe {
  probeId: string
  url: string
  guid?: string
  after?: string
}

interface Target {
  kind: 'graphql' | 'raw'
  pid: number
  /** performance.now() when the process was ready. */
  startedAt: number
  /** One per subscriber, for the graphql kind. */
  tokens?: string[]
  /** Makes the event that will show a (re)connected subscriber of `set` live; says where to subscribe. */
  probe(set: SetName): Promise<Probe>
  /** One event to every subscriber of `set`; resolves with its id once the HTTP answer is in. */
  emit(set: SetName, agent: Agent): Promise<string>
}

interface Cast {
  prefix: string
  guids: Record<SetName, string>
  /** Subscriber i is `<prefix>_s<i>`; the first burstSubscribers are in the burst group too. */
  subscriberTokens: string[]
  leaverTokens: Record<SetName, string[]>
}

const leaverInfix: Record<SetName, string> = { main: 'lm', burst: 'lb' }

/** Leavers per group: an anchor (the first `after`), a probe per connect, a warm-up exit, the measured exits, one after the reconnect. */
function leaverCounts(settings: Settings): Record<SetName, number> {
  return { main: 1 + 1 + WARM_UP_EXITS + settings.exits + 1 + 1, burst: 1 + 1 + settings.burstExits }
}

async function makeCast(settings: Settings, authSecret: string): Promise<Cast> {
  const prefix = `bf${randomBytes(3).toString('hex')}`
  const tokens = (uids: string[]) => Promise.all(uids.map((sub) => signToken(authSecret, { sub })))
  const counts = leaverCounts(settings)
  return {
    prefix,
    guids: { main: `${prefix}_main`, burst: `${prefix}_burst` },
    subscriberTokens: await tokens(range(Math.max(settings.subscribers, settings.burstSubscribers)).map((i) => `${prefix}_s${i}`)),
    leaverTokens: {
      main: await tokens(range(counts.main).map((i) => `${prefix}_${leaverInfix.main}${i}`)),
      burst: await tokens(range(counts.burst).map((i) => `${prefix}_${leaverInfix.burst}${i}`)),
    },
  }
}

/** Users, the two PUBLIC groups and their members, a statement each, before the server starts. */
async function seed(prisma: Prisma, cast: Cast, settings: Settings): Promise<void> {
  const { prefix, guids } = cast
  const counts = leaverCounts(settings)
  const users = `INSERT INTO "User" (uid, name) SELECT $1 || i, $2 || i FROM generate_series(0, $3::int - 1) AS i`
  const members = `INSERT INTO "GroupMember" ("groupGuid", uid) SELECT $1, $2 || i FROM generate_series(0, $3::int - 1) AS i`
  await prisma.$executeRawUnsafe(users, `${prefix}_s`, 'Subscriber ', cast.subscriberTokens.length)
  for (const set of ['main', 'burst'] as const) {
    await prisma.$executeRawUnsafe(users, `${prefix}_${leaverInfix[set]}`, 'Leaver ', counts[set])
  }
  await prisma.$executeRawUnsafe(`INSERT INTO "User" (uid, name) VALUES ($1, 'Owner')`, `${prefix}_owner`)
  for (const set of ['main', 'burst'] as const) {
    await prisma.$executeRawUnsafe(
      `INSERT INTO "Group" (guid, name, type, "ownerUid") VALUES ($1, $2, 'PUBLIC'::"GroupType", $3)`,
      guids[set],
      `Fan-out ${set}`,
      `${prefix}_owner`,
    )
    await prisma.$executeRawUnsafe(
      `INSERT INTO "GroupMember" ("groupGuid", uid, scope) VALUES ($1, $2, 'OWNER'::"MemberScope")`,
      guids[set],
      `${prefix}_owner`,
    )
    await prisma.$executeRawUnsafe(members, guids[set], `${prefix}_${leaverInfix[set]}`, counts[set])
  }
  await prisma.$executeRawUnsafe(members, guids.main, `${prefix}_s`, settings.subscribers)
  await prisma.$executeRawUnsafe(members, guids.burst, `${prefix}_s`, settings.burstSubscribers)
}

function ourTarget(server: Server, startedAt: number, cast: Cast): Target {
  const wsUrl = new URL(server.url)
  wsUrl.protocol = 'ws:'
  const used: Record<SetName, number> = { main: 0, burst: 0 }
  const anchors: Partial<Record<SetName, string>> = {}
  const probeAgent = new Agent({ keepAlive: true, maxSockets: 1 })
  const leave = async (set: SetName, agent: Agent) => {
    const token = cast.leaverTokens[set][used[set]++]
    if (token === undefined) throw new Error(`no leaver left in the ${set} group`)
    return (await leaveGroup(server.url, agent, token, cast.guids[set])).eventId
  }
  return {
    kind: 'graphql',
    pid: server.pid,
    startedAt,
    tokens: cast.subscriberTokens,
    probe: async (set) => {
      anchors[set] ??= await leave(set, probeAgent)
      return { probeId: await leave(set, probeAgent), url: wsUrl.toString(), guid: cast.guids[set], after: anchors[set] }
    },
    emit: leave,
  }
}

function rawTarget(raw: RawServer, frameBytes: number): Target {
  let probes = 0
  let events = 0
  return {
    kind: 'raw',
    pid: raw.pid,
    startedAt: raw.startedAt,
    probe: async () => {
      const probeId = `p${++probes}`
      return { probeId, url: `${raw.wsUrl}?probe=${probeId}&bytes=${frameBytes}` }
    },
    emit: async (_set, agent) => {
      const id = `r${++events}`
      const answer = await post(raw.url, agent, '', 'broadcast', { id, bytes: frameBytes })
      if (answer.status !== 200) throw new Error(`the raw ws server answered HTTP ${answer.status}: ${answer.body}`)
      return id
    },
  }
}

// ---------------------------------------------------------------------------------------------
// One measurement

interface Figures {
  valid: boolean
  reasons?: string[]
  connect: { ms: number; handshakesMs: number; subscribers: number }
  reconnect: { ms: number; handshakesMs: number }
  fanout: {
    allMedianMs: number
    allMaxMs: number
    /** Below 0 when the first frame came before the HTTP answer. */
    firstMedianMs: number
    /** From the mutation sent instead: the figure to compare when the floor's first frame beats its HTTP answer. */
    firstFromSendMedianMs: number
    httpMedianMs: number
    exits: number
    frameBytes: number
  }
  burst: { framesPerSec: number; frames: number; seconds: number; subscribers: number; exits: number }
  /** Settled readings; `afterOneGc`: the earlier way (SETTLE_MS and one GC). */
  rss: { idleKiB: number; subscribedKiB: number; perSubscriptionKiB: number; afterOneGc: { idleKiB: number; subscribedKiB: number; perSubscriptionKiB: number } }
}

/** A run that cannot go on: what a subscriber did not get. */
class Invalid extends Error {}

function emptyFigures(settings: Settings): Figures {
  return {
    valid: false,
    connect: { ms: NaN, handshakesMs: NaN, subscribers: settings.subscribers },
    reconnect: { ms: NaN, handshakesMs: NaN },
    fanout: { allMedianMs: NaN, allMaxMs: NaN, firstMedianMs: NaN, firstFromSendMedianMs: NaN, httpMedianMs: NaN, exits: settings.exits, frameBytes: NaN },
    burst: { framesPerSec: NaN, frames: NaN, seconds: NaN, subscribers: settings.burstSubscribers, exits: settings.burstExits },
    rss: { idleKiB: NaN, subscribedKiB: NaN, perSubscriptionKiB: NaN, afterOneGc: { idleKiB: NaN, subscribedKiB: NaN, perSubscriptionKiB: NaN } },
  }
}

async function problemsOf(clients: Clients, set: SetName): Promise<string> {
  const problems = await clients.call<string[]>({ op: 'problems', set })
  return problems.length > 0 ? problems.slice(0, 5).join('; ') : 'no error, close or unexpected frame seen'
}

async function connectSet(clients: Clients, target: Target, set: SetName, count: number, probe: Probe, first: boolean) {
  const cpuBefore = await processTreeCpuSeconds(target.pid)
  const result = await clients.call<ConnectResult>({
    op: 'connect',
    set,
    kind: target.kind,
    url: probe.url,
    count,
    tokens: first ? target.tokens?.slice(0, count) : undefined,
    guid: probe.guid,
    after: probe.after,
    probeId: probe.probeId,
    concurrency: CONNECT_CONCURRENCY,
    timeoutMs: connectTimeoutMs(count),
  })
  if (result.live < count) {
    throw new Invalid(`${set}: ${count - result.live} of ${count} subscribers never received the probe ${probe.probeId}: ${await problemsOf(clients, set)}`)
  }
  const cpuAfter = await processTreeCpuSeconds(target.pid)
  if (cpuBefore !== undefined && cpuAfter !== undefined) {
    log(`  server CPU while ${count} connected: ${((100 * (cpuAfter - cpuBefore) * 1000) / (result.liveAt - result.startedAt)).toFixed(0)}% of one core`)
  }
  return { ms: round(result.liveAt - result.startedAt, 1), handshakesMs: round(result.handshakenAt - result.startedAt, 1) }
}

async function waitFor(clients: Clients, set: SetName, ids: string[], subscribers: number): Promise<WaitResult> {
  const result = await clients.call<WaitResult>({ op: 'wait', set, ids, timeoutMs: waitTimeoutMs(ids.length * subscribers) })
  if (!result.complete) {
    throw new Invalid(`${set}: ${result.missing} of ${ids.length * subscribers} frames for [${ids.join(',')}] never came: ${await problemsOf(clients, set)}`)
  }
  return result
}

async function checkSet(clients: Clients, set: SetName, expected: string[], ordered: boolean, reasons: string[]): Promise<void> {
  const { ok, problems } = await clients.call<CheckResult>({ op: 'check', set, expected, ordered })
  if (!ok) reasons.push(`${set}: ${problems.join('; ')}`)
}

async function measure(label: string, target: Target, settings: Settings): Promise<Figures> {
  const figures = emptyFigures(settings)
  const reasons: string[] = []
  const clients = startClients()
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  const burstAgent = new Agent({ keepAlive: true, maxSockets: settings.burstExits })
  const N = settings.subscribers
  try {
    // The first probe's HTTP requests also warm the server up before its idle RSS is read.
    const firstProbe = await target.probe('main')
    const idle = await rssReadings(target.pid, settings, target.startedAt + settings.idleRssAfterStartMs)
    figures.connect = { ...(await connectSet(clients, target, 'main', N, firstProbe, true)), subscribers: N }
    log(`${label}: ${N} subscribers live after ${figures.connect.ms} ms (handshakes ${figures.connect.handshakesMs} ms)`)
    const subscribed = await rssReadings(target.pid, settings)
    figures.rss = {
      idleKiB: idle.settledKiB,
      subscribedKiB: subscribed.settledKiB,
      perSubscriptionKiB: round((subscribed.settledKiB - idle.settledKiB) / N, 2),
      afterOneGc: { idleKiB: idle.oneGcKiB, subscribedKiB: subscribed.oneGcKiB, perSubscriptionKiB: round((subscribed.oneGcKiB - idle.oneGcKiB) / N, 2) },
    }
    log(`${label}: RSS ${figures.rss.idleKiB} KiB idle, ${figures.rss.subscribedKiB} KiB with ${N} subscribed: ${figures.rss.perSubscriptionKiB} KiB each (after one GC: ${figures.rss.afterOneGc.perSubscriptionKiB})`)

    const expected = [firstProbe.probeId]
    for (let k = 0; k < WARM_UP_EXITS; k++) {
      const id = await target.emit('main', agent)
      await waitFor(clients, 'main', [id], N)
      expected.push(id)
    }
    const all: number[] = []
    const first: number[] = []
    const firstFromSend: number[] = []
    const http: number[] = []
    for (let k = 0; k < settings.exits; k++) {
      const sentAt = now()
      const id = await target.emit('main', agent)
      const answeredAt = now()
      const got = await waitFor(clients, 'main', [id], N)
      all.push(got.lastAt - answeredAt)
      first.push(got.firstAt - answeredAt)
      firstFromSend.push(got.firstAt - sentAt)
      http.push(answeredAt - sentAt)
      expected.push(id)
      log(`${label}: exit ${id}: HTTP ${(answeredAt - sentAt).toFixed(1)} ms, then first ${(got.firstAt - answeredAt).toFixed(1)} ms, all ${N} ${(got.lastAt - answeredAt).toFixed(1)} ms`)
      await sleep(PAUSE_BETWEEN_EXITS_MS)
    }
    figures.fanout = {
      allMedianMs: round(median(all), 1),
      allMaxMs: round(Math.max(...all), 1),
      firstMedianMs: round(median(first), 1),
      firstFromSendMedianMs: round(median(firstFromSend), 1),
      httpMedianMs: round(median(http), 1),
      exits: settings.exits,
      frameBytes: (await clients.call<number | null>({ op: 'frame-bytes', set: 'main', id: expected.at(-1)! })) ?? NaN,
    }

    const started = performance.now()
    await clients.call({ op: 'disconnect', set: 'main', timeoutMs: connectTimeoutMs(N) })
    log(`${label}: ${N} disconnected in ${seconds(started)}`)
    const again = await target.probe('main')
    expected.push(again.probeId)
    figures.reconnect = await connectSet(clients, target, 'main', N, again, false)
    log(`${label}: ${N} subscribers live again after ${figures.reconnect.ms} ms (handshakes ${figures.reconnect.handshakesMs} ms)`)
    const last = await target.emit('main', agent)
    await waitFor(clients, 'main', [last], N)
    expected.push(last)
    await checkSet(clients, 'main', expected, true, reasons)
    await clients.call({ op: 'disconnect', set: 'main', timeoutMs: connectTimeoutMs(N) })

    // The garbage of N closed connections would otherwise be collected during the burst.
    await quiesce(target.pid, settings)
    const B = settings.burstSubscribers
    const burstProbe = await target.probe('burst')
    await connectSet(clients, target, 'burst', B, burstProbe, true)
    const burstStarted = now()
    const ids = await Promise.all(range(settings.burstExits).map(() => target.emit('burst', burstAgent)))
    const got = await waitFor(clients, 'burst', ids, B)
    const burstSeconds = (got.lastAt - burstStarted) / 1000
    figures.burst = {
      framesPerSec: round(got.frames / burstSeconds, 0),
      frames: got.frames,
      seconds: round(burstSeconds, 3),
      subscribers: B,
      exits: settings.burstExits,
    }
    log(`${label}: burst of ${settings.burstExits} to ${B}: ${got.frames} frames in ${burstSeconds.toFixed(2)} s, ${figures.burst.framesPerSec}/s`)
    await checkSet(clients, 'burst', [burstProbe.probeId, ...ids], false, reasons)
    await clients.call({ op: 'disconnect', set: 'burst', timeoutMs: connectTimeoutMs(B) })
  } catch (error) {
    if (!(error instanceof Invalid)) log(`${label}: ${(error as Error)?.stack ?? String(error)}`)
    reasons.push((error as Error)?.message ?? String(error))
  } finally {
    agent.destroy()
    burstAgent.destroy()
    await clients.stop()
  }
  figures.valid = reasons.length === 0
  if (!figures.valid) {
    figures.reasons = reasons
    log(`${label}: INVALID: ${reasons.join(' | ')}`)
  }
  return figures
}

// ---------------------------------------------------------------------------------------------
// Our server per database, and the floor

async function runOurs(name: 'pglite' | 'postgres', databaseUrl: string | undefined, settings: Settings): Promise<Figures> {
  const dataDir = await temporaryFolder('bench-fanout-')
  try {
    const authSecret = randomBytes(32).toString('base64url')
    let started = performance.now()
    const cast = await makeCast(settings, authSecret)
    const db = await openDatabase({ databaseUrl, dataDir })
    try {
      await db.migrate()
      await seed(db.prisma, cast, settings)
    } finally {
      await db.close()
    }
    log(`${name}: ${cast.subscriberTokens.length} subscribers seeded by SQL and their tokens signed in ${seconds(started)}`)
    started = performance.now()
    const server = await startServer({ authSecret, dataDir, databaseUrl, nodeArgs: [...gcNodeArgs, ...serverProfilingArgs] })
    log(`${name}: server (pid ${server.pid}) at ${server.url} after ${seconds(started)}`)
    try {
      const figures = await measure(name, ourTarget(server, performance.now(), cast), settings)
      if (!figures.valid && server.stderr()) log(`${name}: the server's stderr (last lines):\n${server.stderr()}`)
      return figures
    } finally {
      await server.stop()
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true })
  }
}

async function runRaw(settings: Settings, frameBytes: number): Promise<Figures> {
  const raw = await startRawServer()
  log(`raw ws: server (pid ${raw.pid}) at ${raw.wsUrl}, frames of ${frameBytes} bytes`)
  try {
    return await measure('raw ws', rawTarget(raw, frameBytes), settings)
  } finally {
    await raw.stop()
  }
}

/** NaN (null in JSON) unless both are positive: a ratio to a negative time says nothing. */
function ratio(ours: number, raw: number, decimals = 2): number {
  return ours > 0 && raw > 0 ? round(ours / raw, decimals) : NaN
}

/** Ours / raw for each figure: above 1 is slower or bigger, except burstFramesPerSec, where below 1 is slower. */
function ratios(ours: Figures, raw: Figures) {
  return {
    connect: ratio(ours.connect.ms, raw.connect.ms),
    reconnect: ratio(ours.reconnect.ms, raw.reconnect.ms),
    fanoutAllMedian: ratio(ours.fanout.allMedianMs, raw.fanout.allMedianMs),
    fanoutAllMax: ratio(ours.fanout.allMaxMs, raw.fanout.allMaxMs),
    fanoutFirstMedian: ratio(ours.fanout.firstMedianMs, raw.fanout.firstMedianMs),
    fanoutFirstFromSendMedian: ratio(ours.fanout.firstFromSendMedianMs, raw.fanout.firstFromSendMedianMs),
    burstFramesPerSec: ratio(ours.burst.framesPerSec, raw.burst.framesPerSec, 3),
    rssPerConnection: ratio(ours.rss.perSubscriptionKiB, raw.rss.perSubscriptionKiB),
  }
}

function logResults(rows: Record<string, Figures>): void {
  const header = ['', 'connect ms', 'reconnect ms', 'all p50 ms', 'all max ms', 'first p50 ms', 'burst frames/s', 'KiB/sub', 'KiB/sub 1 GC', 'valid']
  const cells = Object.entries(rows).map(([name, f]) =>
    [name, f.connect.ms, f.reconnect.ms, f.fanout.allMedianMs, f.fanout.allMaxMs, f.fanout.firstMedianMs, f.burst.framesPerSec, f.rss.perSubscriptionKiB, f.rss.afterOneGc.perSubscriptionKiB, f.valid].map(String),
  )
  logTable(header, cells)
}

async function main(): Promise<void> {
  const settings = readSettings()
  const serverUrl = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL
  if (settings.only === 'postgres' && !serverUrl) throw new Error('--only=postgres needs BENCH_DATABASE_URL or TEST_DATABASE_URL')

  const ours: Partial<Record<'pglite' | 'postgres', Figures>> = {}
  if (settings.only !== 'postgres') ours.pglite = await runOurs('pglite', undefined, settings)
  if (settings.only !== 'pglite') {
    if (serverUrl) ours.postgres = await onThrowawayDatabase(serverUrl, 'bench_fanout', (url) => runOurs('postgres', url, settings))
    else log('BENCH_DATABASE_URL and TEST_DATABASE_URL are unset: PGlite only.')
  }
  const measuredBytes = Object.values(ours).find((f) => Number.isFinite(f.fanout.frameBytes))?.fanout.frameBytes
  if (measuredBytes === undefined) log(`no frame of ours was measured: the floor sends ${FALLBACK_FRAME_BYTES} bytes`)
  const rawWs = await runRaw(settings, measuredBytes ?? FALLBACK_FRAME_BYTES)

  logResults({ ...ours, 'raw ws': rawWs })
  const measured: Record<string, Figures> = { ...ours, rawWs }
  const reasons = Object.entries(measured).flatMap(([name, f]) => (f.reasons ?? []).map((reason) => `${name}: ${reason}`))
  const valid = reasons.length === 0
  const line = {
    bench: 'fanout',
    date: new Date().toISOString(),
    machine: machine(),
    shape: {
      smoke: settings.smoke,
      subscribers: settings.subscribers,
      exits: settings.exits,
      burstSubscribers: settings.burstSubscribers,
      burstExits: settings.burstExits,
      connectConcurrency: CONNECT_CONCURRENCY,
    },
    valid,
    ...(valid ? {} : { reason: reasons.join(' | ') }),
    ...Object.fromEntries(Object.entries(ours).map(([name, f]) => [name, { ...f, ratio: ratios(f, rawWs) }])),
    rawWs,
  }
  console.log(JSON.stringify(line))
  if (!valid) process.exitCode = 1
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
