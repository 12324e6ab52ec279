// Contract part 4's dashboard counts: WebhookEndpoint.deliveryCounts and
// ChatRoom.onlineMembersCount, what they count, who may read them, and that a list of endpoints
// or rooms costs as many statements as one.
//
// On private databases: every exit writes a delivery for every enabled endpoint (endpoints in the
// run's shared database would collect other files' deliveries, and webhookEndpoints lists them
// all), and a started presence reaps every lapsed instance in its database.
import { parse } from 'graphql'
import type { TypedDocumentNode } from '@graphql-typed-document-node/core'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import type { Database } from '../../src/db/database.js'
import { createChatRoom } from '../../src/domain/chatrooms/create-chat-room.js'
import { joinChatRoom } from '../../src/domain/chatrooms/join-chat-room.js'
import type { DomainDeps } from '../../src/domain/deps.js'
import { leaveGroup } from '../../src/domain/groups/leave-group.js'
import type { WebhookDeliveryStatus } from '../../src/generated/prisma/enums.js'
import type { DatabasePresence } from '../../src/presence/database-presence.js'
import { PlaceCountsChatRoomDocument, PlaceCountsWebhookEndpointsDocument } from '../generated/graphql.js'
import { adminViewer, executeAs, expectData, expectGraphQLError, userViewer } from '../support/client.js'
import { testDatabaseKind, uniqueId } from '../support/database.js'
import { appAdmin, createUsers, domainDeps, seedGroup, userActor } from '../support/domain-fixtures.js'
import { startManualPresence } from '../support/presence-clock.js'
import { openLoggedTestDatabase, type StatementLog } from '../support/statement-log.js'

let db: Database
let statementsOf: StatementLog['statementsOf']
beforeAll(async () => {
  ;({ db, statementsOf } = await openLoggedTestDatabase({ private: true }))
})
afterAll(() => db?.close())

const started: DatabasePresence[] = []
afterEach(async () => {
  await Promise.all(started.splice(0).map((p) => p.stop()))
})

/** An enabled endpoint written directly (nothing is sent: no dispatcher runs here). */
async function createEndpoint(on: Database): Promise<string> {
  const id = uniqueId('we')
  await on.prisma.webhookEndpoint.create({ data: { id, url: `http://127.0.0.1:9/hooks/${id}`, sealedSecret: 'unused', createdAt: new Date() } })
  return id
}

/** A real exit (a participant leaves a fresh group): one PENDING delivery per enabled endpoint. */
async function exitOnce(on: Database): Promise<void> {
  const g = await seedGroup(on, { scopes: ['PARTICIPANT'] })
  const { events } = await leaveGroup(domainDeps(on), userActor(g.uids[0]), { guid: g.guid })
  expect(events).toHaveLength(1)
}

/** Sets the statuses of an endpoint's deliveries, oldest first. */
async function setStatuses(endpointId: string, statuses: WebhookDeliveryStatus[]): Promise<void> {
  const deliveries = await db.prisma.webhookDelivery.findMany({ where: { endpointId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] })
  expect(deliveries).toHaveLength(statuses.length)
  for (const [i, { id }] of deliveries.entries()) await db.prisma.webhookDelivery.update({ where: { id }, data: { status: statuses[i] } })
}

/** `count` aliased chatRoom(id:) lookups in one document, each selecting `fields`. */
function roomsDocument(ids: string[], fields: string): TypedDocumentNode<Record<string, { id: string } & Record<string, number>>, Record<string, never>> {
  return parse(`query Rooms { ${ids.map((id, i) => `r${i}: chatRoom(id: ${JSON.stringify(id)}) { id ${fields} }`).join(' ')} }`)
}

