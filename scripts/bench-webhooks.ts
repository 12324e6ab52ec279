// npm run bench:webhooks [-- <N>]: deliveries per second through one WebhookDispatcher (the real
// HTTP sender, the default per-endpoint concurrency) to one local receiver that answers 200 at
// once, on an in-memory PGlite, and on PostgreSQL too when TEST_DATABASE_URL or DATABASE_URL is
// set (on a throwaway database, dropped afterwards). The baseline, measured in the same run just
// before each database's figure: as many signed POSTs with postWebhook alone, no database, at the
// same concurrency. The ratio is what the outbox costs: claiming, reading the event, recording.
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { onDatabaseServer } from './on-database-server.js'
import { openDatabase, type Database } from '../src/db/database.js'
import { systemClock } from '../src/domain/clock.js'
import { recordExits } from '../src/domain/exits/record-exit.js'
import type { MemberLeftEvent } from '../src/generated/prisma/client.js'
import { postWebhook } from '../src/webhooks/http-sender.js'
import { callbackUrl, memberExitCallback } from '../src/webhooks/member-exit-callback.js'
import { SecretBox } from '../src/webhooks/secret-box.js'
import { generateWebhookSecret, webhookHeaders } from '../src/webhooks/signing.js'
import { WebhookDispatcher } from '../src/webhooks/webhook-dispatcher.js'

const N = Number(process.argv[2] ?? 2000)
if (!Number.isInteger(N) || N < 1) throw new Error('usage: npx tsx scripts/bench-webhooks.ts [N, a positive integer]')
/** WebhookDispatcher's default perEndpointConcurrency: the baseline POSTs at the same concurrency. */
const CONCURRENCY = 8
const TIMEOUT_MS = 5000
const APP_ID = '1400000000'
const BATCH = 500

interface Receiver {
  url: string
  ids: Set<string>
  requests: number
  close(): Promise<void>
}

