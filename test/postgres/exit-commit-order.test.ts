// Runs only in the postgres project: PGlite has one connection, so two transactions cannot
// be open at once there, and the race this shows cannot happen.
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, expect, test } from 'vitest'
import type { Database } from '../../src/db/database.js'
import { recordExit } from '../../src/domain/exits/record-exit.js'
import type { MemberLeftEvent } from '../../src/generated/prisma/client.js'
import { openTestDatabase, uniqueId } from '../support/database.js'

let db: Database
beforeAll(async () => {
  db = await openTestDatabase()
})
afterAll(() => db?.close())

const ids = (events: MemberLeftEvent[]) => events.map((e) => e.id.toString())

function deferred() {
  let resolve!: () => void
  const promise = new Promise<void>((r) => (resolve = r))
  return { promise, resolve }
}

/** A transaction that inserts (with or without recordExit's lock), then waits for `commit`. */
function openExit(guid: string, withLock: boolean, commit: Promise<void>) {
  const inserted = deferred()
  let event: MemberLeftEvent | null = null
  const done = db.prisma.$transaction(
    async (tx) => {
      const exit = { exitType: 'QUIT' as const, reason: null, groupGuid: guid, memberUids: ['u'], operatorUid: null, occurredAt: new Date() }
      event = withLock ? await recordExit(tx, exit) : await tx.memberLeftEvent.create({ data: exit })
      inserted.resolve()
      await commit
      return event
    },
    { timeout: 30_000 },
  )
  return { inserted: inserted.promise, done, get event() { return event } }
}

async function readAfter(guid: string, cursor: bigint): Promise<MemberLeftEvent[]> {
  return db.prisma.memberLeftEvent.findMany({ where: { groupGuid: guid, id: { gt: cursor } }, orderBy: { id: 'asc' } })
}

test('without the lock, a reader following `id > cursor` skips the slower transaction’s smaller id', async () => {
  const guid = uniqueId('g')
  const slowCommit = deferred()
  const slow = openExit(guid, false, slowCommit.promise)
  await slow.inserted // holds the smaller id, not committed
  const fast = openExit(guid, false, Promise.resolve())
  await fast.done
  let cursor = 0n
  const firstRead = await readAfter(guid, cursor)
  expect(ids(firstRead)).toEqual([fast.event!.id.toString()])
  cursor = firstRead[0].id
  slowCommit.resolve()
  await slow.done
  expect(slow.event!.id).toBeLessThan(cursor)
  expect(await readAfter(guid, cursor)).toEqual([]) // the slow exit is never seen
})

test('with the lock, the second writer waits, so ids commit in order and the same reader misses nothing', async () => {
  const guid = uniqueId('g')
  const slowCommit = deferred()
  const slow = openExit(guid, true, slowCommit.promise)
  await slow.inserted
  const fast = openExit(guid, true, Promise.resolve())
  await sleep(200)
  expect(fast.event).toBeNull() // blocked on the lock
  expect(await readAfter(guid, 0n)).toEqual([])
  slowCommit.resolve()
  await Promise.all([slow.done, fast.done])
  expect(slow.event!.id).toBeLessThan(fast.event!.id)
  expect(ids(await readAfter(guid, 0n))).toEqual([slow.event!.id.toString(), fast.event!.id.toString()])
})
