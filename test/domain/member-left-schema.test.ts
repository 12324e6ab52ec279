import { setTimeout as sleep } from 'node:timers/promises'
import * as graphql from 'graphql'
import type { DocumentNode, ExecutionResult } from 'graphql'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { AppDeps, GraphQLContext, Viewer } from '../../src/context.js'
import type { Database } from '../../src/db/database.js'
import { recordExit } from '../../src/domain/exits/record-exit.js'
import { MemberLeftFeed } from '../../src/events/member-left-feed.js'
import { prismaExitLog } from '../../src/domain/exits/exit-log.js'
import type { MemberLeftEvent } from '../../src/generated/prisma/client.js'
import { schema } from '../../src/schema/index.js'
import { openTestDatabase, uniqueId } from '../support/database.js'
import { testDeps } from '../support/client.js'
import { MemberLeftEventsWithGroupDocument as EVENTS, MemberLeftWithGroupDocument as MEMBER_LEFT } from '../generated/graphql.js'

// The GraphQL face of the feed, executed in process: batching of members/operator/group, and
// refusals as top-level errors with the domain's code (these fields have no result union).

const user = (uid: string): Viewer => ({ uid, sub: uid, isAppAdmin: false, user: null })
const admin: Viewer = { uid: null, sub: 'backend', isAppAdmin: true, user: null }

async function run<T>(viewer: Viewer | null, document: DocumentNode, variableValues: Record<string, unknown>) {
  const contextValue: GraphQLContext = { viewer, deps }
  return (await graphql.execute({ schema, document, variableValues, contextValue })) as ExecutionResult<T>
}

function dataOf<T>(result: ExecutionResult<T>): T {
  expect(result.errors).toBeUndefined()
  return result.data!
}

function codesOf(result: ExecutionResult<unknown>): unknown[] {
  return (result.errors ?? []).map((e) => e.extensions?.code)
}

const USER_READ = /FROM "public"\."User"/
const GROUP_READ = /FROM "public"\."Group"/
let sql: string[] = []
let db: Database
let feed: MemberLeftFeed
let deps: AppDeps

beforeAll(async () => {
  db = await openTestDatabase({ onQuery: (q) => void sql.push(q) })
  feed = new MemberLeftFeed(prismaExitLog(db.prisma))
  deps = testDeps(db, { memberLeft: feed })
}, 60_000)
afterAll(async () => {
  await feed?.close()
  await db?.close()
})

interface EventData {
  id: string
  members: { uid: string; name: string }[]
  operator: { uid: string } | null
  group: { guid: string; name: string } | null
}

async function groupWith(uids: string[]): Promise<string> {
  const guid = uniqueId('g')
  await db.prisma.user.createMany({ data: uids.map((uid) => ({ uid, name: `Name of ${uid}` })), skipDuplicates: true })
  await db.prisma.group.create({ data: { guid, name: `Group ${guid}`, type: 'PUBLIC', ownerUid: uids[0] } })
  await db.prisma.groupMember.createMany({ data: uids.map((uid) => ({ groupGuid: guid, uid })) })
  return guid
}

async function exit(guid: string, memberUids: string[], operatorUid: string | null): Promise<MemberLeftEvent> {
  const event = await db.prisma.$transaction(async (tx) => {
    await tx.groupMember.deleteMany({ where: { groupGuid: guid, uid: { in: memberUids } } })
    return recordExit(tx, { exitType: 'KICKED', reason: 'CHANNEL_OPERATOR_REMOVED', groupGuid: guid, memberUids, operatorUid, occurredAt: new Date() })
  })
  feed.publish([event])
  return event
}

function subscribeAs(viewer: Viewer | null, variables: Record<string, unknown>) {
  const contextValue: GraphQLContext = { viewer, deps }
  return graphql.subscribe({ schema, document: MEMBER_LEFT, variableValues: variables, contextValue }) as Promise<
    AsyncGenerator<ExecutionResult<{ memberLeft: EventData }>> | ExecutionResult
  >
}

