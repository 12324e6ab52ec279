import { afterAll, beforeAll, expect, test } from 'vitest'
import type { Database } from '../../src/db/database.js'
import type { DomainDeps } from '../../src/domain/deps.js'
import { kickGroupMember, removeMembers } from '../../src/domain/groups/remove-members.js'
import { leaveAllGroups } from '../../src/domain/groups/leave-all-groups.js'
import { leaveGroup } from '../../src/domain/groups/leave-group.js'
import { testDatabaseKind } from '../support/database.js'
import { appAdmin, domainDeps, seedGroup, userActor } from '../support/domain-fixtures.js'
import { openLoggedTestDatabase, type StatementLog } from '../support/statement-log.js'

let db: Database
let deps: DomainDeps
let statementsOf: StatementLog['statementsOf']
let countStatements: StatementLog['countStatements']
beforeAll(async () => {
  ;({ db, statementsOf, countStatements } = await openLoggedTestDatabase())
  deps = domainDeps(db)
})
afterAll(() => db?.close())


/** As Prisma logs them: BEGIN is not logged, COMMIT is. */
const PINNED_COUNTS = { leaveGroup: 3, kickGroupMember: 5, removeMembers: 5, removeAll: 5 }

const participants = (n: number) => Array.from({ length: n }, () => 'PARTICIPANT' as const)

test('removeMembers costs the same number of SQL statements for 10 uids as for 1,000', async () => {
  const small = await seedGroup(db, { scopes: participants(10) })
  const large = await seedGroup(db, { scopes: participants(1000) })
  const forTen = await countStatements(() => removeMembers(deps, userActor(small.owner), { guid: small.guid, uids: small.uids }))
  const forThousand = await countStatements(() => removeMembers(deps, userActor(large.owner), { guid: large.guid, uids: large.uids }))
  console.log(`[${testDatabaseKind()}] removeMembers statements: 10 uids → ${forTen}, 1,000 uids → ${forThousand}`)
  expect(forThousand).toBe(forTen)
  expect(await db.prisma.groupMember.count({ where: { groupGuid: large.guid } })).toBe(1)
})

test('removeAll costs the same number of SQL statements for 50 members as for 5,000', async () => {
  const small = await seedGroup(db, { scopes: participants(50) })
  const large = await seedGroup(db, { scopes: participants(5000) })
  const forFifty = await countStatements(() => removeMembers(deps, userActor(small.owner), { guid: small.guid, removeAll: true }))
  const forFiveThousand = await countStatements(() => removeMembers(deps, userActor(large.owner), { guid: large.guid, removeAll: true }))
  console.log(`[${testDatabaseKind()}] removeAll statements: 50 members → ${forFifty}, 5,000 members → ${forFiveThousand}`)
  expect(forFiveThousand).toBe(forFifty)
  const event = await db.prisma.memberLeftEvent.findFirstOrThrow({ where: { groupGuid: large.guid } })
  expect(event.memberUids).toHaveLength(5000)
  expect(await db.prisma.message.count({ where: { groupGuid: large.guid, action: 'KICKED' } })).toBe(5000)
}, 120_000)

test('no exit takes an app-wide lock: each group’s exit writes its members, messages, event and webhook deliveries in one statement', async () => {
  const groups = [await seedGroup(db, { scopes: ['PARTICIPANT'] }), await seedGroup(db), await seedGroup(db)]
  const uid = groups[0].uids[0]
  for (const g of groups.slice(1)) await db.prisma.groupMember.create({ data: { groupGuid: g.guid, uid } })
  const {
    value: { events },
    sql: log,
  } = await statementsOf(() => leaveAllGroups(deps, appAdmin, { uid }))
  expect(events).toHaveLength(3)
  expect(log.filter((sql) => /pg_advisory/.test(sql))).toEqual([])
  const eventWrites = log.filter((sql) => sql.includes('"MemberLeftEvent"'))
  expect(eventWrites).toHaveLength(3)
  for (const sql of eventWrites) {
    expect(sql).toContain('DELETE FROM "GroupMember"')
    expect(sql).toContain('INSERT INTO "Message"')
    expect(sql).toContain('INSERT INTO "WebhookDelivery"')
  }
})

test('the statements of each exit, pinned: leave, kick, removeMembers, removeAll', async () => {
  const leave = await seedGroup(db, { scopes: ['PARTICIPANT'] })
  const kick = await seedGroup(db, { scopes: ['PARTICIPANT'] })
  const remove = await seedGroup(db, { scopes: participants(20) })
  const removeAll = await seedGroup(db, { scopes: participants(20) })
  const counts = {
    leaveGroup: await countStatements(() => leaveGroup(deps, userActor(leave.uids[0]), { guid: leave.guid })),
    kickGroupMember: await countStatements(() => kickGroupMember(deps, userActor(kick.owner), { guid: kick.guid, uid: kick.uids[0] })),
    removeMembers: await countStatements(() => removeMembers(deps, userActor(remove.owner), { guid: remove.guid, uids: remove.uids })),
    removeAll: await countStatements(() => removeMembers(deps, userActor(removeAll.owner), { guid: removeAll.guid, removeAll: true })),
  }
  console.log(`[${testDatabaseKind()}] statements per exit (COMMIT included, BEGIN not logged): ${JSON.stringify(counts)}`)
  expect(counts).toEqual(PINNED_COUNTS)
})
