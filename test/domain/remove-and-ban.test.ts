import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { Database } from '../../src/db/database.js'
import type { DomainDeps } from '../../src/domain/deps.js'
import { addMembers } from '../../src/domain/groups/add-members.js'
import { banGroupMember, unbanGroupMember } from '../../src/domain/groups/ban-member.js'
import { joinGroup } from '../../src/domain/groups/join-group.js'
import { leaveGroup } from '../../src/domain/groups/leave-group.js'
import { kickGroupMember, removeMembers } from '../../src/domain/groups/remove-members.js'
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

const scopeOf = async (guid: string, uid: string) =>
  (await db.prisma.groupMember.findUnique({ where: { groupGuid_uid: { groupGuid: guid, uid } } }))?.scope ?? null
const eventCount = (guid: string) => db.prisma.memberLeftEvent.count({ where: { groupGuid: guid } })

describe('removeMembers', () => {
  test('removes the members among the uids in one KICKED event and reports the rest in notMembers', async () => {
    const g = await seedGroup(db, { scopes: ['PARTICIPANT', 'PARTICIPANT', 'PARTICIPANT'] })
    const [outsider] = await createUsers(db, 1)
    const { value, events } = await removeMembers(deps, userActor(g.owner), { guid: g.guid, uids: [g.uids[0], outsider, g.uids[2]] })
    expect(value.removed.map((u) => u.uid).sort()).toEqual([g.uids[0], g.uids[2]].sort())
    expect(value.notMembers).toEqual([outsider])
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({ exitType: 'KICKED', reason: 'ADMIN_REMOVED', operatorUid: g.owner })
    expect(events[0].memberUids.sort()).toEqual([g.uids[0], g.uids[2]].sort())
    const actions = await db.prisma.message.findMany({ where: { groupGuid: g.guid } })
    expect(actions).toHaveLength(2)
    expect(actions.every((a) => a.action === 'KICKED' && a.actionByUid === g.owner)).toBe(true)
    expect(actions.map((a) => a.actionOnUid).sort()).toEqual([g.uids[0], g.uids[2]].sort())
  })

  test('the reason given is kept', async () => {
    const g = await seedGroup(db, { scopes: ['PARTICIPANT'] })
    const { events } = await removeMembers(deps, appAdmin, { guid: g.guid, uids: g.uids, reason: 'CHANNEL_OPERATOR_REMOVED' })
    expect(events[0].reason).toBe('CHANNEL_OPERATOR_REMOVED')
  })

  test('none of the uids a member: ERR_MEMBERS_NOT_FOUND', async () => {
    const g = await seedGroup(db, { scopes: ['PARTICIPANT'] })
    await expectDomainError(removeMembers(deps, userActor(g.owner), { guid: g.guid, uids: ['ghost_1', 'ghost_2'] }), 'ERR_MEMBERS_NOT_FOUND')
  })

  test('more than 1,000 uids, none, or duplicates are invalid input naming the field', async () => {
    const g = await seedGroup(db)
    const many = Array.from({ length: 1001 }, (_, i) => `u${i}`)
    const tooMany = await expectDomainError(() => removeMembers(deps, userActor(g.owner), { guid: g.guid, uids: many }), 'ERR_INVALID_INPUT')
    expect(tooMany.message).toMatch(/^uids: /)
    await expectDomainError(() => removeMembers(deps, userActor(g.owner), { guid: g.guid, uids: [] }), 'ERR_INVALID_INPUT')
    await expectDomainError(() => removeMembers(deps, userActor(g.owner), { guid: g.guid, uids: ['a', 'a'] }), 'ERR_INVALID_INPUT')
    const badId = await expectDomainError(() => removeMembers(deps, userActor(g.owner), { guid: g.guid, uids: ['ok', 'not ok'] }), 'ERR_INVALID_INPUT')
    expect(badId.message).toMatch(/^uids\[1\]: /)
    await expectDomainError(() => removeMembers(deps, userActor(g.owner), { guid: g.guid }), 'ERR_INVALID_INPUT')
  })

  test('one member the caller may not remove fails the whole call and removes nobody', async () => {
    const g = await seedGroup(db, { scopes: ['ADMIN', 'ADMIN', 'PARTICIPANT'] })
    const [admin, otherAdmin, participant] = g.uids
    await expectDomainError(removeMembers(deps, userActor(admin), { guid: g.guid, uids: [participant, otherAdmin] }), 'ERR_INSUFFICIENT_SCOPE')
    expect(await db.prisma.groupMember.count({ where: { groupGuid: g.guid } })).toBe(4)
    expect(await eventCount(g.guid)).toBe(0)
  })

  test('removeAll removes everyone but the owner', async () => {
    const g = await seedGroup(db, { scopes: ['ADMIN', 'MODERATOR', 'PARTICIPANT'] })
    const { value, events } = await removeMembers(deps, userActor(g.owner), { guid: g.guid, removeAll: true })
    expect(value.removed).toHaveLength(3)
    expect(events[0].memberUids).toEqual(g.uids)
    expect(await db.prisma.groupMember.findMany({ where: { groupGuid: g.guid }, select: { uid: true } })).toEqual([{ uid: g.owner }])
  })

  test('the app admin may remove the owner: the group is left without an owner until the app admin transfers it', async () => {
    const g = await seedGroup(db, { scopes: ['ADMIN', 'PARTICIPANT'] })
    const { value } = await removeMembers(deps, appAdmin, { guid: g.guid, uids: [g.owner] })
    expect(value.group.ownerUid).toBeNull()
    await expectDomainError(transferGroupOwnership(deps, userActor(g.uids[0]), { guid: g.guid, uid: g.uids[0] }), 'ERR_INSUFFICIENT_SCOPE')
    const { value: after } = await transferGroupOwnership(deps, appAdmin, { guid: g.guid, uid: g.uids[1] })
    expect(after.group.ownerUid).toBe(g.uids[1])
    expect(await scopeOf(g.guid, g.uids[1])).toBe('OWNER')
    expect(await scopeOf(g.guid, g.uids[0])).toBe('ADMIN')
  })
})

