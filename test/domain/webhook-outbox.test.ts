import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { Database } from '../../src/db/database.js'
import { recordExits, wroteWebhookDeliveries } from '../../src/domain/exits/record-exit.js'
import { leaveAllGroups } from '../../src/domain/groups/leave-all-groups.js'
import { leaveGroup } from '../../src/domain/groups/leave-group.js'
import { removeMembers } from '../../src/domain/groups/remove-members.js'
import { createWebhookEndpoint, deleteWebhookEndpoint, updateWebhookEndpoint } from '../../src/domain/webhooks/manage-endpoints.js'
import type { WebhookEndpointDeps } from '../../src/domain/webhooks/webhook-deps.js'
import type { MemberLeftEvent } from '../../src/generated/prisma/client.js'
import { assertAllowedHost } from '../../src/webhooks/address-policy.js'
import { SecretBox } from '../../src/webhooks/secret-box.js'
import { generateWebhookSecret } from '../../src/webhooks/signing.js'
import { uniqueId } from '../support/database.js'
import { appAdmin, domainDeps, seedGroup, userActor } from '../support/domain-fixtures.js'
import { expectDomainError } from '../support/expect-domain-error.js'
import { openPrivateTestDatabase } from '../support/private-database.js'

// The outbox: deliveries are written in the exit's transaction, one per enabled endpoint. A
// private database, because every exit gets a delivery for every endpoint in it: another file's
// endpoints would change the counts, and its dispatcher could take these deliveries.

let db: Database
let deps: WebhookEndpointDeps
let enabledA: string
let enabledB: string
let disabled: string

beforeAll(async () => {
  db = await openPrivateTestDatabase()
  const box = new SecretBox('webhook-outbox-test-key')
  deps = {
    ...domainDeps(db),
    webhookSecrets: { generate: generateWebhookSecret, seal: (secret) => box.seal(secret) },
    checkWebhookHost: (hostname) => assertAllowedHost(hostname, true),
  }
  enabledA = await endpoint('http://127.0.0.1:9/a')
  enabledB = await endpoint('http://127.0.0.1:9/b')
  disabled = await endpoint('http://127.0.0.1:9/off', false)
})
afterAll(() => db?.close())

async function endpoint(url: string, enabled = true): Promise<string> {
  const { value } = await createWebhookEndpoint(deps, appAdmin, { url, enabled })
  return value.endpoint.id
}

const deliveriesOf = (events: MemberLeftEvent[]) =>
  db.prisma.webhookDelivery.findMany({ where: { eventId: { in: events.map((e) => e.id) } }, orderBy: [{ eventId: 'asc' }, { endpointId: 'asc' }] })

const enabledEndpointIds = async () =>
  (await db.prisma.webhookEndpoint.findMany({ where: { enabled: true }, select: { id: true } })).map((e) => e.id).sort()

/** Exactly one fresh PENDING delivery per event and enabled endpoint, due when the exit happened. */
async function expectOneDeliveryPerEnabledEndpoint(events: MemberLeftEvent[]) {
  const enabled = await enabledEndpointIds()
  expect(enabled).not.toContain(disabled)
  const deliveries = await deliveriesOf(events)
  expect(deliveries.map((d) => [d.eventId, d.endpointId])).toEqual(events.flatMap((e) => enabled.map((id) => [e.id, id])))
  for (const delivery of deliveries) {
    const event = events.find((e) => e.id === delivery.eventId)!
    expect(delivery).toMatchObject({
      status: 'PENDING',
      attempts: 0,
      lastStatusCode: null,
      lastError: null,
      deliveredAt: null,
      claimedUntil: null,
      nextAttemptAt: event.occurredAt,
      createdAt: event.occurredAt,
    })
    expect(delivery.id).toMatch(/^msg_[0-9a-f]{32}$/)
  }
  expect(new Set(deliveries.map((d) => d.id)).size).toBe(deliveries.length)
  return deliveries
}

