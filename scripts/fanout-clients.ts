// The subscribers of `npm run bench:fanout`, in a process of their own so that the server's RSS
// and CPU are the server's alone. Commands come over IPC from scripts/bench-fanout.ts. Each
// subscriber is one raw `ws` socket speaking graphql-transport-ws by hand (or, for the raw
// floor, nothing at all): a graphql-ws client per socket would cost more than what is measured.
// Frames are not parsed as JSON on the hot path, only searched for the event id.
import WebSocket from 'ws'

export type SetName = 'main' | 'burst'

export interface ConnectCommand {
  op: 'connect'
  set: SetName
  /** graphql: graphql-transport-ws with connection_init and subscribe; raw: the server sends on its own. */
  kind: 'graphql' | 'raw'
  url: string
  count: number
  /** One per subscriber, on a set's first connect; kept for reconnects. */
  tokens?: string[]
  guid?: string
  /** The subscription's `after` for a subscriber that has received nothing yet; later, its last event. */
  after?: string
  /** The event whose receipt shows that a subscriber is live. */
  probeId: string
  /** Handshakes in flight at once. */
  concurrency: number
  timeoutMs: number
}

export type ClientCommand =
  | ConnectCommand
  | { op: 'wait'; set: SetName; ids: string[]; timeoutMs: number }
  | { op: 'disconnect'; set: SetName; timeoutMs: number }
  | { op: 'check'; set: SetName; expected: string[]; ordered: boolean }
  | { op: 'frame-bytes'; set: SetName; id: string }
  /** Errors, unexpected frames and closes so far. */
  | { op: 'problems'; set: SetName }

/** Times are epoch milliseconds with sub-millisecond precision (performance.timeOrigin + now()). */
export interface ConnectResult {
  startedAt: number
  /** Every socket open (raw) or acknowledged (graphql); NaN if some never were. */
  handshakenAt: number
  /** Every subscriber has the probe; NaN if some never had it. */
  liveAt: number
  live: number
}

export interface WaitResult {
  complete: boolean
  firstAt: number
  lastAt: number
  frames: number
  missing: number
}

export interface CheckResult {
  ok: boolean
  problems: string[]
}

export type ClientRequest = { seq: number; command: ClientCommand }
export type ClientReply = { seq: number; result?: unknown; error?: string }

const subscriptionQuery = `subscription($guid: ID!, $after: ID) { memberLeft(guid:$guid, after:$after) { id exitType reason members { uid name } operator { uid } occurredAt } }`
const subscriptionId = '1'
const MAX_PROBLEMS = 20
const POLL_MS = 5

interface Receipt {
  count: number
  firstAt: number
  lastAt: number
  bytes: number
}

interface Subscriber {
  index: number
  token?: string
  socket?: WebSocket
  /** Event ids in the order received, over every connection this subscriber has had. */
  ids: string[]
}

interface SubscriberSet {
  subscribers: Subscriber[]
  receipts: Map<string, Receipt>
  problems: string[]
  problemCount: number
}

const sets = new Map<SetName, SubscriberSet>()
/** Sockets this process closed: their close is no problem. */
const closedHere = new WeakSet<WebSocket>()
const now = () => performance.timeOrigin + performance.now()
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function setOf(name: SetName): SubscriberSet {
  let set = sets.get(name)
  if (!set) {
    set = { subscribers: [], receipts: new Map(), problems: [], problemCount: 0 }
    sets.set(name, set)
  }
  return set
}

function problem(set: SubscriberSet, text: string): void {
  set.problemCount++
  if (set.problems.length < MAX_PROBLEMS) set.problems.push(text)
}

function record(set: SubscriberSet, subscriber: Subscriber, id: string, bytes: number): void {
  const at = now()
  subscriber.ids.push(id)
  const receipt = set.receipts.get(id)
  if (receipt) {
    receipt.count++
    receipt.lastAt = at
  } else {
    set.receipts.set(id, { count: 1, firstAt: at, lastAt: at, bytes })
  }
}

const eventNeedle = Buffer.from('"memberLeft":{"id":"')
const errorsNeedle = Buffer.from('"errors"')