describe('scopes', () => {
  test('a member may kick only members of a strictly lower scope; the owner anyone', async () => {
    const g = await seedGroup(db, { scopes: ['ADMIN', 'MODERATOR', 'MODERATOR', 'PARTICIPANT', 'PARTICIPANT'] })
    const [admin, mod, mod2, p1, p2] = g.uids
    await expectDomainError(kickGroupMember(deps, userActor(p1), { guid: g.guid, uid: p2 }), 'ERR_INSUFFICIENT_SCOPE')
    await expectDomainError(kickGroupMember(deps, userActor(mod), { guid: g.guid, uid: mod2 }), 'ERR_INSUFFICIENT_SCOPE')
    await expectDomainError(kickGroupMember(deps, userActor(mod), { guid: g.guid, uid: admin }), 'ERR_INSUFFICIENT_SCOPE')
    await expectDomainError(kickGroupMember(deps, userActor(admin), { guid: g.guid, uid: g.owner }), 'ERR_INSUFFICIENT_SCOPE')
    const { events } = await kickGroupMember(deps, userActor(mod), { guid: g.guid, uid: p1 })
    expect(events[0]).toMatchObject({ exitType: 'KICKED', reason: 'CHANNEL_OPERATOR_REMOVED', memberUids: [p1], operatorUid: mod })
    await kickGroupMember(deps, userActor(admin), { guid: g.guid, uid: mod2 })
    await kickGroupMember(deps, userActor(g.owner), { guid: g.guid, uid: admin })
    await expectDomainError(kickGroupMember(deps, userActor(g.owner), { guid: g.guid, uid: admin }), 'ERR_NOT_A_MEMBER')
    const [outsider] = await createUsers(db, 1)
    await expectDomainError(kickGroupMember(deps, userActor(outsider), { guid: g.guid, uid: p2 }), 'ERR_INSUFFICIENT_SCOPE')
  })

  test('addMembers: owner or ADMIN only, granting only scopes below its own, never OWNER', async () => {
    const g = await seedGroup(db, { scopes: ['ADMIN', 'MODERATOR'] })
    const [admin, mod] = g.uids
    const [a, b, c] = await createUsers(db, 3)
    await expectDomainError(addMembers(deps, userActor(mod), { guid: g.guid, members: [{ uid: a }] }), 'ERR_INSUFFICIENT_SCOPE')
    await expectDomainError(addMembers(deps, userActor(admin), { guid: g.guid, members: [{ uid: a, scope: 'ADMIN' }] }), 'ERR_INSUFFICIENT_SCOPE')
    const owner = await expectDomainError(() => addMembers(deps, userActor(g.owner), { guid: g.guid, members: [{ uid: a, scope: 'OWNER' }] }), 'ERR_INVALID_INPUT')
    expect(owner.message).toMatch(/^members\[0\]\.scope/)
    await expectDomainError(addMembers(deps, userActor(admin), { guid: g.guid, members: [{ uid: 'nobody_here' }] }), 'ERR_USER_NOT_FOUND')
    const tooMany = Array.from({ length: 1001 }, (_, i) => ({ uid: `u${i}` }))
    const sized = await expectDomainError(() => addMembers(deps, userActor(g.owner), { guid: g.guid, members: tooMany }), 'ERR_INVALID_INPUT')
    expect(sized.message).toMatch(/^members: /)
    await expectDomainError(() => addMembers(deps, userActor(g.owner), { guid: g.guid, members: [] }), 'ERR_INVALID_INPUT')
    const { value } = await addMembers(deps, userActor(admin), { guid: g.guid, members: [{ uid: a, scope: 'MODERATOR' }, { uid: b }] })
    expect(value.added.map((m) => [m.uid, m.scope]).sort()).toEqual([[a, 'MODERATOR'], [b, 'PARTICIPANT']].sort())
    await expectDomainError(addMembers(deps, userActor(g.owner), { guid: g.guid, members: [{ uid: c }, { uid: a }] }), 'ERR_ALREADY_MEMBER')
    expect(await scopeOf(g.guid, c)).toBeNull()
  })
})