describe('webhook outbox', () => {
  test('a committed leave has exactly one PENDING delivery per enabled endpoint and none for a disabled one', async () => {
    const g = await seedGroup(db, { scopes: ['PARTICIPANT'] })
    const { events } = await leaveGroup(deps, userActor(g.uids[0]), { guid: g.guid })
    expect(events).toHaveLength(1)
    const deliveries = await expectOneDeliveryPerEnabledEndpoint(events)
    expect(deliveries.map((d) => d.endpointId).sort()).toEqual([enabledA, enabledB].sort())
    expect(await db.prisma.webhookDelivery.count({ where: { endpointId: disabled } })).toBe(0)
  })

  test('an exit says whether it wrote deliveries, so that only such exits wake the dispatcher', async () => {
    const g = await seedGroup(db, { scopes: ['PARTICIPANT', 'PARTICIPANT'] })
    const { events: withEndpoints } = await leaveGroup(deps, userActor(g.uids[0]), { guid: g.guid })
    expect(withEndpoints.map(wroteWebhookDeliveries)).toEqual([true])
    const enabled = await enabledEndpointIds()
    for (const id of enabled) await updateWebhookEndpoint(deps, appAdmin, { id, enabled: false })
    try {
      const { events: withoutEndpoints } = await leaveGroup(deps, userActor(g.uids[1]), { guid: g.guid })
      expect(withoutEndpoints.map(wroteWebhookDeliveries)).toEqual([false])
    } finally {
      for (const id of enabled) await updateWebhookEndpoint(deps, appAdmin, { id, enabled: true })
    }
  })

  test('a batch removal is one event with one delivery per enabled endpoint, whatever the number of members', async () => {
    const g = await seedGroup(db, { scopes: ['PARTICIPANT', 'PARTICIPANT', 'MODERATOR'] })
    const { value, events } = await removeMembers(deps, appAdmin, { guid: g.guid, uids: g.uids })
    expect(value.removed).toHaveLength(3)
    expect(events).toHaveLength(1)
    await expectOneDeliveryPerEnabledEndpoint(events)
  })

  test('an endpoint switched off gets nothing for later exits; switched on again, it does', async () => {
    const toggled = await endpoint('http://127.0.0.1:9/toggled')
    await updateWebhookEndpoint(deps, appAdmin, { id: toggled, enabled: false })
    const g = await seedGroup(db, { scopes: ['PARTICIPANT', 'PARTICIPANT'] })
    const off = await leaveGroup(deps, userActor(g.uids[0]), { guid: g.guid })
    expect((await deliveriesOf(off.events)).map((d) => d.endpointId)).not.toContain(toggled)
    await expectOneDeliveryPerEnabledEndpoint(off.events)

    await updateWebhookEndpoint(deps, appAdmin, { id: toggled, enabled: true })
    const on = await leaveGroup(deps, userActor(g.uids[1]), { guid: g.guid })
    expect((await deliveriesOf(on.events)).map((d) => d.endpointId)).toContain(toggled)
    await expectOneDeliveryPerEnabledEndpoint(on.events)
    await deleteWebhookEndpoint(deps, appAdmin, { id: toggled })
  })

  test('an owner refused with ERR_OWNER_MUST_TRANSFER leaves no event and no delivery', async () => {
    const g = await seedGroup(db, { scopes: ['PARTICIPANT'], policy: 'TRANSFER_REQUIRED' })
    const before = await db.prisma.webhookDelivery.count()
    await expectDomainError(leaveGroup(deps, userActor(g.owner), { guid: g.guid }), 'ERR_OWNER_MUST_TRANSFER')
    expect(await db.prisma.memberLeftEvent.count({ where: { groupGuid: g.guid } })).toBe(0)
    expect(await db.prisma.webhookDelivery.count()).toBe(before)
  })

  test('a transaction that fails after recordExits rolls back its events and their deliveries together', async () => {
    const guid = uniqueId('g')
    const before = await db.prisma.webhookDelivery.count()
    let recorded: MemberLeftEvent[] = []
    let enqueuedInside = 0
    await expect(
      db.prisma.$transaction(async (tx) => {
        recorded = await recordExits(tx, [
          { exitType: 'QUIT', reason: 'LEFT_BY_OWN_CHOICE', groupGuid: guid, memberUids: ['u1'], operatorUid: 'u1', occurredAt: new Date() },
          { exitType: 'KICKED', reason: 'ADMIN_REMOVED', groupGuid: guid, memberUids: ['u2'], operatorUid: null, occurredAt: new Date() },
        ])
        // Written, inside the transaction: the rollback, not the absence of a write, removes them.
        enqueuedInside = await tx.webhookDelivery.count({ where: { eventId: { in: recorded.map((e) => e.id) } } })
        throw new Error('fails after recording the exits')
      }),
    ).rejects.toThrow('fails after recording the exits')
    expect(recorded).toHaveLength(2)
    expect(enqueuedInside).toBe(2 * (await enabledEndpointIds()).length)
    expect(await db.prisma.memberLeftEvent.count({ where: { id: { in: recorded.map((e) => e.id) } } })).toBe(0)
    expect(await db.prisma.memberLeftEvent.count({ where: { groupGuid: guid } })).toBe(0)
    expect(await db.prisma.webhookDelivery.count({ where: { eventId: { in: recorded.map((e) => e.id) } } })).toBe(0)
    expect(await db.prisma.webhookDelivery.count()).toBe(before)
  })

  test('leaving every group writes deliveries for every event it records, none for the group it must keep', async () => {
    const kept = await seedGroup(db, { scopes: ['PARTICIPANT'], policy: 'TRANSFER_REQUIRED' })
    const user = kept.owner
    const others = [await seedGroup(db, { scopes: ['PARTICIPANT'] }), await seedGroup(db), await seedGroup(db, { policy: 'DISSOLVE' })]
    await db.prisma.groupMember.createMany({ data: others.map((g) => ({ groupGuid: g.guid, uid: user, scope: 'PARTICIPANT' as const, joinedAt: new Date() })) })

    const { value, events } = await leaveAllGroups(deps, userActor(user), {})
    expect(value.skipped.map((g) => g.guid)).toEqual([kept.guid])
    expect(events.map((e) => e.groupGuid).sort()).toEqual(others.map((g) => g.guid).sort())
    const deliveries = await expectOneDeliveryPerEnabledEndpoint(events)
    expect(deliveries).toHaveLength(3 * 2)
    expect(await db.prisma.memberLeftEvent.count({ where: { groupGuid: kept.guid } })).toBe(0)
  })

  test('an endpoint created after an exit gets no delivery for it', async () => {
    const g = await seedGroup(db, { scopes: ['PARTICIPANT'] })
    const { events } = await leaveGroup(deps, userActor(g.uids[0]), { guid: g.guid })
    const late = await endpoint('http://127.0.0.1:9/late')
    expect(await db.prisma.webhookDelivery.count({ where: { endpointId: late } })).toBe(0)
    expect((await deliveriesOf(events)).map((d) => d.endpointId)).not.toContain(late)
    await deleteWebhookEndpoint(deps, appAdmin, { id: late })
  })

  test('deleting an endpoint deletes its deliveries and leaves the other endpoints’ deliveries of the same exits', async () => {
    const doomed = await endpoint('http://127.0.0.1:9/doomed')
    const g = await seedGroup(db, { scopes: ['PARTICIPANT', 'PARTICIPANT'] })
    const first = await leaveGroup(deps, userActor(g.uids[0]), { guid: g.guid })
    const second = await removeMembers(deps, appAdmin, { guid: g.guid, uids: [g.uids[1]] })
    const events = [...first.events, ...second.events]
    const before = await expectOneDeliveryPerEnabledEndpoint(events)
    expect(before.filter((d) => d.endpointId === doomed)).toHaveLength(2)

    await deleteWebhookEndpoint(deps, appAdmin, { id: doomed })
    expect(await db.prisma.webhookDelivery.count({ where: { endpointId: doomed } })).toBe(0)
    expect(await db.prisma.webhookEndpoint.findUnique({ where: { id: doomed } })).toBeNull()
    const after = await deliveriesOf(events)
    expect(after).toEqual(before.filter((d) => d.endpointId !== doomed))
    expect(after.map((d) => d.endpointId).sort()).toEqual([enabledA, enabledA, enabledB, enabledB].sort())
    await expectDomainError(deleteWebhookEndpoint(deps, appAdmin, { id: doomed }), 'ERR_WEBHOOK_NOT_FOUND')
  })
})
