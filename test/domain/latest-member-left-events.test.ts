// memberLeftEvents(last): the newest visible exits, oldest first, in one read from the end of
// the log. On PostgreSQL other files write exits at the same time, so what the app admin sees
// "everywhere" is checked on this file's own places only.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { Database } from '../../src/db/database.js'
import type { Actor } from '../../src/domain/actor.js'
import type { DomainDeps } from '../../src/domain/deps.js'
import { listMemberLeftEvents } from '../../src/domain/exits/list-member-left-events.js'
import { recordExit, type ExitInput } from '../../src/domain/exits/record-exit.js'
import type { MemberLeftEvent } from '../../src/generated/prisma/client.js'
import { uniqueId } from '../support/database.js'
import { domainDeps } from '../support/domain-fixtures.js'
import { openLoggedTestDatabase, type StatementLog } from '../support/statement-log.js'

let db: Database
let deps: DomainDeps
let statementsOf: StatementLog['statementsOf']
beforeAll(async () => {
  ;({ db, statementsOf } = await openLoggedTestDatabase())
  deps = domainDeps(db)
}, 60_000)
afterAll(() => db?.close())

const user = (uid: string): Actor => ({ uid, sub: uid, isAppAdmin: false })
const appAdmin: Actor = { uid: null, sub: 'admin-token', isAppAdmin: true }
const idsOf = (...events: MemberLeftEvent[]) => events.map((e) => e.id.toString())

async function usersNamed(uids: string[]): Promise<void> {
  await db.prisma.user.createMany({ data: uids.map((uid) => ({ uid, name: uid })), skipDuplicates: true })
}

async function groupWith(uids: string[]): Promise<string> {
  const guid = uniqueId('g')
  await usersNamed(uids)
  await db.prisma.group.create({ data: { guid, name: guid, type: 'PUBLIC', ownerUid: uids[0] ?? null } })
  await db.prisma.groupMember.createMany({ data: uids.map((uid) => ({ groupGuid: guid, uid })) })
  return guid
}

async function chatRoomWith(uids: string[]): Promise<string> {
  const id = uniqueId('room')
  await usersNamed(uids)
  await db.prisma.chatRoom.create({ data: { id, name: id } })
  await db.prisma.chatRoomMember.createMany({ data: uids.map((uid) => ({ chatRoomId: id, uid, joinedAt: new Date() })) })
  return id
}

/** An exit in a transaction of its own; the members leave the group as a kick would. */
async function exit(input: Partial<ExitInput> & { memberUids: string[] }): Promise<MemberLeftEvent> {
  return db.prisma.$transaction(async (tx) => {
    if (input.groupGuid) await tx.groupMember.deleteMany({ where: { groupGuid: input.groupGuid, uid: { in: input.memberUids } } })
    return recordExit(tx, { exitType: 'KICKED', reason: 'ADMIN_REMOVED', operatorUid: null, occurredAt: new Date(), ...input })
  })
}

async function exitsOfOthers(guid: string, count: number): Promise<MemberLeftEvent[]> {
  const events: MemberLeftEvent[] = []
  for (let i = 0; i < count; i++) events.push(await exit({ groupGuid: guid, memberUids: [uniqueId('m')] }))
  return events
}

