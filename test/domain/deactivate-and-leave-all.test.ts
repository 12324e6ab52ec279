import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { Database } from '../../src/db/database.js'
import type { DomainDeps } from '../../src/domain/deps.js'
import { leaveAllGroups } from '../../src/domain/groups/leave-all-groups.js'
import { sendGroupMessage } from '../../src/domain/groups/send-group-message.js'
import { createUser } from '../../src/domain/users/create-user.js'
import { deactivateUser } from '../../src/domain/users/deactivate-user.js'
import { openTestDatabase, uniqueId } from '../support/database.js'
import { appAdmin, createUsers, domainDeps, manualClock, seedGroup, userActor } from '../support/domain-fixtures.js'
import { expectDomainError } from '../support/expect-domain-error.js'

let db: Database
let deps: DomainDeps
const clock = manualClock()
beforeAll(async () => {
  db = await openTestDatabase()
  deps = domainDeps(db, clock)
})
afterAll(() => db?.close())

const membersOf = async (guid: string) =>
  Object.fromEntries((await db.prisma.groupMember.findMany({ where: { groupGuid: guid } })).map((m) => [m.uid, m.scope]))

async function addTo(guid: string, uid: string, scope: 'ADMIN' | 'MODERATOR' | 'PARTICIPANT', joinedAt: Date) {
  await db.prisma.groupMember.create({ data: { groupGuid: guid, uid, scope, joinedAt } })
}

describe('deactivateUser', () => {
  test('signs the user out and makes it leave every group: one DEACTIVATED event per group', async () => {
    const a = await seedGroup(db, { scopes: ['PARTICIPANT'] })
    const b = await seedGroup(db)
    const user = a.uids[0]
    await addTo(b.guid, user, 'MODERATOR', new Date())
    clock.advance(1000)
    const { value, events } = await deactivateUser(deps, appAdmin, { uid: user })

    expect(value.user.deactivatedAt).toEqual(clock.now())
    expect(value.user.tokensValidAfter).toEqual(clock.now())
    expect(events).toHaveLength(2)
    for (const event of events) expect(event).toMatchObject({ exitType: 'DEACTIVATED', reason: 'ADMIN_DEACTIVATED', memberUids: [user] })
    expect(events.map((e) => e.groupGuid).sort()).toEqual([a.guid, b.guid].sort())
    expect(await db.prisma.groupMember.count({ where: { uid: user } })).toBe(0)
  })

  test('an owned TRANSFER_REQUIRED group passes to its longest-standing ADMIN, else MODERATOR, else member', async () => {
    const g1 = await seedGroup(db, { scopes: ['PARTICIPANT', 'MODERATOR', 'ADMIN', 'ADMIN'] })
    const g2 = await seedGroup(db, { scopes: ['PARTICIPANT', 'MODERATOR', 'MODERATOR'] })
    const g3 = await seedGroup(db, { scopes: ['PARTICIPANT', 'PARTICIPANT'] })
    const [owner] = await createUsers(db, 1)
    for (const g of [g1, g2, g3]) {
      await db.prisma.groupMember.update({ where: { groupGuid_uid: { groupGuid: g.guid, uid: g.owner } }, data: { scope: 'PARTICIPANT' } })
      await db.prisma.groupMember.create({ data: { groupGuid: g.guid, uid: owner, scope: 'OWNER', joinedAt: new Date(0) } })
      await db.prisma.group.update({ where: { guid: g.guid }, data: { ownerUid: owner } })
    }
    const { events } = await deactivateUser(deps, appAdmin, { uid: owner })
    expect(events.map((e) => e.exitType)).toEqual(['DEACTIVATED', 'DEACTIVATED', 'DEACTIVATED'])
    expect((await membersOf(g1.guid))[g1.uids[2]]).toBe('OWNER')
    expect((await membersOf(g2.guid))[g2.uids[1]]).toBe('OWNER')
    expect((await membersOf(g3.guid))[g3.owner]).toBe('OWNER')
    for (const g of [g1, g2, g3]) expect((await membersOf(g.guid))[owner]).toBeUndefined()
    const transfer = await db.prisma.message.findFirst({ where: { groupGuid: g1.guid, action: 'OWNERSHIP_TRANSFERRED' } })
    expect(transfer).toMatchObject({ actionOnUid: g1.uids[2] })
  })

  test('an owned DISSOLVE group is dissolved, and so is a TRANSFER_REQUIRED group with nobody else in it', async () => {
    const dissolving = await seedGroup(db, { scopes: ['ADMIN'], policy: 'DISSOLVE' })
    const alone = await seedGroup(db)
    const [owner] = [dissolving.owner]
    await db.prisma.groupMember.deleteMany({ where: { groupGuid: alone.guid } })
    await db.prisma.groupMember.create({ data: { groupGuid: alone.guid, uid: owner, scope: 'OWNER' } })
    await db.prisma.group.update({ where: { guid: alone.guid }, data: { ownerUid: owner } })
    const { events } = await deactivateUser(deps, appAdmin, { uid: owner })
    expect(events.map((e) => [e.groupGuid, e.exitType, e.reason]).sort()).toEqual(
      [[dissolving.guid, 'DISSOLVED', 'ADMIN_DEACTIVATED'], [alone.guid, 'DISSOLVED', 'ADMIN_DEACTIVATED']].sort(),
    )
    expect(await db.prisma.group.count({ where: { guid: { in: [dissolving.guid, alone.guid] }, dissolvedAt: { not: null } } })).toBe(2)
  })

  test('leaves every chat room too: one DEACTIVATED event per room, after the group exits', async () => {
    const g = await seedGroup(db, { scopes: ['PARTICIPANT'] })
    const user = g.uids[0]
    const rooms = [uniqueId('room'), uniqueId('room')]
    for (const id of rooms) {
      await db.prisma.chatRoom.create({ data: { id, name: id } })
      await db.prisma.chatRoomMember.create({ data: { chatRoomId: id, uid: user, joinedAt: clock.now() } })
    }
    const { events } = await deactivateUser(deps, appAdmin, { uid: user })
    expect(events.map((e) => e.groupGuid ?? e.chatRoomId)).toEqual([g.guid, ...[...rooms].sort()])
    for (const event of events) expect(event).toMatchObject({ exitType: 'DEACTIVATED', reason: 'ADMIN_DEACTIVATED', memberUids: [user] })
    expect(await db.prisma.chatRoomMember.count({ where: { uid: user } })).toBe(0)
  })

  test('with leaveAllWhenDeactivated false the user is signed out but stays in its groups', async () => {
    const g = await seedGroup(db, { scopes: ['PARTICIPANT'] })
    const uid = g.uids[0]
    await createUser(deps, appAdmin, { uid, name: 'Keeps groups', leaveAllWhenDeactivated: false })
    const { value, events } = await deactivateUser(deps, appAdmin, { uid })
    expect(events).toEqual([])
    expect(value.user.deactivatedAt).not.toBeNull()
    expect(await membersOf(g.guid)).toHaveProperty(uid)
  })

  test('only the app admin deactivates, and only known users', async () => {
    const [uid] = await createUsers(db, 1)
    await expectDomainError(() => deactivateUser(deps, userActor(uid), { uid }), 'ERR_INSUFFICIENT_SCOPE')
    await expectDomainError(() => deactivateUser(deps, appAdmin, { uid: 'nobody_at_all' }), 'ERR_USER_NOT_FOUND')
  })
})