/** Answers 200 at once; keeps the webhook-ids it saw, to check that each delivery came once. */
async function startReceiver(): Promise<Receiver> {
  const state = { ids: new Set<string>(), requests: 0 }
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      state.requests++
      state.ids.add(String(req.headers['webhook-id']))
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}')
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/callback`,
    get ids() {
      return state.ids
    },
    get requests() {
      return state.requests
    },
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** `count` signed POSTs of a typical body, CONCURRENCY at a time; POSTs per second. */
async function baseline(receiver: Receiver, count: number, options: { warmUp?: boolean } = {}): Promise<number> {
  const secret = generateWebhookSecret()
  const event: MemberLeftEvent = {
    id: 1n,
    txid: 1n,
    exitType: 'QUIT',
    reason: 'LEFT_BY_OWN_CHOICE',
    groupGuid: 'g_bench',
    chatRoomId: null,
    memberUids: ['member'],
    operatorUid: 'member',
    operatorSub: 'member',
    occurredAt: new Date(),
  }
  const url = callbackUrl(receiver.url, APP_ID)
  let next = 0
  let failed = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) {
        const i = next++
        const body = JSON.stringify(memberExitCallback({ ...event, id: BigInt(i + 1) }, 'PUBLIC'))
        const headers = webhookHeaders(secret, { id: `msg_baseline${i}`, timestamp: new Date(), body })
        if (!(await postWebhook({ url, headers, body }, { timeoutMs: TIMEOUT_MS, allowPrivate: true })).ok) failed++
      }
    }),
  )
  const seconds = (performance.now() - started) / 1000
  if (failed > 0 && !options.warmUp) throw new Error(`${failed} baseline POSTs failed`)
  return count / seconds
}

/** One endpoint on the receiver and N committed exits: N PENDING deliveries. Returns the secret box. */
async function enqueue(db: Database, receiver: Receiver): Promise<SecretBox> {
  const { prisma } = db
  const box = new SecretBox(randomBytes(32).toString('base64'))
  await prisma.webhookEndpoint.create({
    data: { id: 'we_bench', url: receiver.url, sealedSecret: box.seal(generateWebhookSecret()), createdAt: new Date() },
  })
  await prisma.user.create({ data: { uid: 'bench_owner', name: 'Bench owner' } })
  await prisma.group.create({ data: { guid: 'g_bench', name: 'Bench', type: 'PUBLIC', ownerUid: 'bench_owner' } })
  for (let done = 0; done < N; done += BATCH) {
    const size = Math.min(BATCH, N - done)
    await prisma.$transaction(
      (tx) =>
        recordExits(
          tx,
          Array.from({ length: size }, (_, i) => ({
            exitType: 'QUIT' as const,
            reason: 'LEFT_BY_OWN_CHOICE' as const,
            groupGuid: 'g_bench',
            memberUids: [`member${done + i}`],
            operatorUid: `member${done + i}`,
            occurredAt: new Date(),
          })),
        ),
      { timeout: 120_000 },
    )
  }
  const pending = await prisma.webhookDelivery.count({ where: { status: 'PENDING' } })
  if (pending !== N) throw new Error(`expected ${N} pending deliveries, found ${pending}`)
  return box
}

/** Times one dispatcher sending every pending delivery, until all are recorded SUCCEEDED. */
async function dispatch(db: Database, receiver: Receiver, box: SecretBox): Promise<{ seconds: number }> {
  const { prisma } = db
  const errors: unknown[] = []
  const dispatcher = new WebhookDispatcher({
    prisma,
    clock: systemClock,
    secretBox: box,
    appId: APP_ID,
    timeoutMs: TIMEOUT_MS,
    retryDelaysSeconds: [10, 60],
    allowPrivate: true,
    pollMs: 3_600_000, // driven by nudges, as in the service: each finished send nudges the next pass
    onError: (error) => errors.push(error),
  })
  const before = receiver.requests
  receiver.ids.clear()
  const started = performance.now()
  dispatcher.start()
  // Wait for the receiver without touching the database, then for the last results to be recorded.
  while (receiver.requests - before < N) {
    if (errors.length > 0) throw errors[0]
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
  while ((await prisma.webhookDelivery.count({ where: { status: 'SUCCEEDED' } })) < N) {
    if (performance.now() - started > 600_000 || errors.length > 0) throw errors[0] ?? new Error('the deliveries were not all recorded')
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
  const seconds = (performance.now() - started) / 1000
  await dispatcher.stop()

  const rows = await prisma.webhookDelivery.groupBy({ by: ['status', 'attempts'], _count: { _all: true } })
  if (rows.length !== 1 || rows[0].status !== 'SUCCEEDED' || rows[0].attempts !== 1 || rows[0]._count._all !== N) {
    throw new Error(`expected ${N} deliveries SUCCEEDED at the first attempt, found ${JSON.stringify(rows)}`)
  }
  if (receiver.requests - before !== N || receiver.ids.size !== N) {
    throw new Error(`the receiver got ${receiver.requests - before} requests with ${receiver.ids.size} webhook-ids for ${N} deliveries`)
  }
  return { seconds }
}

async function main(): Promise<void> {
  const receiver = await startReceiver()
  const rows: string[][] = []
  try {
    const run = async (name: string, db: Database) => {
      const box = await enqueue(db, receiver)
      // Warm-up, baseline and dispatcher back to back, so that all find the same live connections.
      // (After a long run of PGlite queries, which never yield to I/O, pooled sockets that the
      // receiver closed meanwhile are still taken for live: the first POSTs fail with ECONNRESET.
      // The warm-up takes those failures.)
      await baseline(receiver, Math.min(N, 500), { warmUp: true })
      const baselineRate = await baseline(receiver, N)
      const { seconds } = await dispatch(db, receiver, box)
      const rate = N / seconds
      rows.push([name, String(N), seconds.toFixed(2), rate.toFixed(0), baselineRate.toFixed(0), (rate / baselineRate).toFixed(3)])
    }

    const pglite = await openDatabase({ dataDir: 'memory' })
    try {
      await pglite.migrate()
      await run('pglite', pglite)
    } finally {
      await pglite.close()
    }

    const serverUrl = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL
    if (serverUrl) {
      const name = `departures_bench_${randomBytes(5).toString('hex')}`
      await onDatabaseServer(serverUrl, `CREATE DATABASE ${name}`)
      const url = new URL(serverUrl)
      url.pathname = `/${name}`
      try {
        const postgres = await openDatabase({ databaseUrl: url.toString(), dataDir: 'memory' })
        try {
          await postgres.migrate()
          await run('postgres', postgres)
        } finally {
          await postgres.close()
        }
      } finally {
        await onDatabaseServer(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      }
    } else {
      console.log('TEST_DATABASE_URL and DATABASE_URL are unset: PGlite only.')
    }
  } finally {
    await receiver.close()
  }

  console.log(`webhook dispatch: N=${N} deliveries to one local receiver answering 200 at once; one dispatcher, per-endpoint concurrency ${CONCURRENCY}`)
  const header = ['database', 'N', 'seconds', 'deliveries/s', 'baseline POSTs/s', 'ratio']
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
  for (const row of [header, ...rows]) console.log(row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '))
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
