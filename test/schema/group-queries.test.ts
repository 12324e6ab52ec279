import { parse } from 'graphql'
import type { TypedDocumentNode } from '@graphql-typed-document-node/core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { openTestDatabase, uniqueId } from '../support/database.js'
import { adminViewer, executeAs, expectData, expectGraphQLError, userViewer } from '../support/client.js'
import type { Database } from '../../src/db/database.js'
import type { GroupType, MemberScope } from '../../src/generated/prisma/enums.js'
import {
  CreateForFallbackDocument,
  GroupByGuidDocument,
  GroupDirectoryDocument,
  type GroupDirectoryQuery,
  GroupMembersPageDocument,
  GroupMessagesDocument,
  GroupTypenameDocument,
  MeDocument,
  UserByUidDocument,
} from '../generated/graphql.js'

let db: Database
beforeAll(async () => {
  db = await openTestDatabase()
}, 60_000)
afterAll(() => db?.close())

async function createUsers(count: number): Promise<string[]> {
  const uids = Array.from({ length: count }, () => uniqueId('u'))
  await db.prisma.user.createMany({ data: uids.map((uid) => ({ uid, name: `Name ${uid}` })) })
  return uids
}

/** A group owned by `owner`, with `members` joined one second apart in the order given. */
async function createGroup(options: {
  name: string
  owner: string
  type?: GroupType
  members?: Array<[uid: string, scope: MemberScope]>
  dissolved?: boolean
}): Promise<string> {
  const guid = uniqueId('g')
  const dissolvedAt = options.dissolved ? new Date() : null
  await db.prisma.group.create({
    data: { guid, name: options.name, type: options.type ?? 'PUBLIC', ownerUid: dissolvedAt ? null : options.owner, dissolvedAt },
  })
  if (!dissolvedAt) {
    const base = Date.now() - 1_000_000
    const members: Array<[string, MemberScope]> = [[options.owner, 'OWNER'], ...(options.members ?? [])]
    await db.prisma.groupMember.createMany({
      data: members.map(([uid, scope], i) => ({ groupGuid: guid, uid, scope, joinedAt: new Date(base + i * 1000) })),
    })
  }
  return guid
}

/** A tag that names a test's groups, so `search` finds exactly them in a shared database. */
function newTag(): string {
  return uniqueId('tag')
}

