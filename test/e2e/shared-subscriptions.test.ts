import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import {
  LeaveGroupDocument,
  MemberLeftDocument,
  MemberLeftResumeDocument,
  MemberLeftWithViewerScopeDocument,
} from '../generated/graphql.js'
import { expectPayload } from '../support/client.js'
import { seedGroup } from '../support/domain-fixtures.js'
import { request, subscribe } from '../support/remote.js'
import { startTestServer, whenFollowing } from '../support/server.js'
import { until } from '../support/until.js'

// Subscribers with the same operation, variables and viewer class share one execution per event
// (src/websocket/shared-subscriptions.ts); what each of them sees stays its own.

let server: Awaited<ReturnType<typeof startTestServer>>
beforeAll(async () => {
  server = await startTestServer()
}, 60_000)
afterAll(() => server?.stop())

const tokenOf = (uid: string, admin = false) => server.token(uid, { admin })

async function leave(uid: string, guid: string) {
  return expectPayload(await request(server, await tokenOf(uid), LeaveGroupDocument, { guid }), 'leaveGroup', 'LeaveGroupPayload').event
}


describe('shared subscription execution', { timeout: 30_000 }, () => {
  test('two users with the same operation share a cohort and still see only the exits each may see; the app admin is a cohort of its own', async () => {
    const first = await seedGroup(server.db, { scopes: ['PARTICIPANT'] })
    const second = await seedGroup(server.db, { scopes: ['PARTICIPANT'] })
    const [ann] = first.uids
    const [ben] = second.uids
    const before = server.liveCounts()

    // No guid: a user follows its own exits, the app admin every exit.
    const annSees = await whenFollowing(server, async () => subscribe(server, await tokenOf(ann), MemberLeftDocument, {}))
    const benSees = await whenFollowing(server, async () => subscribe(server, await tokenOf(ben), MemberLeftDocument, {}))
    const adminSees = await whenFollowing(server, async () => subscribe(server, await tokenOf('backend', true), MemberLeftDocument, {}))
    const during = server.liveCounts()
    expect(during.subscriptions - before.subscriptions).toBe(3)
    expect(during.cohorts - before.cohorts).toBe(2)

    const bensExit = await leave(ben, second.guid)
    const annsExit = await leave(ann, first.guid)
    // Each socket gets events in commit order, so ben's exit would have come before ann's.
    expect((await (await annSees).next()).memberLeft).toMatchObject({ id: annsExit.id, groupGuid: first.guid, members: [{ uid: ann }] })
    expect((await (await benSees).next()).memberLeft).toMatchObject({ id: bensExit.id, groupGuid: second.guid, members: [{ uid: ben }] })
    const admin = await adminSees
    expect([(await admin.next()).memberLeft.id, (await admin.next()).memberLeft.id]).toEqual([bensExit.id, annsExit.id])
    expect((await annSees).received).toHaveLength(1)
    expect((await benSees).received).toHaveLength(1)

    for (const subscription of [await annSees, await benSees, admin]) await subscription.close()
    await until(() => server.liveCounts().cohorts === before.cohorts, 'the cohorts are released')
  })

  test("a subscriber whose own exit completes its stream does not end the others' shared stream", async () => {
    const g = await seedGroup(server.db, { scopes: ['PARTICIPANT', 'PARTICIPANT', 'PARTICIPANT'] })
    const [ann, ben, cat] = g.uids
    const before = server.liveCounts()
    const streams = await whenFollowing(
      server,
      () => Promise.all([ann, ben, cat].map(async (uid) => subscribe(server, await tokenOf(uid), MemberLeftResumeDocument, { guid: g.guid }))),
      3,
    )
    const [annSees, benSees, catSees] = await streams
    expect(server.liveCounts().cohorts - before.cohorts).toBe(1)

    const annLeft = await leave(ann, g.guid)
    for (const stream of [annSees, benSees, catSees]) expect((await stream.next()).memberLeft).toEqual({ id: annLeft.id, members: [{ uid: ann }] })
    await annSees.completed

    const benLeft = await leave(ben, g.guid)
    for (const stream of [benSees, catSees]) expect((await stream.next()).memberLeft).toEqual({ id: benLeft.id, members: [{ uid: ben }] })
    await benSees.completed
    expect(server.liveCounts().subscriptions - before.subscriptions).toBe(1)

    const catLeft = await leave(cat, g.guid)
    expect((await catSees.next()).memberLeft).toEqual({ id: catLeft.id, members: [{ uid: cat }] })
    await catSees.completed
    await until(() => server.liveCounts().cohorts === before.cohorts, 'the cohort is released once its last member completed')
    for (const stream of [annSees, benSees, catSees]) await stream.close()
  })

  test('different selections get different payloads, and fields that depend on the viewer are executed per viewer', async () => {
    const g = await seedGroup(server.db, { scopes: ['ADMIN', 'PARTICIPANT', 'PARTICIPANT'] })
    const [adminMember, participant, leaver] = g.uids
    const before = server.liveCounts()
    const full = await whenFollowing(server, async () => subscribe(server, await tokenOf(participant), MemberLeftDocument, { guid: g.guid }))
    const short = await whenFollowing(server, async () => subscribe(server, await tokenOf(adminMember), MemberLeftResumeDocument, { guid: g.guid }))
    const scopes = await whenFollowing(
      server,
      () => Promise.all([adminMember, participant].map(async (uid) => subscribe(server, await tokenOf(uid), MemberLeftWithViewerScopeDocument, { guid: g.guid }))),
      2,
    )
    // Two selections shared by nobody else, and the viewer-dependent one once per viewer.
    expect(server.liveCounts().cohorts - before.cohorts).toBe(4)

    const left = await leave(leaver, g.guid)
    expect((await (await full).next()).memberLeft).toEqual({
      id: left.id,
      exitType: 'QUIT',
      reason: 'LEFT_BY_OWN_CHOICE',
      groupGuid: g.guid,
      members: [{ uid: leaver, name: `Name of ${leaver}` }],
      operator: { uid: leaver },
      occurredAt: expect.any(String),
    })
    expect((await (await short).next()).memberLeft).toEqual({ id: left.id, members: [{ uid: leaver }] })
    const [asAdmin, asParticipant] = await scopes
    expect((await asAdmin.next()).memberLeft).toEqual({ id: left.id, group: { guid: g.guid, viewerScope: 'ADMIN' } })
    expect((await asParticipant.next()).memberLeft).toEqual({ id: left.id, group: { guid: g.guid, viewerScope: 'PARTICIPANT' } })
    for (const stream of [await full, await short, asAdmin, asParticipant]) await stream.close()
  })
})
