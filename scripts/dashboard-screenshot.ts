// npm run docs:dashboard: the README's screenshot of /dashboard (docs/dashboard.png). A test
// server on an in-memory database, an hour of exits written through the domain with past
// clocks, a failing webhook endpoint, then a few live exits while the app admin's page is open.
// SCHEME=light for the light theme, OUT=<path> to write elsewhere.
import { setTimeout as sleep } from 'node:timers/promises'
import { banGroupMember } from '../src/domain/groups/ban-member.js'
import { leaveGroup } from '../src/domain/groups/leave-group.js'
import { kickGroupMember, removeMembers } from '../src/domain/groups/remove-members.js'
import { CreateWebhookEndpointDocument, KickGroupMemberDocument, LeaveGroupDocument } from '../test/generated/graphql.js'
import { launchChromium, chromiumPath } from '../test/support/chromium.js'
import { appAdmin, domainDeps, userActor } from '../test/support/domain-fixtures.js'
import { request } from '../test/support/remote.js'
import { startTestServer, whenFollowing } from '../test/support/server.js'
import { startWebhookReceiver } from '../test/support/webhook-receiver.js'

const server = await startTestServer({ env: { WEBHOOK_RETRY_DELAYS: '0.1' }, webhooks: { pollMs: 25 } })
const db = server.db
const first = ['Alice', 'Bob', 'Chen', 'Dana', 'Emeka', 'Farah', 'Gus', 'Hana', 'Ivan', 'Jules', 'Kofi', 'Lena', 'Mateo', 'Nora', 'Omar', 'Priya', 'Quinn', 'Rosa', 'Sami', 'Tess', 'Uma', 'Viktor', 'Wen', 'Ximena', 'Yusuf', 'Zoe']
const users = first.flatMap((name, i) => [0, 1, 2, 3].map((n) => ({ uid: `${name.toLowerCase()}${n || ''}`, name: n ? `${name} ${String.fromCharCode(65 + ((i + n) % 26))}.` : name })))
await db.prisma.user.createMany({ data: users })
const groups = [
  { guid: 'book-club', name: 'Book club' },
  { guid: 'night-shift', name: 'Night shift' },
  { guid: 'climbing', name: 'Climbing crew' },
  { guid: 'support-emea', name: 'Support EMEA' },
]
const base = Date.now() - 3_600_000
for (const [gi, g] of groups.entries()) {
  const members = users.filter((_, i) => i % groups.length === gi || i % 7 === gi)
  await db.prisma.group.create({ data: { ...g, type: 'PUBLIC', ownerLeavePolicy: 'TRANSFER_REQUIRED', ownerUid: members[0].uid } })
  await db.prisma.groupMember.createMany({
    data: members.map((m, i) => ({ groupGuid: g.guid, uid: m.uid, scope: i === 0 ? ('OWNER' as const) : i === 1 ? ('ADMIN' as const) : ('PARTICIPANT' as const), joinedAt: new Date(base - 1000 + i) })),
  })
}
const left = new Set<string>()
const pool = async (guid: string) =>
  (await db.prisma.groupMember.findMany({ where: { groupGuid: guid, scope: 'PARTICIPANT' } })).map((m) => m.uid).filter((u) => !left.has(u))
let seed = 7
const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647)
for (let minute = 57; minute >= 2; minute--) {
  const exits = Math.floor(random() * random() * 4)
  for (let e = 0; e < exits; e++) {
    const g = groups[Math.floor(random() * groups.length)]
    const candidates = await pool(g.guid)
    if (candidates.length < 3) continue
    const at = new Date(Date.now() - minute * 60_000 + e * 7_000)
    const deps = domainDeps(db, { now: () => at })
    const owner = (await db.prisma.group.findUnique({ where: { guid: g.guid } }))!.ownerUid!
    const kind = random()
    const uid = candidates[Math.floor(random() * candidates.length)]
    left.add(uid)
    if (kind < 0.55) await leaveGroup(deps, userActor(uid), { guid: g.guid })
    else if (kind < 0.75) await kickGroupMember(deps, userActor(owner), { guid: g.guid, uid })
    else if (kind < 0.87) await banGroupMember(deps, userActor(owner), { guid: g.guid, uid, reason: 'spam' })
    else {
      const other = candidates.find((c) => c !== uid && !left.has(c))!
      left.add(other)
      await removeMembers(deps, appAdmin, { guid: g.guid, uids: [uid, other] })
    }
  }
}
const receiver = await startWebhookReceiver(() => ({ status: 503, body: 'maintenance' }))
const admin = await server.token('backend', { admin: true })
await request(server, admin, CreateWebhookEndpointDocument, { input: { url: receiver.url } })

const browser = await launchChromium(chromiumPath()!)
const page = await browser.newPage({ viewport: { width: 1440, height: 1000 }, colorScheme: (process.env.SCHEME as 'dark' | 'light') ?? 'dark', deviceScaleFactor: 1 })
await page.goto(server.url.replace('/graphql', '/dashboard'))
await page.getByLabel('Access token').fill(admin)
await whenFollowing(server, () => page.getByRole('button', { name: 'Connect', exact: true }).click())
await page.getByRole('status').filter({ hasText: 'Live' }).waitFor()
const live = [
  ['book-club', 'leave'],
  ['night-shift', 'kick'],
  ['climbing', 'leave'],
  ['support-emea', 'leave'],
  ['book-club', 'kick'],
  ['night-shift', 'leave'],
] as const
for (const [guid, how] of live) {
  const candidates = await pool(guid)
  const uid = candidates[0]
  left.add(uid)
  if (how === 'leave') await request(server, await server.token(uid), LeaveGroupDocument, { guid })
  else {
    const owner = (await db.prisma.group.findUnique({ where: { guid } }))!.ownerUid!
    await request(server, await server.token(owner), KickGroupMemberDocument, { guid, uid })
  }
  await sleep(150)
}
// Past the rows' arrival highlight, and until the webhook panel (read every 5 s) shows the dead deliveries.
await page.getByRole('button', { name: 'Redeliver' }).first().waitFor({ timeout: 60_000 })
await sleep(3_000)
await page.screenshot({ path: process.env.OUT ?? 'docs/dashboard.png', fullPage: true })
await browser.close()
await receiver.close()
await server.stop()
