import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { RemoveMembersDocument } from '../generated/graphql.js'
import { expectPayload } from '../support/client.js'
import { seedGroup } from '../support/domain-fixtures.js'
import { rawSubscribe, type RawSubscriber } from '../support/raw-subscriber.js'
import { request } from '../support/remote.js'
import { startTestServer } from '../support/server.js'
import { SLOW_CONSUMER_CLOSE_CODE, defaultMaxBufferedBytes } from '../../src/websocket/socket-sink.js'
import { until } from '../support/until.js'

// Polled often: the waits below time deliveries.
const waiting = { timeoutMs: 20_000, pollMs: 2 }

// A subscriber that stops reading is dropped once the server holds more than
// defaultMaxBufferedBytes for it, without slowing the others, and resumes by cursor.

let server: Awaited<ReturnType<typeof startTestServer>>
beforeAll(async () => {
  server = await startTestServer()
}, 60_000)
afterAll(() => server?.stop())

const removedPerExit = 1_000
const readers = 18
const stalled = 2
const baselineExits = 4
const stalledExits = 12
// The stalled subscribers select the members six times over, so that each exit is about
// 800 KB for them: enough to get past what the kernel's socket buffers take (about 4 MB
// on loopback here) within a few exits. The readers' frames are small.
const heavyQuery = `subscription ($guid: ID) { memberLeft(guid: $guid) { id ${['a', 'b', 'c', 'd', 'e', 'f'].map((alias) => `${alias}: members { uid name }`).join(' ')} } }`
const lightQuery = 'subscription ($guid: ID) { memberLeft(guid: $guid) { id } }'

const idsOf = (subscriber: RawSubscriber) => subscriber.results.map((result) => (result.data!.memberLeft as { id: string }).id)


describe('slow consumers', { timeout: 120_000 }, () => {
  test('10 % of subscribers not reading are dropped with 4413 and resume by cursor; the others keep their pace and the server its memory', async () => {
    const exits = baselineExits + stalledExits
    const g = await seedGroup(server.db, {
      scopes: Array(exits * removedPerExit).fill('PARTICIPANT'),
      nameOf: (uid) => `${uid} `.padEnd(100, 'x'),
    })
    const owner = await server.token(g.owner)
    const admin = await server.token('backend', { admin: true })
    const fast = await Promise.all(Array.from({ length: readers }, () => rawSubscribe(server.wsUrl, admin, lightQuery, { guid: g.guid })))
    const slow = await Promise.all(Array.from({ length: stalled }, () => rawSubscribe(server.wsUrl, admin, heavyQuery, { guid: g.guid })))
    await until(() => server.liveCounts().subscriptions >= readers + stalled, 'every subscription is live', waiting)

    let largestFrame = 0
    let mostBuffered = 0
    /** Removes the next thousand members; resolves with how long after the mutation's answer every reader had the exit. */
    async function exitReachingReaders(index: number): Promise<number> {
      const uids = g.uids.slice(index * removedPerExit, (index + 1) * removedPerExit)
      const result = await request(server, owner, RemoveMembersDocument, { guid: g.guid, uids })
      const answered = performance.now()
      expectPayload(result, 'removeMembers', 'RemoveMembersPayload')
      await until(() => {
        mostBuffered = Math.max(mostBuffered, server.liveCounts().bufferedBytes)
        return fast.every((reader) => reader.results.length > index)
      }, `exit ${index} reaches every reader`, waiting)
      return performance.now() - answered
    }

    const baseline: number[] = []
    for (let i = 0; i < baselineExits; i++) baseline.push(await exitReachingReaders(i))
    await until(() => slow.every((subscriber) => subscriber.results.length === baselineExits), 'the heavy subscribers read the baseline exits', waiting)
    largestFrame = Math.max(...slow.flatMap((subscriber) => subscriber.results.map((result) => JSON.stringify(result).length)))

    for (const subscriber of slow) subscriber.pause()
    const whileStalled: number[] = []
    for (let i = baselineExits; i < exits; i++) whileStalled.push(await exitReachingReaders(i))

    // Dropped, from the server's side, while still not reading.
    await until(() => server.liveCounts().subscriptions === readers, 'the stalled subscribers are dropped', waiting)
    const everyId = idsOf(fast[0])
    expect(everyId).toHaveLength(exits)
    for (const reader of fast) expect(idsOf(reader)).toEqual(everyId)

    // Stated bounds: the readers are not held up by the stalled ones (each exit reaches them
    // within three times the worst time it took while everyone read, plus scheduling noise),
    // and the server never held more than the limit and one frame for each subscriber.
    expect(Math.max(...whileStalled)).toBeLessThanOrEqual(3 * Math.max(...baseline) + 500)
    expect(mostBuffered).toBeLessThanOrEqual(stalled * (defaultMaxBufferedBytes + largestFrame) + readers * defaultMaxBufferedBytes)

    // Back to reading: what was sent before the drop, then 4413; a resume by cursor gets the rest, once.
    for (const subscriber of slow) subscriber.resume()
    for (const subscriber of slow) {
      expect(await subscriber.closed).toBe(SLOW_CONSUMER_CLOSE_CODE)
      const seen = idsOf(subscriber)
      expect(seen.length).toBeLessThan(exits)
      expect(seen).toEqual(everyId.slice(0, seen.length))
      const resumed = await rawSubscribe(server.wsUrl, admin, lightQuery.replace('guid: $guid)', 'guid: $guid, after: $after)').replace('($guid: ID)', '($guid: ID, $after: ID)'), {
        guid: g.guid,
        after: seen.at(-1),
      })
      await until(() => resumed.results.length >= exits - seen.length, 'the resumed subscriber catches up', waiting)
      expect([...seen, ...idsOf(resumed)]).toEqual(everyId)
      resumed.close()
    }
    for (const reader of fast) reader.close()
  })
})