describe('memberLeftEvents and memberLeft through the schema', { timeout: 30_000 }, () => {
  test('members, operator and group of many events cost one query each, not one per event', async () => {
    const owner = uniqueId('own')
    const members = Array.from({ length: 12 }, () => uniqueId('m'))
    const guid = await groupWith([owner, ...members])
    const events: MemberLeftEvent[] = []
    for (let i = 0; i < members.length; i += 2) events.push(await exit(guid, members.slice(i, i + 2), owner))
    sql = []
    const data = dataOf(await run<{ memberLeftEvents: EventData[] }>(user(owner), EVENTS, { guid }))
    expect(data.memberLeftEvents.map((e) => e.id)).toEqual(events.map((e) => e.id.toString()))
    expect(data.memberLeftEvents[0]).toEqual({
      id: events[0].id.toString(),
      members: members.slice(0, 2).map((uid) => ({ uid, name: `Name of ${uid}` })),
      operator: { uid: owner },
      group: { guid, name: `Group ${guid}` },
    })
    expect(sql.filter((q) => USER_READ.test(q))).toHaveLength(1)
    expect(sql.filter((q) => GROUP_READ.test(q) && !/"GroupMember"/.test(q))).toHaveLength(2) // membership check + one batch
  })

  test('refusals are top-level errors carrying the domain code; no token is UNAUTHENTICATED', async () => {
    const [ann, eve] = [uniqueId('ann'), uniqueId('eve')]
    const guid = await groupWith([ann])
    expect(codesOf(await run(user(eve), EVENTS, { guid }))).toEqual(['ERR_NOT_A_MEMBER'])
    expect(codesOf(await run(user(ann), EVENTS, { guid, after: 'x' }))).toEqual(['ERR_INVALID_INPUT'])
    expect(codesOf(await run(user(ann), EVENTS, { guid, first: 5000 }))).toEqual(['ERR_INVALID_INPUT'])
    expect(codesOf(await run(null, EVENTS, { guid }))).toEqual(['UNAUTHENTICATED'])
  })

  test('the subscription authorizes on subscribe and streams resolved events', async () => {
    const [ann, bob, eve] = [uniqueId('ann'), uniqueId('bob'), uniqueId('eve')]
    const guid = await groupWith([ann, bob])
    for (const [viewer, code] of [
      [user(eve), 'ERR_NOT_A_MEMBER'],
      [null, 'UNAUTHENTICATED'],
      [user(ann), 'ERR_INVALID_INPUT'],
    ] as const) {
      const refused = await subscribeAs(viewer, { guid, after: code === 'ERR_INVALID_INPUT' ? '-1' : undefined })
      expect(Symbol.asyncIterator in refused).toBe(false)
      expect(codesOf(refused as ExecutionResult)).toEqual([code])
    }
    const stream = (await subscribeAs(user(bob), { guid })) as AsyncGenerator<ExecutionResult<{ memberLeft: EventData }>>
    expect(Symbol.asyncIterator in stream).toBe(true)
    const first = stream.next()
    await sleep(50)
    const event = await exit(guid, [bob], ann)
    const result = (await first).value as ExecutionResult<{ memberLeft: EventData }>
    expect(result.errors).toBeUndefined()
    expect(result.data?.memberLeft).toEqual({
      id: event.id.toString(),
      members: [{ uid: bob, name: `Name of ${bob}` }],
      operator: { uid: ann },
      group: { guid },
    })
    expect(await stream.next()).toEqual({ value: undefined, done: true })
  })

  test('the app admin without a user may follow everything', async () => {
    const stream = await subscribeAs(admin, {})
    expect(Symbol.asyncIterator in stream).toBe(true)
    await (stream as AsyncGenerator).return(undefined)
  })

  test('ten subscribers of one group resolve the users of an exit with one query between them, and no cache outlives the event', async () => {
    const owner = uniqueId('own')
    const watchers = Array.from({ length: 10 }, () => uniqueId('w'))
    const leaver = uniqueId('l')
    const guid = await groupWith([owner, ...watchers, leaver])
    const streams = await Promise.all(
      watchers.map(async (uid) => (await subscribeAs(user(uid), { guid })) as AsyncGenerator<ExecutionResult<{ memberLeft: EventData }>>),
    )
    const firsts = streams.map((s) => s.next())
    // All ten past their replay, so the exit reaches them live, in one dispatch.
    while (feed.liveSubscriberCount < 10) await sleep(5)
    sql = []
    const event = await exit(guid, [leaver], owner)
    const results = (await Promise.all(firsts)).map((r) => (r.value as ExecutionResult<{ memberLeft: EventData }>).data?.memberLeft)
    for (const result of results) expect(result).toMatchObject({ id: event.id.toString(), members: [{ uid: leaver, name: `Name of ${leaver}` }] })
    expect(sql.filter((q) => USER_READ.test(q))).toHaveLength(1)

    // No cache across events: a rename shows in the next event.
    const seconds = streams.slice(1).map((s) => s.next())
    await db.prisma.user.update({ where: { uid: watchers[0] }, data: { name: 'Renamed watcher' } })
    await exit(guid, [watchers[0]], owner)
    for (const second of await Promise.all(seconds)) {
      expect((second.value as ExecutionResult<{ memberLeft: EventData }>).data?.memberLeft.members).toEqual([{ uid: watchers[0], name: 'Renamed watcher' }])
    }
    await Promise.all(streams.map((s) => s.return(undefined)))
  })
})
