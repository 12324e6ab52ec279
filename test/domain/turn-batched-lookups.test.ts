import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { membershipLookupOver, type Place } from '../../src/domain/exits/member-left-visibility.js'
import { TurnBatchedLookups } from '../../src/db/turn-batched-lookups.js'
import type { Database } from '../../src/db/database.js'
import { uniqueId } from '../support/database.js'
import { createUsers, seedGroup } from '../support/domain-fixtures.js'
import { openLoggedTestDatabase, type StatementLog } from '../support/statement-log.js'

let db: Database
let log: StatementLog
beforeAll(async () => {
  ;({ db, ...log } = await openLoggedTestDatabase())
}, 60_000)
afterAll(() => db?.close())

describe('lookups batched per turn of the event loop', () => {
  test('memberships asked in one turn are one read per table and answer as the lookups one at a time do', async () => {
    const group = await seedGroup(db, { scopes: ['PARTICIPANT', 'PARTICIPANT'] })
    const dissolved = await seedGroup(db, { scopes: ['PARTICIPANT'] })
    await db.prisma.group.update({ where: { guid: dissolved.guid }, data: { dissolvedAt: new Date() } })
    const [outsider, roomMember] = await createUsers(db, 2)
    const roomId = uniqueId('room')
    await db.prisma.chatRoom.create({ data: { id: roomId, name: 'Room' } })
    await db.prisma.chatRoomMember.create({ data: { chatRoomId: roomId, uid: roomMember, joinedAt: new Date() } })

    const asked: Array<[Place, string]> = [
      ...[group.owner, ...group.uids, outsider].map((uid): [Place, string] => [{ groupGuid: group.guid }, uid]),
      [{ groupGuid: dissolved.guid }, dissolved.uids[0]],
      [{ groupGuid: uniqueId('g') }, outsider],
      [{ chatRoomId: roomId }, roomMember],
      [{ chatRoomId: roomId }, group.owner],
      [{ chatRoomId: uniqueId('room') }, roomMember],
    ]
    const lookups = new TurnBatchedLookups(db.prisma)
    const { value: batched, sql } = await log.statementsOf(() => Promise.all(asked.map(([place, uid]) => lookups.membershipIn(place, uid))))
    const one = membershipLookupOver(db.prisma)
    const single = await Promise.all(asked.map(([place, uid]) => one.membershipIn(place, uid)))

    expect(batched).toEqual(single)
    expect(batched).toEqual([
      ...Array(3).fill({ exists: true, isMember: true }),
      { exists: true, isMember: false },
      { exists: false, isMember: false },
      { exists: false, isMember: false },
      { exists: true, isMember: true },
      { exists: true, isMember: false },
      { exists: false, isMember: false },
    ])
    // Groups, group members, chat rooms, chat room members.
    expect(sql).toHaveLength(4)
  })

  test('users asked for by many callers within one turn are one statement, and nothing is cached across turns', async () => {
    const uids = await createUsers(db, 50)
    const lookups = new TurnBatchedLookups(db.prisma)
    const { value: users, sql } = await log.statementsOf(() => Promise.all([...uids, 'nobody'].map((uid) => lookups.user(uid))))
    expect(sql).toHaveLength(1)
    expect(users.map((user) => user?.uid ?? null)).toEqual([...uids, null])

    await db.prisma.user.update({ where: { uid: uids[0] }, data: { deactivatedAt: new Date() } })
    expect((await lookups.user(uids[0]))?.deactivatedAt).toBeInstanceOf(Date)
  })

  test('with spacing, lookups that trickle in while batches follow each other share the next batch', async () => {
    const uids = await createUsers(db, 3)
    const trickle = async (lookups: TurnBatchedLookups) => {
      const { sql } = await log.statementsOf(async () => {
        await lookups.user(uids[0])
        const later = [lookups.user(uids[1])]
        await new Promise((r) => setTimeout(r, 10))
        later.push(lookups.user(uids[2]))
        await Promise.all(later)
      })
      return sql.length
    }
    // The first lookup is read at once; the two that come within 500 ms of it wait and go
    // together (a spacing this long keeps the test true on a loaded machine, where the first
    // read alone can take longer than the 20 ms the server uses).
    expect(await trickle(new TurnBatchedLookups(db.prisma, { spacingMs: 500 }))).toBe(2)
    expect(await trickle(new TurnBatchedLookups(db.prisma))).toBe(3)
  })
})