describe('leaveAllGroups', () => {
  test('leaves every group it may; owned TRANSFER_REQUIRED groups are skipped, owned DISSOLVE groups dissolved', async () => {
    const member = await seedGroup(db, { scopes: ['PARTICIPANT'] })
    const uid = member.uids[0]
    const owned = await seedGroup(db)
    const dissolving = await seedGroup(db, { policy: 'DISSOLVE', scopes: ['PARTICIPANT'] })
    for (const g of [owned, dissolving]) {
      await db.prisma.groupMember.update({ where: { groupGuid_uid: { groupGuid: g.guid, uid: g.owner } }, data: { scope: 'PARTICIPANT' } })
      await db.prisma.groupMember.create({ data: { groupGuid: g.guid, uid, scope: 'OWNER' } })
      await db.prisma.group.update({ where: { guid: g.guid }, data: { ownerUid: uid } })
    }
    const { value, events } = await leaveAllGroups(deps, userActor(uid), {})
    expect(value.skipped.map((g) => g.guid)).toEqual([owned.guid])
    expect(value.left.map((g) => g.guid).sort()).toEqual([member.guid, dissolving.guid].sort())
    expect(events.map((e) => [e.groupGuid, e.exitType]).sort()).toEqual([[member.guid, 'QUIT'], [dissolving.guid, 'DISSOLVED']].sort())
    expect(await db.prisma.groupMember.findMany({ where: { uid }, select: { groupGuid: true } })).toEqual([{ groupGuid: owned.guid }])
  })

  test("another user's uid needs the app admin", async () => {
    const g = await seedGroup(db, { scopes: ['PARTICIPANT', 'PARTICIPANT'] })
    await expectDomainError(() => leaveAllGroups(deps, userActor(g.uids[0]), { uid: g.uids[1] }), 'ERR_INSUFFICIENT_SCOPE')
    const { events } = await leaveAllGroups(deps, appAdmin, { uid: g.uids[1] })
    expect(events).toHaveLength(1)
  })
})

describe('input validation', () => {
  test('bad ids, names and texts are refused with the field named', async () => {
    const g = await seedGroup(db, { scopes: ['PARTICIPANT'] })
    const badGuid = await expectDomainError(() => sendGroupMessage(deps, userActor(g.uids[0]), { guid: 'bad guid!', text: 'x' }), 'ERR_INVALID_INPUT')
    expect(badGuid.message).toMatch(/^guid: /)
    const empty = await expectDomainError(() => sendGroupMessage(deps, userActor(g.uids[0]), { guid: g.guid, text: '  ' }), 'ERR_INVALID_INPUT')
    expect(empty.message).toMatch(/^text: /)
    await expectDomainError(() => sendGroupMessage(deps, userActor(g.uids[0]), { guid: g.guid, text: 'x'.repeat(4001) }), 'ERR_INVALID_INPUT')
    const longName = await expectDomainError(() => createUser(deps, appAdmin, { uid: 'fine', name: 'n'.repeat(101) }), 'ERR_INVALID_INPUT')
    expect(longName.message).toMatch(/^input\.name: /)
    const longId = await expectDomainError(() => createUser(deps, appAdmin, { uid: 'x'.repeat(101), name: 'ok' }), 'ERR_INVALID_INPUT')
    expect(longId.message).toMatch(/^input\.uid: /)
  })
})