describe('who sees which group', () => {
  test('a private group is hidden from non-members, shown to members and to the app admin', async () => {
    const [owner, member, stranger] = await createUsers(3)
    const tag = newTag()
    const publicGuid = await createGroup({ name: `${tag} a public`, owner, type: 'PUBLIC' })
    const passwordGuid = await createGroup({ name: `${tag} b password`, owner, type: 'PASSWORD' })
    const privateGuid = await createGroup({ name: `${tag} c private`, owner, type: 'PRIVATE', members: [[member, 'PARTICIPANT']] })

    const listed = async (viewer: ReturnType<typeof userViewer>) =>
      expectData(await executeAs(db, viewer, GroupDirectoryDocument, { search: tag })).groups.edges.map((e) => e!.node.guid)

    expect(await listed(userViewer(stranger))).toEqual([publicGuid, passwordGuid])
    expect(await listed(userViewer(member))).toEqual([publicGuid, passwordGuid, privateGuid])
    expect(await listed(adminViewer())).toEqual([publicGuid, passwordGuid, privateGuid])

    const byGuid = async (viewer: ReturnType<typeof userViewer>) =>
      expectData(await executeAs(db, viewer, GroupByGuidDocument, { guid: privateGuid })).group
    expect(await byGuid(userViewer(stranger))).toBeNull()
    expect(await byGuid(userViewer(member))).toMatchObject({ guid: privateGuid, type: 'PRIVATE', viewerScope: 'PARTICIPANT' })
    expect(await byGuid(adminViewer())).toMatchObject({ guid: privateGuid, viewerScope: null, owner: { uid: owner } })
  })

  test('group(guid) shows a group with its owner, count and the caller scope; null for an unknown guid', async () => {
    const [owner, admin] = await createUsers(2)
    const guid = await createGroup({ name: `${newTag()} shown`, owner, members: [[admin, 'ADMIN']] })

    const group = expectData(await executeAs(db, userViewer(admin), GroupByGuidDocument, { guid })).group
    expect(group).toMatchObject({
      guid,
      type: 'PUBLIC',
      ownerLeavePolicy: 'TRANSFER_REQUIRED',
      dissolvedAt: null,
      membersCount: 2,
      viewerScope: 'ADMIN',
      owner: { uid: owner, name: `Name ${owner}` },
    })
    expect(new Date(group!.createdAt).getTime()).not.toBeNaN()
    expect(expectData(await executeAs(db, userViewer(owner), GroupByGuidDocument, { guid: uniqueId('missing') })).group).toBeNull()
  })

  test('a dissolved group is left out of the directory, but group(guid) still shows it with dissolvedAt and no owner', async () => {
    const [owner] = await createUsers(1)
    const tag = newTag()
    const live = await createGroup({ name: `${tag} live`, owner })
    const dissolved = await createGroup({ name: `${tag} gone`, owner, dissolved: true })

    const listed = expectData(await executeAs(db, userViewer(owner), GroupDirectoryDocument, { search: tag }))
    expect(listed.groups.edges.map((e) => e!.node.guid)).toEqual([live])

    const group = expectData(await executeAs(db, userViewer(owner), GroupByGuidDocument, { guid: dissolved })).group
    expect(group).toMatchObject({ guid: dissolved, owner: null, membersCount: 0, viewerScope: null })
    expect(group!.dissolvedAt).not.toBeNull()
  })

  test('selecting only __typename works (no empty Prisma selection)', async () => {
    const [owner] = await createUsers(1)
    const guid = await createGroup({ name: `${newTag()} typename`, owner })
    expect(expectData(await executeAs(db, userViewer(owner), GroupTypenameDocument, { guid }))).toEqual({ group: { __typename: 'Group' } })
  })

  // Prisma 7 refuses `select: {}`; these are the selections most likely to plan one.
  // Deliberately built from strings, not test/documents: one selection shape per case, many cases.
  test.each([
    ['{ group(guid: $guid) { owner { __typename } } }', { group: { owner: { __typename: 'User' } } }],
    ['{ group(guid: $guid) { membersCount } }', { group: { membersCount: 1 } }],
    ['{ group(guid: $guid) { members { pageInfo { hasNextPage } } } }', { group: { members: { pageInfo: { hasNextPage: false } } } }],
    ['{ group(guid: $guid) { members(first: 1) { edges { cursor } } } }', { group: { members: { edges: [{ cursor: expect.any(String) }] } } }],
    ['{ group(guid: $guid) { members { edges { node { user { __typename } } } } } }', { group: { members: { edges: [{ node: { user: { __typename: 'User' } } }] } } }],
    ['{ groups(search: $search) { pageInfo { hasNextPage } } }', { groups: { pageInfo: { hasNextPage: false } } }],
    ['{ groups(search: $search) { edges { cursor } } }', { groups: { edges: [{ cursor: expect.any(String) }] } }],
    ['{ groupMessages(guid: $guid) { pageInfo { hasNextPage } } }', { groupMessages: { pageInfo: { hasNextPage: false } } }],
  ])('the minimal selection %s works', async (selection, expected) => {
    const [owner] = await createUsers(1)
    const tag = newTag()
    const guid = await createGroup({ name: `${tag} minimal`, owner })
    const bySearch = selection.includes('$search')
    const document = parse(`query Minimal${bySearch ? '($search: String!)' : '($guid: ID!)'} ${selection}`)
    const variables: Record<string, unknown> = bySearch ? { search: tag } : { guid }
    const result = await executeAs(db, userViewer(owner), document as TypedDocumentNode<unknown, Record<string, unknown>>, variables)
    expect(expectData(result)).toEqual(expected)
  })
})

describe('a group not loaded through a query field', () => {
  // Mutation payloads hand back plain rows; the Prisma plugin loads what the selection needs.
  test('still resolves owner, counts, scope and members', async () => {
    const [owner] = await createUsers(1)
    const guid = uniqueId('g')
    const data = expectData(await executeAs(db, userViewer(owner), CreateForFallbackDocument, { guid, first: 5 }))
    expect(data.createGroup).toEqual({
      __typename: 'CreateGroupPayload',
      group: {
        guid,
        membersCount: 1,
        viewerScope: 'OWNER',
        owner: { uid: owner },
        members: { edges: [{ node: { scope: 'OWNER', user: { uid: owner } } }] },
      },
    })
  })

  test('checks the members page size there too', async () => {
    const [owner] = await createUsers(1)
    const result = await executeAs(db, userViewer(owner), CreateForFallbackDocument, { guid: uniqueId('g'), first: 0 })
    expectGraphQLError(result, 'ERR_INVALID_INPUT', 'members.first')
  })
})