describe('operator status', () => {
  test('a departing ADMIN or MODERATOR gets its scope back when it rejoins or is re-added', async () => {
    const g = await seedGroup(db, { scopes: ['ADMIN', 'MODERATOR'] })
    const [admin, mod] = g.uids
    await leaveGroup(deps, userActor(admin), { guid: g.guid })
    await kickGroupMember(deps, userActor(g.owner), { guid: g.guid, uid: mod })
    await joinGroup(deps, userActor(admin), { guid: g.guid })
    await addMembers(deps, userActor(g.owner), { guid: g.guid, members: [{ uid: mod }] })
    expect(await scopeOf(g.guid, admin)).toBe('ADMIN')
    expect(await scopeOf(g.guid, mod)).toBe('MODERATOR')
  })

  test('but not after removeMembers(removeOperatorStatus: true) or a ban', async () => {
    const g = await seedGroup(db, { scopes: ['ADMIN', 'MODERATOR'] })
    const [admin, mod] = g.uids
    await removeMembers(deps, userActor(g.owner), { guid: g.guid, uids: [admin], removeOperatorStatus: true })
    await banGroupMember(deps, userActor(g.owner), { guid: g.guid, uid: mod })
    await unbanGroupMember(deps, userActor(g.owner), { guid: g.guid, uid: mod })
    await joinGroup(deps, userActor(admin), { guid: g.guid })
    await joinGroup(deps, userActor(mod), { guid: g.guid })
    expect(await scopeOf(g.guid, admin)).toBe('PARTICIPANT')
    expect(await scopeOf(g.guid, mod)).toBe('PARTICIPANT')
  })
})

