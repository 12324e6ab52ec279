// npm run bench:instances [-- --exits K]: what crossing instances adds to live delivery.
// Two server processes (build/main.js, as npm start runs it) over one throwaway PostgreSQL
// database and the machine's Redis; one subscriber on each, both following one group. K exits
// one at a time through instance A: from the mutation sent until the event's frame arrives at
// the subscriber on A (one instance) and on B (through Redis). In the same run, the floor: a raw
// Redis PUBLISH until the subscribed connection has the message, K times.
// PostgreSQL from BENCH_DATABASE_URL or TEST_DATABASE_URL (required: PGlite is one process's);
// Redis from BENCH_REDIS_URL, TEST_REDIS_URL or REDIS_URL (default redis://127.0.0.1:6379).
// Progress and a table on stderr; one JSON line on stdout.
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { Agent } from 'node:http'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { Redis } from 'ioredis'
import WebSocket from 'ws'
import { signToken } from '../src/auth/tokens.js'
import { openDatabase } from '../src/db/database.js'
import { log, logTable, machine, positiveInteger } from './bench-cli.js'
import { percentile, range, round } from './bench-numbers.js'
import { leaveGroup, startServer, temporaryFolder, type Server } from './bench-server.js'
import { onThrowawayDatabase } from './on-database-server.js'

const usage = 'usage: npm run bench:instances -- [--exits K]'
const warmUpExits = 20

interface Latencies {
  /** Mutation sent → frame at the subscriber on A. */
  sameInstance: number[]
  /** Mutation sent → frame at the subscriber on B. */
  otherInstance: number[]
}

/** A graphql-transport-ws subscription spoken by hand: each event id with when its frame arrived. */
async function follow(server: Server, token: string, guid: string): Promise<{ arrivals: Map<string, number>; close(): void }> {
  const socket = new WebSocket(server.url.href.replace(/^http/, 'ws'), 'graphql-transport-ws')
  const arrivals = new Map<string, number>()
  await once(socket, 'open')
  socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }))
  await new Promise<void>((resolve, reject) => {
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { type: string; payload?: { data?: { memberLeft?: { id: string } } } }
      if (message.type === 'connection_ack') resolve()
      else if (message.type === 'next' && message.payload?.data?.memberLeft) arrivals.set(message.payload.data.memberLeft.id, performance.now())
      else if (message.type === 'ping') socket.send(JSON.stringify({ type: 'pong' }))
    })
    socket.once('close', (code) => reject(new Error(`the subscriber's socket closed with ${code}`)))
  })
  socket.send(
    JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'subscription ($guid: ID) { memberLeft(guid: $guid) { id } }', variables: { guid } } }),
  )
  return { arrivals, close: () => socket.close(1000) }
}

async function arrival(arrivals: Map<string, number>, id: string, timeoutMs = 10_000): Promise<number> {
  const deadline = performance.now() + timeoutMs
  while (!arrivals.has(id)) {
    if (performance.now() > deadline) throw new Error(`event ${id} did not arrive within ${timeoutMs} ms`)
    await new Promise((resolve) => setImmediate(resolve))
  }
  return arrivals.get(id)!
}

async function measureInstances(databaseUrl: string, redisUrl: string, exits: number): Promise<Latencies> {
  const prefix = `bi${randomBytes(3).toString('hex')}`
  const guid = `${prefix}_g`
  const db = await openDatabase({ databaseUrl, dataDir: 'memory' })
  try {
    await db.migrate()
    const leavers = range(warmUpExits + exits).map((i) => `${prefix}_l${i}`)
    await db.prisma.user.createMany({ data: [{ uid: `${prefix}_owner`, name: 'Owner' }, ...leavers.map((uid) => ({ uid, name: uid }))] })
    await db.prisma.group.create({ data: { guid, name: 'Instances', type: 'PUBLIC', ownerUid: `${prefix}_owner` } })
    await db.prisma.groupMember.createMany({
      data: [{ groupGuid: guid, uid: `${prefix}_owner`, scope: 'OWNER' }, ...leavers.map((uid) => ({ groupGuid: guid, uid, scope: 'PARTICIPANT' as const }))],
    })
  } finally {
    await db.close()
  }

  const authSecret = randomBytes(32).toString('base64url')
  const env = { REDIS_URL: redisUrl, REDIS_PREFIX: prefix }
  const [a, b] = await Promise.all(
    ['a', 'b'].map(async (name) => startServer({ authSecret, dataDir: await temporaryFolder(`bench-instances-${name}-`), databaseUrl, env })),
  )
  log(`instances: A at ${a.url.href}, B at ${b.url.href}, Redis prefix ${prefix}`)
  const ownerToken = await signToken(authSecret, { sub: `${prefix}_owner` })
  const onA = await follow(a, ownerToken, guid)
  const onB = await follow(b, ownerToken, guid)
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  const latencies: Latencies = { sameInstance: [], otherInstance: [] }
  try {
    for (const [i, uid] of range(warmUpExits + exits).map((n) => [n, `${prefix}_l${n}`] as const)) {
      const token = await signToken(authSecret, { sub: uid })
      const sent = performance.now()
      const { eventId } = await leaveGroup(a.url, agent, token, guid)
      const [onSame, onOther] = await Promise.all([arrival(onA.arrivals, eventId), arrival(onB.arrivals, eventId)])
      if (i < warmUpExits) continue
      latencies.sameInstance.push(onSame - sent)
      latencies.otherInstance.push(onOther - sent)
    }
    const expected = warmUpExits + exits
    if (onA.arrivals.size !== expected || onB.arrivals.size !== expected) {
      throw new Error(`invalid run: A's subscriber has ${onA.arrivals.size} events, B's ${onB.arrivals.size}, expected ${expected} each`)
    }
  } finally {
    onA.close()
    onB.close()
    agent.destroy()
    await Promise.all([a.stop(), b.stop()])
  }
  return latencies
}

