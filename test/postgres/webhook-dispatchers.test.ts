// Runs only in the postgres project: PGlite has one connection, so two dispatchers there would
// take turns, never claim at the same moment. Here each has its own PrismaClient and pool.
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { openDatabase, type Database } from '../../src/db/database.js'
import { systemClock } from '../../src/domain/clock.js'
import { recordExits } from '../../src/domain/exits/record-exit.js'
import { createWebhookEndpoint } from '../../src/domain/webhooks/manage-endpoints.js'
import { assertAllowedHost } from '../../src/webhooks/address-policy.js'
import { postWebhook } from '../../src/webhooks/http-sender.js'
import { SecretBox } from '../../src/webhooks/secret-box.js'
import { generateWebhookSecret } from '../../src/webhooks/signing.js'
import { WebhookDispatcher } from '../../src/webhooks/webhook-dispatcher.js'
import { appAdmin, domainDeps, seedGroup } from '../support/domain-fixtures.js'
import { testPostgresUrl } from '../support/database.js'
import { openPrivateTestDatabase } from '../support/private-database.js'
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js'

const DELIVERIES = 200
const TIMEOUT_MS = 10_000

let db: Database
const instances: Database[] = []
let receiver: WebhookReceiver
const box = new SecretBox('webhook-dispatchers-test-key')

beforeAll(async () => {
  // A private database: the dispatchers take every due delivery in it, other files' included.
  db = await openPrivateTestDatabase()
  const [{ name }] = await db.prisma.$queryRawUnsafe<{ name: string }[]>('SELECT current_database() AS name')
  const url = new URL(testPostgresUrl())
  url.pathname = `/${name}`
  for (let i = 0; i < 2; i++) instances.push(await openDatabase({ databaseUrl: url.toString(), dataDir: 'memory' }))
  receiver = await startWebhookReceiver()
})
afterAll(async () => {
  await Promise.all(instances.map((instance) => instance.close()))
  await receiver?.close()
  await db?.close() // last: it drops the database
})

test(`two dispatchers on their own connections share ${DELIVERIES} due deliveries: each sent exactly once, at the first attempt`, { timeout: 60_000 }, async () => {
  const deps = {
    ...domainDeps(db),
    webhookSecrets: { generate: generateWebhookSecret, seal: (secret: string) => box.seal(secret) },
    checkWebhookHost: (hostname: string) => assertAllowedHost(hostname, true),
  }
  const { value } = await createWebhookEndpoint(deps, appAdmin, { url: receiver.url })
  const { guid } = await seedGroup(db)
  const events = await db.prisma.$transaction((tx) =>
    recordExits(
      tx,
      Array.from({ length: DELIVERIES }, (_, i) => ({
        exitType: 'KICKED' as const,
        reason: 'ADMIN_REMOVED' as const,
        groupGuid: guid,
        memberUids: [`member${i}`],
        operatorUid: null,
        occurredAt: new Date(),
      })),
    ),
  )
  expect(events).toHaveLength(DELIVERIES)
  const ids = (await db.prisma.webhookDelivery.findMany({ where: { endpointId: value.endpoint.id }, select: { id: true } })).map((d) => d.id)
  expect(ids).toHaveLength(DELIVERIES)

  const errors: unknown[] = []
  const sentBy = [0, 0]
  const dispatchers = instances.map(
    (instance, n) =>
      new WebhookDispatcher({
        prisma: instance.prisma,
        clock: systemClock,
        secretBox: box,
        appId: '1400000002',
        timeoutMs: TIMEOUT_MS,
        retryDelaysSeconds: [60],
        allowPrivate: true,
        pollMs: 3_600_000,
        onError: (error) => errors.push(error),
        // The real HTTP sender, counted per dispatcher.
        post: (request) => {
          sentBy[n]++
          return postWebhook(request, { timeoutMs: TIMEOUT_MS, allowPrivate: true })
        },
      }),
  )

  const pending = () => db.prisma.webhookDelivery.count({ where: { status: 'PENDING' } })
  const deadline = Date.now() + 30_000
  async function drain(dispatcher: WebhookDispatcher): Promise<void> {
    for (;;) {
      if ((await dispatcher.dispatchOnce()) > 0) continue
      if ((await pending()) === 0) return
      if (Date.now() > deadline) throw new Error(`${await pending()} deliveries still PENDING`)
      await sleep(5) // the rest is in flight at the other dispatcher
    }
  }
  await Promise.all(dispatchers.map(drain))
  await Promise.all(dispatchers.map((d) => d.stop()))

  console.info(`dispatcher 1 sent ${sentBy[0]}, dispatcher 2 sent ${sentBy[1]} of ${DELIVERIES}`)
  expect(errors).toEqual([])
  const received = receiver.received.map((w) => String(w.headers['webhook-id']))
  const duplicates = received.filter((id, i) => received.indexOf(id) !== i)
  expect(duplicates).toEqual([])
  expect(received.sort()).toEqual([...ids].sort())
  expect(sentBy[0] + sentBy[1]).toBe(DELIVERIES)
  expect(sentBy[0]).toBeGreaterThan(0)
  expect(sentBy[1]).toBeGreaterThan(0)

  const rows = await db.prisma.webhookDelivery.groupBy({ by: ['status', 'attempts'], _count: { _all: true } })
  expect(rows.map((r) => ({ status: r.status, attempts: r.attempts, count: r._count._all }))).toEqual([{ status: 'SUCCEEDED', attempts: 1, count: DELIVERIES }])
  expect(await db.prisma.webhookDelivery.count({ where: { OR: [{ claimedUntil: { not: null } }, { deliveredAt: null }] } })).toBe(0)
})
