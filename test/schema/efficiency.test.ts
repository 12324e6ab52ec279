// The read side must not cost one query per group, member or message: nested selections are
// planned into a constant number of SQL statements, whatever the counts.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { uniqueId } from '../support/database.js'
import { adminViewer, executeAs, expectData, userViewer } from '../support/client.js'
import type { Database } from '../../src/db/database.js'
import type { GroupType } from '../../src/generated/prisma/enums.js'
import {
  GroupDirectoryTypenamesDocument,
  GroupMessagesDocument,
  GroupMessageTypenamesDocument,
  GroupsWithMembersDocument,
} from '../generated/graphql.js'
import { openLoggedTestDatabase, type StatementLog } from '../support/statement-log.js'

let db: Database
let statementsOf: StatementLog['statementsOf']

beforeAll(async () => {
  ;({ db, statementsOf } = await openLoggedTestDatabase())
}, 60_000)
afterAll(() => db?.close())


const TYPES: GroupType[] = ['PUBLIC', 'PRIVATE', 'PASSWORD']

/**
 * `groupCount` groups named after a fresh tag (so a search finds exactly them), each with the
 * same `memberCount` users: users[0] owns them all, users[1] is ADMIN everywhere.
 */
async function seedDirectory(groupCount: number, memberCount: number) {
  const tag = uniqueId('dir')
  const uids = Array.from({ length: memberCount }, (_, i) => `${tag}_u${String(i).padStart(3, '0')}`)
  await db.prisma.user.createMany({ data: uids.map((uid) => ({ uid, name: `Name ${uid}` })) })
  const guids = Array.from({ length: groupCount }, (_, i) => `${tag}_g${String(i).padStart(3, '0')}`)
  await db.prisma.group.createMany({
    data: guids.map((guid, i) => ({ guid, name: `${tag} group ${i}`, type: TYPES[i % TYPES.length], ownerUid: uids[0] })),
  })
  const base = Date.now() - 10_000_000
  await db.prisma.groupMember.createMany({
    data: guids.flatMap((groupGuid) =>
      uids.map((uid, i) => ({
        groupGuid,
        uid,
        scope: i === 0 ? ('OWNER' as const) : i === 1 ? ('ADMIN' as const) : ('PARTICIPANT' as const),
        joinedAt: new Date(base + i * 1000),
      })),
    ),
  })
  return { tag, uids, guids, owner: uids[0], admin: uids[1] }
}

/** One group whose history has `count` messages, alternating text and actions, each by other users. */
async function seedHistory(count: number) {
  const tag = uniqueId('hist')
  const guid = `${tag}_g`
  const uids = Array.from({ length: 2 * count + 1 }, (_, i) => `${tag}_u${i}`)
  await db.prisma.user.createMany({ data: uids.map((uid) => ({ uid, name: `Name ${uid}` })) })
  await db.prisma.group.create({ data: { guid, name: `${tag} history`, type: 'PRIVATE', ownerUid: uids[0] } })
  await db.prisma.groupMember.create({ data: { groupGuid: guid, uid: uids[0], scope: 'OWNER' } })
  await db.prisma.message.createMany({
    data: Array.from({ length: count }, (_, i) =>
      i % 2 === 0
        ? { groupGuid: guid, kind: 'TEXT' as const, senderUid: uids[2 * i + 1], text: `hello ${i}` }
        : {
            groupGuid: guid,
            kind: 'ACTION' as const,
            action: 'KICKED' as const,
            reason: 'ADMIN_REMOVED' as const,
            actionByUid: uids[2 * i + 1],
            actionOnUid: uids[2 * i + 2],
          },
    ),
  })
  return { guid, owner: uids[0] }
}