/** The floor: PUBLISH on one connection until the subscribed one has the message. */
async function measureRawRedis(redisUrl: string, messages: number): Promise<number[]> {
  const publisher = new Redis(redisUrl)
  const subscriber = new Redis(redisUrl)
  const channel = `bench-instances-${randomBytes(4).toString('hex')}`
  try {
    await subscriber.subscribe(channel)
    let received: (() => void) | undefined
    subscriber.on('message', () => received?.())
    const times: number[] = []
    for (const i of range(warmUpExits + messages)) {
      const arrived = new Promise<void>((resolve) => (received = resolve))
      const sent = performance.now()
      await publisher.publish(channel, `${i}:${i}`)
      await arrived
      if (i >= warmUpExits) times.push(performance.now() - sent)
    }
    return times
  } finally {
    publisher.disconnect()
    subscriber.disconnect()
  }
}

function summary(values: number[]): { p50: number; p99: number; max: number } {
  const sorted = [...values].sort((x, y) => x - y)
  return { p50: round(percentile(sorted, 0.5), 2), p99: round(percentile(sorted, 0.99), 2), max: round(sorted[sorted.length - 1], 2) }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { exits: { type: 'string' } } })
  const exits = positiveInteger('exits', values.exits, 300, usage)
  const databaseServer = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL
  if (!databaseServer) throw new Error(`bench:instances needs PostgreSQL: set BENCH_DATABASE_URL or TEST_DATABASE_URL\n${usage}`)
  const redisUrl = process.env.BENCH_REDIS_URL || process.env.TEST_REDIS_URL || process.env.REDIS_URL || 'redis://127.0.0.1:6379'

  const latencies = await onThrowawayDatabase(databaseServer, 'bench_instances', (url) => measureInstances(url, redisUrl, exits))
  const rawRedis = await measureRawRedis(redisUrl, exits)

  const same = summary(latencies.sameInstance)
  const other = summary(latencies.otherInstance)
  const added = { p50: round(other.p50 - same.p50, 2), p99: round(other.p99 - same.p99, 2) }
  // The same exit's frame on B after A's: what Redis and B's read add to that one event.
  const perExit = summary(latencies.otherInstance.map((ms, i) => ms - latencies.sameInstance[i]))
  const redis = summary(rawRedis)
  logTable(
    ['ms, over ' + exits + ' exits', 'p50', 'p99', 'max'],
    [
      ['subscriber on the same instance', String(same.p50), String(same.p99), String(same.max)],
      ['subscriber on another instance', String(other.p50), String(other.p99), String(other.max)],
      ['added by crossing instances', String(added.p50), String(added.p99), ''],
      ['B after A, per exit', String(perExit.p50), String(perExit.p99), String(perExit.max)],
      ['raw Redis PUBLISH to message', String(redis.p50), String(redis.p99), String(redis.max)],
    ],
  )
  console.log(
    JSON.stringify({
      bench: 'instances',
      date: new Date().toISOString(),
      machine: machine(),
      exits,
      sameInstanceMs: same,
      otherInstanceMs: other,
      addedMs: added,
      otherAfterSamePerExitMs: perExit,
      rawRedisMs: redis,
    }),
  )
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