describe('the group directory filters', () => {
  test('search is a case-insensitive substring of the name', async () => {
    const [owner] = await createUsers(1)
    const tag = newTag()
    const coffee = await createGroup({ name: `Coffee Lovers ${tag}`, owner })
    const decaf = await createGroup({ name: `Decaf coffee ${tag}`, owner })
    await createGroup({ name: `Tea Lovers ${tag}`, owner })

    const result = await executeAs(db, userViewer(owner), GroupDirectoryDocument, { search: `COFFEE LOVERS ${tag.toUpperCase()}` })
    expect(expectData(result).groups.edges.map((e) => e!.node.guid)).toEqual([coffee])

    const both = await executeAs(db, userViewer(owner), GroupDirectoryDocument, { search: `offee` })
    const guids = expectData(both).groups.edges.map((e) => e!.node.guid)
    expect(guids).toEqual(expect.arrayContaining([coffee, decaf]))
  })

  test('type keeps groups of that type; joinedOnly keeps groups the caller is in', async () => {
    const [owner, member] = await createUsers(2)
    const tag = newTag()
    const joinedPublic = await createGroup({ name: `${tag} 1`, owner, type: 'PUBLIC', members: [[member, 'MODERATOR']] })
    const otherPublic = await createGroup({ name: `${tag} 2`, owner, type: 'PUBLIC' })
    const joinedPassword = await createGroup({ name: `${tag} 3`, owner, type: 'PASSWORD', members: [[member, 'PARTICIPANT']] })

    const as = (variables: { type?: GroupType; joinedOnly?: boolean }) =>
      executeAs(db, userViewer(member), GroupDirectoryDocument, { search: tag, ...variables }).then(
        (r) => expectData(r).groups.edges.map((e) => e!.node),
      )

    expect((await as({ type: 'PUBLIC' })).map((g) => g.guid)).toEqual([joinedPublic, otherPublic])
    expect(await as({ joinedOnly: true })).toEqual([
      expect.objectContaining({ guid: joinedPublic, viewerScope: 'MODERATOR' }),
      expect.objectContaining({ guid: joinedPassword, viewerScope: 'PARTICIPANT' }),
    ])
    expect((await as({ type: 'PASSWORD', joinedOnly: true })).map((g) => g.guid)).toEqual([joinedPassword])
    expect((await as({ joinedOnly: false })).map((g) => g.viewerScope)).toEqual(['MODERATOR', null, 'PARTICIPANT'])

    // An app admin whose token names no user has joined nothing.
    const admin = await executeAs(db, adminViewer(), GroupDirectoryDocument, { search: tag, joinedOnly: true })
    expect(expectData(admin).groups.edges).toEqual([])
  })
})

describe('pagination', () => {
  test('groups pages forward with after, by name, without gaps or repeats', async () => {
    const [owner] = await createUsers(1)
    const tag = newTag()
    const guids: string[] = []
    for (const letter of ['a', 'b', 'c', 'd', 'e']) guids.push(await createGroup({ name: `${tag} ${letter}`, owner }))

    const seen: string[] = []
    let after: string | null = null
    for (let page = 0; page < 5; page += 1) {
      const data: GroupDirectoryQuery = expectData(
        await executeAs(db, userViewer(owner), GroupDirectoryDocument, { search: tag, first: 2, after }),
      )
      seen.push(...data.groups.edges.map((e) => e!.node.guid))
      expect(data.groups.pageInfo.hasPreviousPage).toBe(after !== null)
      if (!data.groups.pageInfo.hasNextPage) break
      after = data.groups.pageInfo.endCursor
    }
    expect(seen).toEqual(guids)

    const last = expectData(await executeAs(db, userViewer(owner), GroupDirectoryDocument, { search: tag, last: 2 }))
    expect(last.groups.edges.map((e) => e!.node.guid)).toEqual(guids.slice(3))
  })

  test('members page in join order, forward with first/after and backward with last/before', async () => {
    const [owner, ...others] = await createUsers(5)
    const guid = await createGroup({ name: `${newTag()} members`, owner, members: others.map((uid) => [uid, 'PARTICIPANT']) })
    const everyone = [owner, ...others]

    const first = expectData(await executeAs(db, userViewer(owner), GroupMembersPageDocument, { guid, first: 2 })).group!.members
    expect(first.edges.map((e) => e!.node.user.uid)).toEqual(everyone.slice(0, 2))
    expect(first.edges[0]!.node.scope).toBe('OWNER')
    expect(first.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false })

    const second = expectData(
      await executeAs(db, userViewer(owner), GroupMembersPageDocument, { guid, first: 2, after: first.pageInfo.endCursor }),
    ).group!.members
    expect(second.edges.map((e) => e!.node.user.uid)).toEqual(everyone.slice(2, 4))

    const back = expectData(
      await executeAs(db, userViewer(owner), GroupMembersPageDocument, { guid, last: 2, before: second.pageInfo.startCursor }),
    ).group!.members
    expect(back.edges.map((e) => e!.node.user.uid)).toEqual(everyone.slice(0, 2))

    const rest = expectData(
      await executeAs(db, userViewer(owner), GroupMembersPageDocument, { guid, first: 100, after: second.pageInfo.endCursor }),
    ).group!.members
    expect(rest.edges.map((e) => e!.node.user.uid)).toEqual(everyone.slice(4))
    expect(rest.pageInfo.hasNextPage).toBe(false)
  })
})