describe('listing groups with their members', () => {
  test('takes the same small number of statements for 10 groups × 5 members as for 100 groups × 50 members', async () => {
    const small = await seedDirectory(10, 5)
    const large = await seedDirectory(100, 50)

    const counts: Record<string, number> = {}
    for (const [label, seeded] of Object.entries({ small, large })) {
      for (const [who, viewer] of Object.entries({ member: userViewer(seeded.admin), admin: adminViewer() })) {
        const { value, sql } = await statementsOf(() =>
          executeAs(db, viewer, GroupsWithMembersDocument, { search: seeded.tag, first: 100, membersFirst: 50 }),
        )
        const data = expectData(value)
        const groups = data.groups.edges.map((edge) => edge!.node)
        expect(groups).toHaveLength(seeded.guids.length)
        for (const group of groups) {
          expect(group.membersCount).toBe(seeded.uids.length)
          expect(group.members.edges).toHaveLength(seeded.uids.length)
          expect(group.members.edges[0]!.node.user.uid).toBe(seeded.owner)
          expect(group.owner?.name).toBe(`Name ${seeded.owner}`)
          expect(group.viewerScope).toBe(who === 'member' ? 'ADMIN' : null)
        }
        counts[`${label}/${who}`] = sql.length
        // DEBUG_SQL=1 prints what was sent, to see which statement a change added.
        if (process.env.DEBUG_SQL) console.log(sql.map((s) => s.slice(0, 400)).join('\n\n'))
      }
    }
    console.log('groups(first: 100) { members(first: 50) { node { user } } owner membersCount viewerScope } statements:', counts)
    expect(counts['large/member']).toBe(counts['small/member'])
    expect(counts['large/admin']).toBe(counts['small/admin'])
    expect(counts['large/member']).toBeLessThanOrEqual(6)
  })

  test('selecting only __typename still queries the database correctly', async () => {
    const seeded = await seedDirectory(3, 2)
    const data = expectData(await executeAs(db, userViewer(seeded.admin), GroupDirectoryTypenamesDocument, { search: seeded.tag }))
    expect(data.groups.edges).toHaveLength(3)
    expect(data.groups.edges[0]!.node.members.edges).toEqual([{ node: { __typename: 'GroupMember' } }, { node: { __typename: 'GroupMember' } }])
  })
})

describe('listing a group history', () => {
  test('takes the same small number of statements for 4 messages as for 100, users and groups included', async () => {
    const counts: Record<string, number> = {}
    for (const count of [4, 100]) {
      const { guid, owner } = await seedHistory(count)
      for (const [who, viewer] of Object.entries({ member: userViewer(owner), admin: adminViewer() })) {
        const { value, sql } = await statementsOf(() => executeAs(db, viewer, GroupMessagesDocument, { guid, first: 100 }))
        const messages = expectData(value).groupMessages.edges.map((edge) => edge!.node)
        expect(messages).toHaveLength(count)
        const action = messages.find((m) => m.__typename === 'ActionMessage')
        expect(action).toMatchObject({ action: 'KICKED', reason: 'ADMIN_REMOVED', actionFor: { guid } })
        if (action?.__typename === 'ActionMessage') {
          expect(action.actionBy?.name).toBe(`Name ${action.actionBy?.uid}`)
          expect(action.actionOn).not.toBeNull()
        }
        const text = messages.find((m) => m.__typename === 'TextMessage')
        if (text?.__typename === 'TextMessage') expect(text.sender?.name).toBe(`Name ${text.sender?.uid}`)
        counts[`${count}/${who}`] = sql.length
        if (process.env.DEBUG_SQL) console.log(sql.map((s) => s.slice(0, 400)).join('\n\n'))
      }
    }
    console.log('groupMessages(first: 100) { sender actionBy actionOn actionFor } statements:', counts)
    expect(counts['100/member']).toBe(counts['4/member'])
    expect(counts['100/admin']).toBe(counts['4/admin'])
    expect(counts['100/member']).toBeLessThanOrEqual(6)
  })

  test('selecting only __typename resolves each kind', async () => {
    const { guid, owner } = await seedHistory(3)
    const data = expectData(await executeAs(db, userViewer(owner), GroupMessageTypenamesDocument, { guid }))
    expect(data.groupMessages.edges.map((edge) => edge!.node.__typename)).toEqual(['TextMessage', 'ActionMessage', 'TextMessage'])
  })
})
