import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { Database } from '../../src/db/database.js'
import type { Actor } from '../../src/domain/actor.js'
import { systemClock } from '../../src/domain/clock.js'
import { followMemberLeft, type MemberLeftSource } from '../../src/domain/exits/follow-member-left.js'
import { listMemberLeftEvents } from '../../src/domain/exits/list-member-left-events.js'
import { recordExit, type ExitInput } from '../../src/domain/exits/record-exit.js'
import { MemberLeftFeed } from '../../src/events/member-left-feed.js'
import { prismaExitLog } from '../../src/domain/exits/exit-log.js'
import type { MemberLeftEvent } from '../../src/generated/prisma/client.js'
import { openTestDatabase, uniqueId } from '../support/database.js'

// On PostgreSQL other test files write exits into the same table at the same time, so
// streams that see "everything" are checked on this file's own groups only.

let db: Database
let feed: MemberLeftFeed
let deps: { prisma: Database['prisma']; clock: typeof systemClock; memberLeft: MemberLeftSource }

beforeAll(async () => {
  db = await openTestDatabase()
  feed = new MemberLeftFeed(prismaExitLog(db.prisma))
  deps = { prisma: db.prisma, clock: systemClock, memberLeft: feed }
}, 60_000)
afterAll(async () => {
  await feed?.close()
  await db?.close()
})

const user = (uid: string): Actor => ({ uid, sub: uid, isAppAdmin: false })
const appAdmin = (uid: string | null = null): Actor => ({ uid, sub: uid ?? 'admin-token', isAppAdmin: true })

/** Users (created as needed) and a chat room with them as members; returns the room's id. */
async function chatRoomWith(uids: string[]): Promise<string> {
  const id = uniqueId('room')
  await db.prisma.user.createMany({ data: uids.map((uid) => ({ uid, name: uid })), skipDuplicates: true })
  await db.prisma.chatRoom.create({ data: { id, name: id } })
  await db.prisma.chatRoomMember.createMany({ data: uids.map((uid) => ({ chatRoomId: id, uid, joinedAt: new Date() })) })
  return id
}

/** Users (created as needed) and a group with them as members; returns the group's guid. */
async function groupWith(uids: string[]): Promise<string> {
  const guid = uniqueId('g')
  await db.prisma.user.createMany({ data: uids.map((uid) => ({ uid, name: uid })), skipDuplicates: true })
  await db.prisma.group.create({ data: { guid, name: guid, type: 'PUBLIC', ownerUid: uids[0] ?? null } })
  await db.prisma.groupMember.createMany({ data: uids.map((uid) => ({ groupGuid: guid, uid })) })
  return guid
}

/** What a leave/kick operation does for the feed: remove the members and record the exit, then publish. */
async function exit(input: Partial<ExitInput> & { memberUids: string[] }): Promise<MemberLeftEvent> {
  const event = await db.prisma.$transaction(async (tx) => {
    if (input.groupGuid) await tx.groupMember.deleteMany({ where: { groupGuid: input.groupGuid, uid: { in: input.memberUids } } })
    return recordExit(tx, { exitType: 'KICKED', reason: 'ADMIN_REMOVED', operatorUid: null, occurredAt: new Date(), ...input })
  })
  feed.publish([event])
  return event
}

async function take(iterator: AsyncIterator<MemberLeftEvent>, count: number, ms = 15_000): Promise<string[]> {
  const got: string[] = []
  const deadline = Date.now() + ms
  while (got.length < count) {
    const next = await Promise.race([iterator.next(), sleep(Math.max(0, deadline - Date.now())).then(() => 'timeout' as const)])
    if (next === 'timeout') throw new Error(`got ${got.length} of ${count} events: ${got}`)
    if (next.done) break
    got.push(next.value.id.toString())
  }
  return got
}

async function expectCompleted(iterator: AsyncIterator<MemberLeftEvent>): Promise<void> {
  const next = await Promise.race([iterator.next(), sleep(3000).then(() => 'still open' as const)])
  expect(next).toEqual({ value: undefined, done: true })
}

async function expectStillOpen(iterator: AsyncIterator<MemberLeftEvent>): Promise<void> {
  const next = await Promise.race([iterator.next(), sleep(300).then(() => 'open' as const)])
  expect(next).toBe('open')
}

function idsOf(...events: MemberLeftEvent[]): string[] {
  return events.map((e) => e.id.toString())
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    return (error as { code?: string }).code ?? String(error)
  }
  return 'allowed'
}

