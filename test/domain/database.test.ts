import { afterAll, beforeAll, expect, test } from 'vitest'
import { openTestDatabase, uniqueId, testDatabaseKind } from '../support/database.js'
import type { Database } from '../../src/db/database.js'

let db: Database
beforeAll(async () => {
  db = await openTestDatabase()
})
afterAll(() => db?.close())

test('the migrated database stores and reads a user', async () => {
  const uid = uniqueId('u')
  await db.prisma.user.create({ data: { uid, name: 'Ada' } })
  expect(await db.prisma.user.findUnique({ where: { uid } })).toMatchObject({ uid, name: 'Ada', leaveAllWhenDeactivated: true })
  expect(db.kind).toBe(testDatabaseKind())
})

test('applying the migrations again applies nothing', async () => {
  expect(await db.migrate()).toEqual([])
})