function connect(command: ConnectCommand): Promise<ConnectResult> {
  const set = setOf(command.set)
  if (command.tokens) {
    set.subscribers = command.tokens.slice(0, command.count).map((token, index) => ({ index, token, ids: [] }))
  }
  while (set.subscribers.length < command.count) set.subscribers.push({ index: set.subscribers.length, ids: [] })
  const startedAt = now()
  let handshaken = 0
  let handshakenAt = NaN
  let next = 0
  let inFlight = 0
  /** Closed by the server before the probe came: they will never be live, so nobody waits for them. */
  let lost = 0

  const openNext = () => {
    while (inFlight < command.concurrency && next < command.count) {
      inFlight++
      open(set.subscribers[next++])
    }
  }
  const onHandshake = () => {
    inFlight--
    if (++handshaken === command.count) handshakenAt = now()
    openNext()
  }

  const open = (subscriber: Subscriber) => {
    let handshakeDone = false
    const finishHandshake = () => {
      if (handshakeDone) return
      handshakeDone = true
      onHandshake()
    }
    const graphql = command.kind === 'graphql'
    const socket = new WebSocket(command.url, graphql ? 'graphql-transport-ws' : undefined, { perMessageDeflate: false })
    subscriber.socket = socket
    socket.on('open', () => {
      if (!graphql) return finishHandshake()
      socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${subscriber.token}` } }))
    })
    socket.on('message', (data: Buffer) => {
      const at = data.indexOf(eventNeedle)
      if (at >= 0 && data.indexOf(errorsNeedle) < 0) {
        const start = at + eventNeedle.length
        record(set, subscriber, data.toString('latin1', start, data.indexOf(0x22, start)), data.length)
        return
      }
      const text = data.toString('utf8')
      let message: { type?: string } | undefined
      try {
        message = JSON.parse(text) as { type?: string }
      } catch {
        message = undefined
      }
      if (message?.type === 'connection_ack') {
        const after = subscriber.ids.at(-1) ?? command.after
        socket.send(
          JSON.stringify({ id: subscriptionId, type: 'subscribe', payload: { query: subscriptionQuery, variables: { guid: command.guid, after } } }),
        )
        finishHandshake()
      } else if (message?.type === 'ping') {
        socket.send('{"type":"pong"}')
      } else if (message?.type !== 'pong') {
        problem(set, `subscriber ${subscriber.index}: unexpected frame ${text.slice(0, 500)}`)
      }
    })
    socket.on('error', (error) => problem(set, `subscriber ${subscriber.index}: ${error.message}`))
    socket.on('close', (code, reason) => {
      if (!closedHere.has(socket)) {
        problem(set, `subscriber ${subscriber.index}: closed by the server with ${code} ${reason.toString()}`)
        if (!subscriber.ids.includes(command.probeId)) lost++
      }
      // A socket that never got through its handshake frees its slot, so the rest still connect.
      finishHandshake()
    })
  }

  openNext()
  return (async () => {
    const deadline = startedAt + command.timeoutMs
    const probe = () => set.receipts.get(command.probeId)
    while ((probe()?.count ?? 0) + lost < command.count && now() < deadline) await sleep(POLL_MS)
    const live = probe()?.count ?? 0
    return { startedAt, handshakenAt, liveAt: live === command.count ? probe()!.lastAt : NaN, live }
  })()
}

async function wait(name: SetName, ids: string[], timeoutMs: number): Promise<WaitResult> {
  const set = setOf(name)
  const wanted = set.subscribers.length
  const deadline = now() + timeoutMs
  const frames = () => ids.reduce((sum, id) => sum + Math.min(wanted, set.receipts.get(id)?.count ?? 0), 0)
  while (frames() < wanted * ids.length && now() < deadline) await sleep(POLL_MS)
  const receipts = ids.map((id) => set.receipts.get(id))
  const received = frames()
  return {
    complete: received === wanted * ids.length,
    firstAt: Math.min(...receipts.map((r) => r?.firstAt ?? NaN)),
    lastAt: Math.max(...receipts.map((r) => r?.lastAt ?? NaN)),
    frames: ids.reduce((sum, id) => sum + (set.receipts.get(id)?.count ?? 0), 0),
    missing: wanted * ids.length - received,
  }
}

async function disconnect(name: SetName, timeoutMs: number): Promise<void> {
  const set = setOf(name)
  const open = set.subscribers.filter((s) => s.socket && s.socket.readyState !== WebSocket.CLOSED)
  let left = open.length
  await new Promise<void>((resolve) => {
    if (left === 0) return resolve()
    const timer = setTimeout(() => {
      for (const s of open) s.socket!.terminate()
      resolve()
    }, timeoutMs)
    for (const s of open) {
      closedHere.add(s.socket!)
      s.socket!.once('close', () => {
        if (--left === 0) {
          clearTimeout(timer)
          resolve()
        }
      })
      s.socket!.close(1000)
    }
  })
}

function problemsOf(set: SubscriberSet): string[] {
  const problems = [...set.problems]
  if (set.problemCount > set.problems.length) problems.push(`… ${set.problemCount - set.problems.length} more problems`)
  return problems
}

/** Every subscriber must have every expected event exactly once: in that order, or (unordered) in one order shared by all. */
function check(name: SetName, expected: string[], ordered: boolean): CheckResult {
  const set = setOf(name)
  const problems = problemsOf(set)
  const want = ordered ? expected.join(',') : [...expected].sort().join(',')
  const shared = set.subscribers[0]?.ids.join(',')
  let wrong = 0
  for (const s of set.subscribers) {
    const got = ordered ? s.ids.join(',') : [...s.ids].sort().join(',')
    const bad = got !== want || (!ordered && s.ids.join(',') !== shared)
    if (bad && ++wrong <= 3) problems.push(`subscriber ${s.index} received [${s.ids.join(',')}], expected ${ordered ? '' : 'in any one order '}[${expected.join(',')}]`)
  }
  if (wrong > 3) problems.push(`… ${wrong - 3} more subscribers received the wrong events`)
  return { ok: problems.length === 0, problems }
}

async function run(command: ClientCommand): Promise<unknown> {
  switch (command.op) {
    case 'connect':
      return connect(command)
    case 'wait':
      return wait(command.set, command.ids, command.timeoutMs)
    case 'disconnect':
      return disconnect(command.set, command.timeoutMs)
    case 'check':
      return check(command.set, command.expected, command.ordered)
    case 'frame-bytes':
      return setOf(command.set).receipts.get(command.id)?.bytes ?? null
    case 'problems':
      return problemsOf(setOf(command.set))
  }
}

process.on('message', (request: ClientRequest) => {
  run(request.command).then(
    (result) => process.send!({ seq: request.seq, result } satisfies ClientReply),
    (error: unknown) => process.send!({ seq: request.seq, error: String((error as Error)?.stack ?? error) } satisfies ClientReply),
  )
})
// Without the parent there is nobody to report to.
process.on('disconnect', () => process.exit(0))