describe('memberLeft visibility', { timeout: 30_000 }, () => {
  test('a member follows its group and the stream completes with the exit in which it leaves', async () => {
    const [ann, bob, cat] = [uniqueId('ann'), uniqueId('bob'), uniqueId('cat')]
    const guid = await groupWith([ann, bob, cat])
    const stream = await followMemberLeft(deps, user(bob), { guid })
    const other = await groupWith([ann, bob])
    await exit({ groupGuid: other, memberUids: [ann] })
    const catLeft = await exit({ groupGuid: guid, memberUids: [cat] })
    const bobKicked = await exit({ groupGuid: guid, memberUids: [bob] })
    await exit({ groupGuid: guid, memberUids: [ann] })
    expect(await take(stream, 5)).toEqual(idsOf(catLeft, bobKicked))
    await expectCompleted(stream)
  })

  test('a non-member is refused; an unknown or dissolved group is not found; the app admin may follow any guid', async () => {
    const [ann, eve] = [uniqueId('ann'), uniqueId('eve')]
    const guid = await groupWith([ann])
    await db.prisma.user.create({ data: { uid: eve, name: 'Eve' } })
    expect(await refusal(followMemberLeft(deps, user(eve), { guid }))).toBe('ERR_NOT_A_MEMBER')
    expect(await refusal(followMemberLeft(deps, user(ann), { guid: uniqueId('nope') }))).toBe('ERR_GROUP_NOT_FOUND')
    await db.prisma.group.update({ where: { guid }, data: { dissolvedAt: new Date() } })
    expect(await refusal(followMemberLeft(deps, user(ann), { guid }))).toBe('ERR_GROUP_NOT_FOUND')
    const admin = await followMemberLeft(deps, appAdmin(), { guid: uniqueId('nope') })
    await admin.return!()
  })

  test('the app admin following a group gets every exit and is never completed, even by its own', async () => {
    const [root, ann] = [uniqueId('root'), uniqueId('ann')]
    const guid = await groupWith([root, ann])
    const stream = await followMemberLeft(deps, appAdmin(root), { guid })
    const a = await exit({ groupGuid: guid, memberUids: [root] })
    const b = await exit({ groupGuid: guid, memberUids: [ann] })
    expect(await take(stream, 2)).toEqual(idsOf(a, b))
    await expectStillOpen(stream)
    await stream.return!()
  })

  test('without guid a user gets only the exits that include itself, across groups, and is not completed', async () => {
    const [ann, bob] = [uniqueId('ann'), uniqueId('bob')]
    const g1 = await groupWith([ann, bob])
    const g2 = await groupWith([ann, bob])
    const stream = await followMemberLeft(deps, user(ann), {})
    await exit({ groupGuid: g1, memberUids: [bob] })
    const own1 = await exit({ groupGuid: g1, memberUids: [ann] })
    const own2 = await exit({ groupGuid: g2, memberUids: [bob, ann] })
    expect(await take(stream, 2)).toEqual(idsOf(own1, own2))
    await expectStillOpen(stream)
    await stream.return!()
  })

  test('without guid the app admin gets every exit', async () => {
    const [ann, bob] = [uniqueId('ann'), uniqueId('bob')]
    const g1 = await groupWith([ann, bob])
    const mine = new Set([g1])
    const stream = await followMemberLeft(deps, appAdmin(), {})
    const a = await exit({ groupGuid: g1, memberUids: [bob] })
    const b = await exit({ groupGuid: g1, memberUids: [ann] })
    const got: string[] = []
    while (got.length < 2) {
      const next = await stream.next()
      if (!next.done && mine.has(next.value.groupGuid!)) got.push(next.value.id.toString())
    }
    expect(got).toEqual(idsOf(a, b))
    await stream.return!()
  })

  test('with chatRoomId a member gets every exit of the room until its own, the app admin all of them', async () => {
    const [ann, bob] = [uniqueId('ann'), uniqueId('bob')]
    const room = await chatRoomWith([ann, bob])
    const member = await followMemberLeft(deps, user(ann), { chatRoomId: room })
    const all = await followMemberLeft(deps, appAdmin(), { chatRoomId: room })
    const b = await exit({ chatRoomId: room, memberUids: [bob] })
    await exit({ chatRoomId: uniqueId('room'), memberUids: [ann] })
    await db.prisma.chatRoomMember.deleteMany({ where: { chatRoomId: room, uid: ann } })
    const a = await exit({ chatRoomId: room, memberUids: [ann] })
    expect(await take(member, 3)).toEqual(idsOf(b, a))
    expect(await take(all, 2)).toEqual(idsOf(b, a))
    await all.return!()
  })

  test('with chatRoomId a non-member is refused, and an unknown room is ERR_CHAT_ROOM_NOT_FOUND', async () => {
    const [ann, bob] = [uniqueId('ann'), uniqueId('bob')]
    const room = await chatRoomWith([ann])
    expect(await refusal(followMemberLeft(deps, user(bob), { chatRoomId: room }))).toBe('ERR_NOT_A_MEMBER')
    expect(await refusal(followMemberLeft(deps, user(ann), { chatRoomId: uniqueId('nowhere') }))).toBe('ERR_CHAT_ROOM_NOT_FOUND')
  })

  test('a member removed from a room while away resumes from its cursor and gets its own removal, then the stream ends', async () => {
    const [ann, bob] = [uniqueId('ann'), uniqueId('bob')]
    const room = await chatRoomWith([ann, bob])
    const cursor = (await exit({ groupGuid: uniqueId('elsewhere'), memberUids: [uniqueId('x')] })).id
    await db.prisma.chatRoomMember.deleteMany({ where: { chatRoomId: room, uid: ann } })
    const kicked = await exit({ chatRoomId: room, memberUids: [ann], exitType: 'OFFLINE_KICKED', operatorUid: null })
    await exit({ chatRoomId: room, memberUids: [bob] })
    const resumed = await followMemberLeft(deps, user(ann), { chatRoomId: room, after: cursor.toString() })
    expect(await take(resumed, 2)).toEqual(idsOf(kicked))
    expect(await refusal(followMemberLeft(deps, user(ann), { chatRoomId: room }))).toBe('ERR_NOT_A_MEMBER')
  })

  test('a caller that is not a user must be the app admin; guid and chatRoomId together are refused', async () => {
    const stranger: Actor = { uid: null, sub: 'svc', isAppAdmin: false }
    expect(await refusal(followMemberLeft(deps, stranger, {}))).toBe('ERR_INSUFFICIENT_SCOPE')
    expect(await refusal(followMemberLeft(deps, appAdmin(), { guid: 'g', chatRoomId: 'r' }))).toBe('ERR_INVALID_INPUT')
    expect(await refusal(followMemberLeft(deps, appAdmin(), { after: 'x' }))).toBe('ERR_INVALID_INPUT')
  })

  test('a member kicked between the start of its subscription and the membership check still gets the kick, then completion', async () => {
    const [ann, bob] = [uniqueId('ann'), uniqueId('bob')]
    const guid = await groupWith([ann, bob])
    let kick: MemberLeftEvent | null = null
    const racing: MemberLeftSource = {
      position: async () => {
        const position = await feed.position()
        kick = await exit({ groupGuid: guid, memberUids: [bob] })
        return position
      },
      subscribe: (options) => feed.subscribe(options),
      log: feed.log,
    }
    const stream = await followMemberLeft({ ...deps, memberLeft: racing }, user(bob), { guid })
    expect(await take(stream, 2)).toEqual(idsOf(kick!))
    await expectCompleted(stream)
  })

  test('a member kicked while disconnected resumes from its cursor and gets the events up to its kick, then completion', async () => {
    const [ann, bob, cat] = [uniqueId('ann'), uniqueId('bob'), uniqueId('cat')]
    const guid = await groupWith([ann, bob, cat])
    const seen = await exit({ groupGuid: guid, memberUids: [cat] })
    const missed = await exit({ groupGuid: guid, memberUids: [ann] })
    const kick = await exit({ groupGuid: guid, memberUids: [bob] })
    await db.prisma.groupMember.create({ data: { groupGuid: guid, uid: cat } })
    await exit({ groupGuid: guid, memberUids: [cat] })
    const stream = await followMemberLeft(deps, user(bob), { guid, after: seen.id.toString() })
    expect(await take(stream, 5)).toEqual(idsOf(missed, kick))
    await expectCompleted(stream)
    expect(idsOf(...(await listMemberLeftEvents(deps, user(bob), { guid, after: seen.id.toString() })))).toEqual(idsOf(missed, kick))
    // Past its own exit the former member sees nothing more of the group.
    expect(await refusal(followMemberLeft(deps, user(bob), { guid, after: kick.id.toString() }))).toBe('ERR_NOT_A_MEMBER')
    expect(await refusal(followMemberLeft(deps, user(bob), { guid }))).toBe('ERR_NOT_A_MEMBER')
  })
})