describe('group history', () => {
  async function groupWithHistory(type: GroupType = 'PUBLIC') {
    const [owner, member, stranger, kicked] = await createUsers(4)
    const guid = await createGroup({ name: `${newTag()} history`, owner, type, members: [[member, 'ADMIN']] })
    await db.prisma.message.create({ data: { groupGuid: guid, kind: 'TEXT', senderUid: member, text: 'first' } })
    await db.prisma.message.create({
      data: { groupGuid: guid, kind: 'ACTION', action: 'KICKED', reason: 'ADMIN_REMOVED', actionByUid: member, actionOnUid: kicked },
    })
    await db.prisma.message.create({ data: { groupGuid: guid, kind: 'TEXT', senderUid: owner, text: 'third' } })
    return { guid, owner, member, stranger, kicked }
  }

  test('members read the history oldest first, text and action messages alike', async () => {
    const { guid, owner, member, kicked } = await groupWithHistory()
    const data = expectData(await executeAs(db, userViewer(member), GroupMessagesDocument, { guid }))
    const nodes = data.groupMessages.edges.map((e) => e!.node)
    expect(nodes).toEqual([
      expect.objectContaining({ __typename: 'TextMessage', text: 'first', sender: { uid: member, name: `Name ${member}` } }),
      expect.objectContaining({
        __typename: 'ActionMessage',
        action: 'KICKED',
        reason: 'ADMIN_REMOVED',
        actionBy: { uid: member, name: `Name ${member}` },
        actionOn: { uid: kicked, name: `Name ${kicked}` },
        actionFor: expect.objectContaining({ guid }),
      }),
      expect.objectContaining({ __typename: 'TextMessage', text: 'third', sender: { uid: owner, name: `Name ${owner}` } }),
    ])
    expect(BigInt(nodes[0].id) < BigInt(nodes[1].id)).toBe(true)

    const page = expectData(await executeAs(db, userViewer(owner), GroupMessagesDocument, { guid, first: 1 })).groupMessages
    expect(page.pageInfo.hasNextPage).toBe(true)
    const next = expectData(
      await executeAs(db, userViewer(owner), GroupMessagesDocument, { guid, first: 2, after: page.pageInfo.endCursor }),
    ).groupMessages
    expect(next.edges.map((e) => e!.node.id)).toEqual([nodes[1].id, nodes[2].id])
  })

  test('a non-member of a public group is FORBIDDEN; the app admin may read any history', async () => {
    const { guid, stranger } = await groupWithHistory()
    expectGraphQLError(await executeAs(db, userViewer(stranger), GroupMessagesDocument, { guid }), 'FORBIDDEN')
    const data = expectData(await executeAs(db, adminViewer(), GroupMessagesDocument, { guid }))
    expect(data.groupMessages.edges).toHaveLength(3)
  })

  test('an unknown, dissolved, or invisible private group is ERR_GROUP_NOT_FOUND', async () => {
    const { guid: privateGuid, stranger, owner } = await groupWithHistory('PRIVATE')
    const dissolved = await createGroup({ name: `${newTag()} gone`, owner, dissolved: true })
    for (const guid of [uniqueId('missing'), dissolved, privateGuid]) {
      expectGraphQLError(await executeAs(db, userViewer(stranger), GroupMessagesDocument, { guid }), 'ERR_GROUP_NOT_FOUND')
    }
    expectGraphQLError(await executeAs(db, adminViewer(), GroupMessagesDocument, { guid: dissolved }), 'ERR_GROUP_NOT_FOUND')
  })
})

