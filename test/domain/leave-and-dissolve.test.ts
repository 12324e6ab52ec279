import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { Database } from '../../src/db/database.js'
import type { DomainDeps } from '../../src/domain/deps.js'
import { leaveGroup } from '../../src/domain/groups/leave-group.js'
import { deleteGroup } from '../../src/domain/groups/delete-group.js'
import { joinGroup } from '../../src/domain/groups/join-group.js'
import { sendGroupMessage } from '../../src/domain/groups/send-group-message.js'
import { transferGroupOwnership } from '../../src/domain/groups/transfer-ownership.js'
import { openTestDatabase } from '../support/database.js'
import { appAdmin, createUsers, domainDeps, seedGroup, userActor } from '../support/domain-fixtures.js'
import { expectDomainError } from '../support/expect-domain-error.js'

let db: Database
let deps: DomainDeps
beforeAll(async () => {
  db = await openTestDatabase()
  deps = domainDeps(db)
})
afterAll(() => db?.close())

const eventsOf = (guid: string) => db.prisma.memberLeftEvent.findMany({ where: { groupGuid: guid }, orderBy: { id: 'asc' } })
const historyOf = (guid: string) => db.prisma.message.findMany({ where: { groupGuid: guid }, orderBy: { id: 'asc' } })

describe('leaveGroup', () => {
  test('a member leaves: membership, one LEFT action message and one QUIT event, in one go', async () => {
    const g = await seedGroup(db, { scopes: ['PARTICIPANT', 'PARTICIPANT'] })
    const [leaver] = g.uids
    const { value, events } = await leaveGroup(deps, userActor(leaver), { guid: g.guid })

    expect(value.message).toBe(`${g.guid} left successfully`)
    expect(await db.prisma.groupMember.findMany({ where: { groupGuid: g.guid, uid: leaver } })).toEqual([])
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({ exitType: 'QUIT', reason: 'LEFT_BY_OWN_CHOICE', memberUids: [leaver], operatorUid: leaver, groupGuid: g.guid })
    expect(await eventsOf(g.guid)).toEqual(events)
    expect(await historyOf(g.guid)).toMatchObject([{ kind: 'ACTION', action: 'LEFT', actionByUid: leaver, actionOnUid: null }])
  })

  test('a non-member is refused with ERR_NOT_A_MEMBER and nothing is written', async () => {
    const g = await seedGroup(db, { scopes: ['PARTICIPANT'] })
    const [outsider] = await createUsers(db, 1)
    await expectDomainError(leaveGroup(deps, userActor(outsider), { guid: g.guid }), 'ERR_NOT_A_MEMBER')
    expect(await eventsOf(g.guid)).toEqual([])
    expect(await historyOf(g.guid)).toEqual([])
  })

  test('owner cannot leave a TRANSFER_REQUIRED group without transferring ownership', async () => {
    const g = await seedGroup(db, { scopes: ['ADMIN'] })
    const error = await expectDomainError(leaveGroup(deps, userActor(g.owner), { guid: g.guid }), 'ERR_OWNER_MUST_TRANSFER')
    expect(error.message).toContain(g.guid)
    expect(await db.prisma.groupMember.count({ where: { groupGuid: g.guid } })).toBe(2)
    expect(await eventsOf(g.guid)).toEqual([])
  })

  test('owner can leave after transferring ownership; the new owner is OWNER and the old one ADMIN', async () => {
    const g = await seedGroup(db, { scopes: ['PARTICIPANT'] })
    const [heir] = g.uids
    const { value } = await transferGroupOwnership(deps, userActor(g.owner), { guid: g.guid, uid: heir })
    expect(value.group.ownerUid).toBe(heir)
    const scopes = await db.prisma.groupMember.findMany({ where: { groupGuid: g.guid }, orderBy: { joinedAt: 'asc' } })
    expect(scopes.map((m) => m.scope)).toEqual(['ADMIN', 'OWNER'])
    expect(await historyOf(g.guid)).toMatchObject([{ action: 'OWNERSHIP_TRANSFERRED', actionByUid: g.owner, actionOnUid: heir }])
    const { events } = await leaveGroup(deps, userActor(g.owner), { guid: g.guid })
    expect(events[0].memberUids).toEqual([g.owner])
  })

  test('owner leaving a DISSOLVE group dissolves it: one DISSOLVED event for everyone, history cleared', async () => {
    const g = await seedGroup(db, { scopes: ['ADMIN', 'PARTICIPANT', 'PARTICIPANT'], policy: 'DISSOLVE' })
    await sendGroupMessage(deps, userActor(g.uids[1]), { guid: g.guid, text: 'hello' })
    const { value, events } = await leaveGroup(deps, userActor(g.owner), { guid: g.guid })

    expect(events).toHaveLength(1)
    expect(events[0].exitType).toBe('DISSOLVED')
    expect(events[0].memberUids).toEqual([g.owner, ...g.uids])
    expect(value.group.dissolvedAt).not.toBeNull()
    expect(value.group.ownerUid).toBeNull()
    expect(await historyOf(g.guid)).toEqual([])
    expect(await db.prisma.groupMember.count({ where: { groupGuid: g.guid } })).toBe(0)
    await expectDomainError(sendGroupMessage(deps, userActor(g.uids[0]), { guid: g.guid, text: 'hi' }), 'ERR_GROUP_NOT_FOUND')
    await expectDomainError(joinGroup(deps, userActor(g.uids[0]), { guid: g.guid }), 'ERR_GROUP_NOT_FOUND')
    await expectDomainError(leaveGroup(deps, userActor(g.uids[0]), { guid: g.guid }), 'ERR_GROUP_NOT_FOUND')
  })
})

describe('transferGroupOwnership', () => {
  test('only the owner or the app admin may transfer, and only to a member', async () => {
    const g = await seedGroup(db, { scopes: ['ADMIN', 'PARTICIPANT'] })
    const [admin, participant] = g.uids
    const [outsider] = await createUsers(db, 1)
    await expectDomainError(transferGroupOwnership(deps, userActor(admin), { guid: g.guid, uid: admin }), 'ERR_INSUFFICIENT_SCOPE')
    await expectDomainError(transferGroupOwnership(deps, userActor(g.owner), { guid: g.guid, uid: outsider }), 'ERR_NOT_A_MEMBER')
    await expectDomainError(transferGroupOwnership(deps, userActor(g.owner), { guid: g.guid, uid: 'no_such_user' }), 'ERR_USER_NOT_FOUND')
    const { value } = await transferGroupOwnership(deps, appAdmin, { guid: g.guid, uid: participant })
    expect(value.group.ownerUid).toBe(participant)
  })
})

describe('deleteGroup', () => {
  test('the owner or the app admin dissolves a group with reason ADMIN_DELETED; others may not', async () => {
    const g = await seedGroup(db, { scopes: ['ADMIN'] })
    await expectDomainError(deleteGroup(deps, userActor(g.uids[0]), { guid: g.guid }), 'ERR_INSUFFICIENT_SCOPE')
    const { events } = await deleteGroup(deps, appAdmin, { guid: g.guid })
    expect(events[0]).toMatchObject({ exitType: 'DISSOLVED', reason: 'ADMIN_DELETED', memberUids: [g.owner, g.uids[0]], operatorUid: null })
    await expectDomainError(deleteGroup(deps, appAdmin, { guid: g.guid }), 'ERR_GROUP_NOT_FOUND')
  })
})