describe('bans', () => {
  test('ban removes the member (BANNED) and keeps it out until unbanned', async () => {
    const g = await seedGroup(db, { scopes: ['MODERATOR', 'PARTICIPANT'] })
    const [mod, member] = g.uids
    const { value, events } = await banGroupMember(deps, userActor(mod), { guid: g.guid, uid: member, reason: 'spam' })
    expect(value.event).toMatchObject({ exitType: 'BANNED', memberUids: [member], operatorUid: mod })
    expect(events).toHaveLength(1)
    expect(await db.prisma.message.findFirst({ where: { groupGuid: g.guid, action: 'BANNED' } })).toMatchObject({ actionByUid: mod, actionOnUid: member })
    await expectDomainError(joinGroup(deps, userActor(member), { guid: g.guid }), 'ERR_BANNED')
    await expectDomainError(addMembers(deps, userActor(g.owner), { guid: g.guid, members: [{ uid: member }] }), 'ERR_BANNED')
    await unbanGroupMember(deps, userActor(mod), { guid: g.guid, uid: member })
    await joinGroup(deps, userActor(member), { guid: g.guid })
    expect(await scopeOf(g.guid, member)).toBe('PARTICIPANT')
  })

  test('banning a non-member is allowed and emits no event', async () => {
    const g = await seedGroup(db)
    const [stranger] = await createUsers(db, 1)
    const { value, events } = await banGroupMember(deps, userActor(g.owner), { guid: g.guid, uid: stranger })
    expect(value.event).toBeNull()
    expect(events).toEqual([])
    expect(await eventCount(g.guid)).toBe(0)
    await expectDomainError(joinGroup(deps, userActor(stranger), { guid: g.guid }), 'ERR_BANNED')
  })

  test('participants may not ban; an unknown user cannot be banned', async () => {
    const g = await seedGroup(db, { scopes: ['PARTICIPANT', 'PARTICIPANT'] })
    await expectDomainError(banGroupMember(deps, userActor(g.uids[0]), { guid: g.guid, uid: g.uids[1] }), 'ERR_INSUFFICIENT_SCOPE')
    await expectDomainError(banGroupMember(deps, userActor(g.owner), { guid: g.guid, uid: 'ghost_user' }), 'ERR_USER_NOT_FOUND')
  })
})

describe('joinGroup', () => {
  test('password, private and already-member rules', async () => {
    const owner = (await createUsers(db, 1))[0]
    const [joiner] = await createUsers(db, 1)
    const { createGroup } = await import('../../src/domain/groups/create-group.js')
    const guid = `pw_${joiner}`
    await expectDomainError(() => createGroup(deps, userActor(owner), { guid, name: 'Locked', type: 'PASSWORD' }), 'ERR_INVALID_INPUT')
    await createGroup(deps, userActor(owner), { guid, name: 'Locked', type: 'PASSWORD', password: 's3cret' })
    await expectDomainError(createGroup(deps, userActor(owner), { guid, name: 'Again', type: 'PUBLIC' }), 'ERR_INVALID_INPUT')
    await expectDomainError(joinGroup(deps, userActor(joiner), { guid, password: 'wrong' }), 'ERR_WRONG_PASSWORD')
    await expectDomainError(joinGroup(deps, userActor(joiner), { guid }), 'ERR_WRONG_PASSWORD')
    const { value } = await joinGroup(deps, userActor(joiner), { guid, password: 's3cret' })
    expect(value.member).toMatchObject({ uid: joiner, scope: 'PARTICIPANT' })
    await expectDomainError(joinGroup(deps, userActor(joiner), { guid, password: 's3cret' }), 'ERR_ALREADY_MEMBER')

    const priv = await seedGroup(db, { type: 'PRIVATE' })
    await expectDomainError(joinGroup(deps, userActor(joiner), { guid: priv.guid }), 'ERR_INSUFFICIENT_SCOPE')
    await expectDomainError(joinGroup(deps, userActor(joiner), { guid: 'no_such_group' }), 'ERR_GROUP_NOT_FOUND')
  })
})

describe('concurrency', () => {
  test('a kick racing a leave of the same member ends in exactly one exit; the other gets ERR_NOT_A_MEMBER', async () => {
    for (let round = 0; round < 5; round++) {
      const g = await seedGroup(db, { scopes: ['PARTICIPANT'] })
      const [member] = g.uids
      const results = await Promise.allSettled([
        kickGroupMember(deps, userActor(g.owner), { guid: g.guid, uid: member }),
        leaveGroup(deps, userActor(member), { guid: g.guid }),
      ])
      const fulfilled = results.filter((r) => r.status === 'fulfilled')
      const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
      expect(fulfilled).toHaveLength(1)
      expect(rejected).toHaveLength(1)
      expect(rejected[0].reason.code).toBe('ERR_NOT_A_MEMBER')
      expect(await eventCount(g.guid)).toBe(1)
      expect(await db.prisma.message.count({ where: { groupGuid: g.guid } })).toBe(1)
    }
  })
})