describe('listMemberLeftEvents', { timeout: 30_000 }, () => {
  test('pages through a group’s exits oldest first, by cursor', async () => {
    const [ann, bob] = [uniqueId('ann'), uniqueId('bob')]
    const members = Array.from({ length: 5 }, () => uniqueId('m'))
    const guid = await groupWith([ann, bob, ...members])
    const events: MemberLeftEvent[] = []
    for (const uid of members) events.push(await exit({ groupGuid: guid, memberUids: [uid] }))
    const pages: string[][] = []
    let after: string | undefined
    for (;;) {
      const page = await listMemberLeftEvents(deps, user(ann), { guid, after, first: 2 })
      if (page.length === 0) break
      pages.push(idsOf(...page))
      after = page[page.length - 1].id.toString()
    }
    expect(pages).toEqual([idsOf(...events.slice(0, 2)), idsOf(...events.slice(2, 4)), idsOf(events[4])])
    expect(idsOf(...(await listMemberLeftEvents(deps, user(ann), { guid })))).toEqual(idsOf(...events))
    expect(idsOf(...(await listMemberLeftEvents(deps, appAdmin(), { guid, after: events[2].id.toString() })))).toEqual(
      idsOf(...events.slice(3)),
    )
  })

  test('a cursor issued before events kept their transaction (an event id of then) resumes after that event, old and new', async () => {
    const [ann, ...members] = [uniqueId('ann'), uniqueId('m'), uniqueId('m'), uniqueId('m')]
    const guid = await groupWith([ann, ...members])
    // Rows written before the migration have txid 0 and committed in id order.
    const old = []
    for (const uid of members.slice(0, 2)) {
      old.push(await db.prisma.memberLeftEvent.create({ data: { txid: 0n, exitType: 'QUIT', groupGuid: guid, memberUids: [uid], occurredAt: new Date() } }))
    }
    const fresh = await exit({ groupGuid: guid, memberUids: [members[2]] })
    expect(fresh.txid).toBeGreaterThan(0n)
    const cursor = old[0].id.toString() // what a client held across the upgrade
    expect(idsOf(...(await listMemberLeftEvents(deps, user(ann), { guid, after: cursor })))).toEqual(idsOf(old[1], fresh))
    const stream = await followMemberLeft(deps, user(ann), { guid, after: cursor })
    expect(await take(stream, 2)).toEqual(idsOf(old[1], fresh))
    await stream.return!()
    expect(await refusal(listMemberLeftEvents(deps, user(ann), { guid, after: '9223372036854775807' }))).toBe('ERR_INVALID_INPUT')
  })

  test('shows a user its own exits, and refuses non-members like the subscription does', async () => {
    const [ann, bob, eve] = [uniqueId('ann'), uniqueId('bob'), uniqueId('eve')]
    const g1 = await groupWith([ann, bob])
    const g2 = await groupWith([ann, bob])
    await db.prisma.user.create({ data: { uid: eve, name: 'Eve' } })
    await exit({ groupGuid: g1, memberUids: [bob] })
    const own = await exit({ groupGuid: g2, memberUids: [ann] })
    expect(idsOf(...(await listMemberLeftEvents(deps, user(ann), {})))).toEqual(idsOf(own))
    expect(await refusal(listMemberLeftEvents(deps, user(eve), { guid: g1 }))).toBe('ERR_NOT_A_MEMBER')
    expect(await refusal(listMemberLeftEvents(deps, user(eve), { guid: uniqueId('nope') }))).toBe('ERR_GROUP_NOT_FOUND')
  })

  test('first defaults to 100 and is limited to 1000; a malformed cursor is refused', async () => {
    const [ann] = [uniqueId('ann')]
    const guid = await groupWith([ann])
    await db.prisma.$transaction(async (tx) => {
      for (let i = 0; i < 101; i++) {
        await recordExit(tx, { exitType: 'QUIT', reason: null, groupGuid: guid, memberUids: [uniqueId('x')], operatorUid: null, occurredAt: new Date() })
      }
    })
    expect(await listMemberLeftEvents(deps, user(ann), { guid })).toHaveLength(100)
    expect(await listMemberLeftEvents(deps, user(ann), { guid, first: 1000 })).toHaveLength(101)
    for (const first of [0, -1, 1001, 1.5]) {
      await expect(listMemberLeftEvents(deps, user(ann), { guid, first })).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT', field: 'first' })
    }
    for (const after of ['', 'abc', '-5', '1e3']) {
      await expect(listMemberLeftEvents(deps, user(ann), { guid, after })).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT', field: 'after' })
    }
  })
})