describe('memberLeftEvents(last)', { timeout: 30_000 }, () => {
  test('gives the newest N of a group’s exits, oldest first, and all of them when there are fewer', async () => {
    const ann = uniqueId('ann')
    const guid = await groupWith([ann])
    const events = await exitsOfOthers(guid, 5)
    expect(idsOf(...(await listMemberLeftEvents(deps, user(ann), { guid, last: 3 })))).toEqual(idsOf(...events.slice(2)))
    expect(idsOf(...(await listMemberLeftEvents(deps, user(ann), { guid, last: 1 })))).toEqual(idsOf(events[4]))
    expect(idsOf(...(await listMemberLeftEvents(deps, user(ann), { guid, last: 100 })))).toEqual(idsOf(...events))
    expect(idsOf(...(await listMemberLeftEvents(deps, appAdmin, { guid, last: 2 })))).toEqual(idsOf(...events.slice(3)))
  })

  test('a user does not get the exits of places it is not in: its own exits without a place, a place it is not in refused', async () => {
    const [ann, eve] = [uniqueId('ann'), uniqueId('eve')]
    const mine = await groupWith([ann])
    const theirs = await groupWith([eve])
    const own = await exit({ groupGuid: mine, memberUids: [ann] })
    await exitsOfOthers(theirs, 2)
    expect(idsOf(...(await listMemberLeftEvents(deps, user(ann), { last: 50 })))).toEqual(idsOf(own))
    await expect(listMemberLeftEvents(deps, user(ann), { guid: theirs, last: 50 })).rejects.toMatchObject({ code: 'ERR_NOT_A_MEMBER' })
    await expect(listMemberLeftEvents(deps, user(ann), { guid: uniqueId('nope'), last: 50 })).rejects.toMatchObject({ code: 'ERR_GROUP_NOT_FOUND' })
  })

  test('joined: the newest exits of the caller’s groups and chat rooms and its own, none of a stranger’s place', async () => {
    const [ann, bob, eve] = [uniqueId('ann'), uniqueId('bob'), uniqueId('eve')]
    const group = await groupWith([ann, bob])
    const room = await chatRoomWith([ann, bob])
    const strangers = await groupWith([eve])
    const elsewhere = await groupWith([ann])
    const inGroup = await exit({ groupGuid: group, memberUids: [bob] })
    await exit({ groupGuid: strangers, memberUids: [eve] })
    const inRoom = await exit({ chatRoomId: room, memberUids: [bob], exitType: 'OFFLINE_KICKED' })
    const own = await exit({ groupGuid: elsewhere, memberUids: [ann] })
    expect(idsOf(...(await listMemberLeftEvents(deps, user(ann), { joined: true, last: 50 })))).toEqual(idsOf(inGroup, inRoom, own))
    expect(idsOf(...(await listMemberLeftEvents(deps, user(ann), { joined: true, last: 2 })))).toEqual(idsOf(inRoom, own))
  })

  test('a former member gets up to its own exit, as a page without a cursor does', async () => {
    const [ann, bob] = [uniqueId('ann'), uniqueId('bob')]
    const guid = await groupWith([ann, bob])
    const before = await exitsOfOthers(guid, 2)
    const kick = await exit({ groupGuid: guid, memberUids: [bob] })
    await exitsOfOthers(guid, 2)
    const expected = idsOf(...before, kick)
    expect(idsOf(...(await listMemberLeftEvents(deps, user(bob), { guid })))).toEqual(expected)
    expect(idsOf(...(await listMemberLeftEvents(deps, user(bob), { guid, last: 2 })))).toEqual(expected.slice(1))
  })

  test('last is 1 to 100 and not with after or first: ERR_INVALID_INPUT naming last', async () => {
    const ann = uniqueId('ann')
    const guid = await groupWith([ann])
    for (const last of [0, -1, 101, 1.5]) {
      await expect(listMemberLeftEvents(deps, user(ann), { guid, last })).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT', field: 'last' })
    }
    for (const other of [{ after: '0' }, { first: 10 }, { after: '1', first: 1 }]) {
      await expect(listMemberLeftEvents(deps, user(ann), { guid, last: 5, ...other })).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT', field: 'last' })
    }
  })

  test('the events are one statement, newest first with a limit, whatever N: for a place, everything and joined', async () => {
    const ann = uniqueId('ann')
    const guid = await groupWith([ann])
    const room = await chatRoomWith([ann])
    await exitsOfOthers(guid, 3)
    await exit({ chatRoomId: room, memberUids: [uniqueId('m')] })
    const cases: Array<[Actor, Parameters<typeof listMemberLeftEvents>[2]]> = [
      [user(ann), { guid }],
      [appAdmin, { guid }],
      [appAdmin, {}],
      [user(ann), {}],
      [user(ann), { joined: true }],
    ]
    for (const [actor, scope] of cases) {
      const counts: number[] = []
      for (const last of [1, 100]) {
        const { value, sql } = await statementsOf(() => listMemberLeftEvents(deps, actor, { ...scope, last }))
        counts.push(sql.length)
        const reads = sql.filter((s) => /FROM\s+("\w+"\.)?"MemberLeftEvent"/.test(s))
        expect(reads, `${JSON.stringify(scope)} last ${last}: ${sql.join('\n')}`).toHaveLength(1)
        expect(reads[0]).toMatch(/ORDER BY .*"txid" DESC, .*"id" DESC.*LIMIT/is)
        expect(value.length).toBeLessThanOrEqual(last)
      }
      expect(counts[1]).toBe(counts[0])
    }
  })
})