describe('callers and users', () => {
  test('without a viewer every query but me is UNAUTHENTICATED', async () => {
    const [owner] = await createUsers(1)
    const guid = await createGroup({ name: `${newTag()} anon`, owner })
    expectGraphQLError(await executeAs(db, null, GroupByGuidDocument, { guid }), 'UNAUTHENTICATED')
    expectGraphQLError(await executeAs(db, null, GroupDirectoryDocument, {}), 'UNAUTHENTICATED')
    expectGraphQLError(await executeAs(db, null, GroupMessagesDocument, { guid }), 'UNAUTHENTICATED')
    expectGraphQLError(await executeAs(db, null, UserByUidDocument, { uid: owner }), 'UNAUTHENTICATED')
    expect(expectData(await executeAs(db, null, MeDocument))).toEqual({ me: null })
  })

  test('user(uid) shows any user; null for an unknown uid; me is the caller', async () => {
    const [uid, other] = await createUsers(2)
    await db.prisma.user.update({ where: { uid: other }, data: { deactivatedAt: new Date(), leaveAllWhenDeactivated: false } })
    const shown = expectData(await executeAs(db, userViewer(uid), UserByUidDocument, { uid: other })).user
    expect(shown).toMatchObject({ uid: other, name: `Name ${other}`, leaveAllWhenDeactivated: false })
    expect(shown!.deactivatedAt).not.toBeNull()
    expect(expectData(await executeAs(db, userViewer(uid), UserByUidDocument, { uid: uniqueId('nobody') })).user).toBeNull()
    expect(expectData(await executeAs(db, userViewer(uid), MeDocument)).me).toEqual({ uid, name: `Name ${uid}` })
  })
})

describe('input validation', () => {
  test('page sizes outside 1..100 are ERR_INVALID_INPUT naming the argument', async () => {
    const [owner] = await createUsers(1)
    const guid = await createGroup({ name: `${newTag()} sizes`, owner })
    const viewer = userViewer(owner)
    for (const first of [0, -1, 101]) {
      expectGraphQLError(await executeAs(db, viewer, GroupDirectoryDocument, { first }), 'ERR_INVALID_INPUT', 'first')
      expectGraphQLError(await executeAs(db, viewer, GroupMessagesDocument, { guid, first }), 'ERR_INVALID_INPUT', 'first')
      expectGraphQLError(await executeAs(db, viewer, GroupMembersPageDocument, { guid, first }), 'ERR_INVALID_INPUT', 'members.first')
    }
    expectGraphQLError(await executeAs(db, viewer, GroupMembersPageDocument, { guid, last: 500 }), 'ERR_INVALID_INPUT', 'members.last')
    expect(expectData(await executeAs(db, viewer, GroupDirectoryDocument, { first: 100 })).groups.edges.length).toBeLessThanOrEqual(100)
  })

  test('malformed ids and cursors are ERR_INVALID_INPUT naming the argument', async () => {
    const [owner] = await createUsers(1)
    const guid = await createGroup({ name: `${newTag()} ids`, owner })
    const viewer = userViewer(owner)
    expectGraphQLError(await executeAs(db, viewer, GroupByGuidDocument, { guid: 'has space' }), 'ERR_INVALID_INPUT', 'guid')
    expectGraphQLError(await executeAs(db, viewer, GroupByGuidDocument, { guid: 'x'.repeat(101) }), 'ERR_INVALID_INPUT', 'guid')
    expectGraphQLError(await executeAs(db, viewer, UserByUidDocument, { uid: 'ü' }), 'ERR_INVALID_INPUT', 'uid')
    expectGraphQLError(await executeAs(db, viewer, GroupMessagesDocument, { guid: '' }), 'ERR_INVALID_INPUT', 'guid')
    expectGraphQLError(await executeAs(db, viewer, GroupDirectoryDocument, { after: 'not-a-cursor' }), 'ERR_INVALID_INPUT', 'after')
    expectGraphQLError(await executeAs(db, viewer, GroupDirectoryDocument, { search: 'x'.repeat(101) }), 'ERR_INVALID_INPUT', 'search')

    // A cursor from another connection is refused rather than sent to the database.
    const members = expectData(await executeAs(db, viewer, GroupMembersPageDocument, { guid, first: 1 })).group!.members
    const memberCursor = members.pageInfo.endCursor!
    expectGraphQLError(await executeAs(db, viewer, GroupDirectoryDocument, { after: memberCursor }), 'ERR_INVALID_INPUT', 'after')
    expectGraphQLError(await executeAs(db, viewer, GroupMessagesDocument, { guid, after: memberCursor }), 'ERR_INVALID_INPUT', 'after')
    expectGraphQLError(
      await executeAs(db, viewer, GroupMembersPageDocument, { guid, first: 1, before: memberCursor }),
      'ERR_INVALID_INPUT',
      'members.before',
    )
  })
})