describe('WebhookEndpoint.deliveryCounts', () => {
  test("counts each endpoint's own deliveries per status, and zeros for an endpoint without any", async () => {
    const first = await createEndpoint(db)
    const second = await createEndpoint(db)
    for (let i = 0; i < 5; i++) await exitOnce(db)
    const empty = await createEndpoint(db) // after the exits: none of their deliveries
    await setStatuses(first, ['PENDING', 'SUCCEEDED', 'DEAD', 'PENDING', 'SUCCEEDED'])
    await setStatuses(second, ['DEAD', 'DEAD', 'DEAD', 'SUCCEEDED', 'PENDING'])

    const data = expectData(await executeAs(db, adminViewer(), PlaceCountsWebhookEndpointsDocument))
    const countsOf = (id: string) => data.webhookEndpoints.find((e) => e.id === id)?.deliveryCounts
    expect(countsOf(first)).toEqual({ pending: 2, succeeded: 2, dead: 1 })
    expect(countsOf(second)).toEqual({ pending: 1, succeeded: 1, dead: 3 })
    expect(countsOf(empty)).toEqual({ pending: 0, succeeded: 0, dead: 0 })
  })

  test('is read with the endpoint, by the app admin only: a user gets FORBIDDEN, no viewer UNAUTHENTICATED', async () => {
    const [uid] = await createUsers(db, 1)
    const forUser = await executeAs(db, userViewer(uid), PlaceCountsWebhookEndpointsDocument)
    expectGraphQLError(forUser, 'FORBIDDEN')
    expect(forUser.data ?? null).toBeNull()
    expectGraphQLError(await executeAs(db, null, PlaceCountsWebhookEndpointsDocument), 'UNAUTHENTICATED')
  })

  test('20 endpoints with deliveries cost as many statements as 1: one GROUP BY for the page', async () => {
    const own = await openLoggedTestDatabase({ private: true })
    try {
      const read = async () => {
        const { value, sql } = await own.statementsOf(() => executeAs(own.db, adminViewer(), PlaceCountsWebhookEndpointsDocument))
        return { endpoints: expectData(value).webhookEndpoints, sql }
      }
      await createEndpoint(own.db)
      await exitOnce(own.db)
      const one = await read()
      for (let i = 0; i < 19; i++) await createEndpoint(own.db)
      await exitOnce(own.db)
      const twenty = await read()
      console.log(`[${testDatabaseKind()}] webhookEndpoints { deliveryCounts } statements: 1 endpoint → ${one.sql.length}, 20 endpoints → ${twenty.sql.length}`)

      expect(one.endpoints).toHaveLength(1)
      expect(one.endpoints[0].deliveryCounts).toEqual({ pending: 1, succeeded: 0, dead: 0 })
      expect(twenty.endpoints).toHaveLength(20)
      expect(twenty.endpoints[0].deliveryCounts).toEqual({ pending: 2, succeeded: 0, dead: 0 })
      expect(twenty.endpoints.slice(1).map((e) => e.deliveryCounts)).toEqual(Array(19).fill({ pending: 1, succeeded: 0, dead: 0 }))
      expect(twenty.sql.length).toBe(one.sql.length)
      expect(twenty.sql.filter((sql) => /GROUP BY/i.test(sql))).toHaveLength(1)
    } finally {
      await own.db.close()
    }
  })
})

describe('ChatRoom.onlineMembersCount', () => {
  async function roomWith(deps: DomainDeps, uids: string[]): Promise<string> {
    const id = uniqueId('room')
    await createChatRoom(deps, appAdmin, { id, name: `Room ${id}` })
    for (const uid of uids) await joinChatRoom(deps, userActor(uid), { id })
    return id
  }

  test('counts members with a live connection once each; a closed connection or none does not count', async () => {
    const deps = domainDeps(db)
    const presence = await startManualPresence(deps, started)
    const [twice, once, closed, never, elsewhere, reader] = await createUsers(db, 6)
    await presence.connect(twice)
    await presence.connect(twice)
    await presence.connect(once)
    const close = await presence.connect(closed)
    await presence.connect(elsewhere)
    const first = await roomWith(deps, [twice, once, closed, never])
    const second = await roomWith(deps, [twice, closed, elsewhere])
    await close()

    // Any signed-in user may read a room, a non-member too.
    const read = async (id: string) => expectData(await executeAs(db, userViewer(reader), PlaceCountsChatRoomDocument, { id })).chatRoom!
    const inFirst = await read(first)
    expect(inFirst).toMatchObject({ id: first, membersCount: 4, onlineMembersCount: 2 })
    const inSecond = await read(second)
    expect(inSecond).toMatchObject({ id: second, membersCount: 3, onlineMembersCount: 2 })
    // The same members the page shows as online.
    const onlineOf = (room: typeof inFirst) => room.members.edges.filter((e) => e!.node.online).map((e) => e!.node.user.uid).sort()
    expect(onlineOf(inFirst)).toEqual([twice, once].sort())
    expect(onlineOf(inSecond)).toEqual([twice, elsewhere].sort())

    expectGraphQLError(await executeAs(db, null, PlaceCountsChatRoomDocument, { id: first }), 'UNAUTHENTICATED')
  })

  test('20 rooms cost as many statements as 1, with and without membersCount', async () => {
    const deps = domainDeps(db)
    const presence = await startManualPresence(deps, started)
    const uids = await createUsers(db, 3)
    for (const uid of uids.slice(0, 2)) await presence.connect(uid)
    const ids: string[] = []
    for (let i = 0; i < 20; i++) ids.push(await roomWith(deps, uids))

    const counts: Record<string, [number, number]> = {}
    for (const fields of ['onlineMembersCount', 'membersCount onlineMembersCount']) {
      const read = async (n: number) => {
        const { value, sql } = await statementsOf(() => executeAs(db, userViewer(uids[2]), roomsDocument(ids.slice(0, n), fields)))
        const rooms = Object.values(expectData(value))
        expect(rooms).toHaveLength(n)
        for (const room of rooms) expect(room.onlineMembersCount).toBe(2)
        if (fields.startsWith('membersCount')) for (const room of rooms) expect(room.membersCount).toBe(3)
        return sql.length
      }
      counts[fields] = [await read(1), await read(20)]
      console.log(`[${testDatabaseKind()}] chatRoom { ${fields} } statements: 1 room → ${counts[fields][0]}, 20 rooms → ${counts[fields][1]}`)
    }
    expect(counts['onlineMembersCount']).toEqual([1, 1])
    // Two counts of the members relation cannot share the room's query: one more, for all rooms.
    expect(counts['membersCount onlineMembersCount']).toEqual([2, 2])
  })
})
