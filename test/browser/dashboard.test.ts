// /dashboard in Chromium, against the real server: connecting with a token, live exits, filters,
// the chart, text-only rendering of names, resuming across a server restart, the user's view and
// the app admin's panels. One browser and one server (restarted once, on the same port and
// database) for the whole file; each test opens its own page.
import { request as httpRequest } from 'node:http'
import { createServer } from 'node:net'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import type { Database } from '../../src/db/database.js'
import { leaveGroup } from '../../src/domain/groups/leave-group.js'
import {
  CreateChatRoomDocument,
  CreateWebhookEndpointDocument,
  DeactivateUserDocument,
  DeleteWebhookEndpointDocument,
  ExitStatsDocument,
  JoinChatRoomDocument,
  KickGroupMemberDocument,
  LeaveChatRoomDocument,
  LeaveGroupDocument,
  WebhookDeliveriesDocument,
} from '../generated/graphql.js'
import { chromiumPath, foreignRequestsOf, launchChromium, pageErrorsOf, screenshotPath } from '../support/chromium.js'
import { expectData, expectPayload } from '../support/client.js'
import { openTestDatabase, uniqueId } from '../support/database.js'
import { createUsers, domainDeps, seedGroup, userActor } from '../support/domain-fixtures.js'
import { request } from '../support/remote.js'
import { startTestServer, whenFollowing, type TestServer } from '../support/server.js'
import { startWebhookReceiver } from '../support/webhook-receiver.js'

const executable = chromiumPath()

/** Two webhook attempts 0.1 s apart, so a failing endpoint's delivery is DEAD at once. */
const serverSettings = { env: { WEBHOOK_RETRY_DELAYS: '0.1', WEBHOOK_TIMEOUT_MS: '2000' }, webhooks: { pollMs: 25 } }

describe.skipIf(!executable)('/dashboard', () => {
  let db: Database
  let server: TestServer
  let port: number
  let browser: Browser
  let admin: string
  const opened: Array<{ context: BrowserContext; foreign: string[]; errors: string[]; expectedErrors: RegExp[] }> = []

  const origin = () => new URL(server.url).origin

  beforeAll(async () => {
    ;[db, port, browser] = await Promise.all([openTestDatabase(), freePort(), launchChromium(executable!)])
    server = await startTestServer({ database: db, ...serverSettings, env: { ...serverSettings.env, PORT: String(port) } })
    admin = await server.token('backend', { admin: true })
  })

  afterAll(async () => {
    await browser?.close()
    await server?.stop()
    await db?.close()
  })

  afterEach(async () => {
    // Every page of the test: nothing requested from another origin, no script errors.
    for (const page of opened.splice(0)) {
      await page.context.close()
      expect(page.foreign).toEqual([])
      expect(page.errors.filter((error) => !page.expectedErrors.some((expected) => expected.test(error)))).toEqual([])
    }
  })

  /** A new page on /dashboard (a context of its own: its own sessionStorage). */
  async function openDashboard(options: { expectedErrors?: RegExp[] } = {}): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 }, colorScheme: 'dark' })
    const page = await context.newPage()
    const foreign = await foreignRequestsOf(page, origin())
    const errors = pageErrorsOf(page)
    page.on('dialog', (dialog) => {
      errors.push(`dialog: ${dialog.message()}`)
      void dialog.dismiss()
    })
    opened.push({ context, foreign, errors, expectedErrors: options.expectedErrors ?? [] })
    await page.goto(`${origin()}/dashboard`)
    return page
  }

  /** Connects with a token and waits until the server follows the page's subscription. */
  async function connect(page: Page, token: string): Promise<void> {
    await page.getByLabel('Access token').fill(token)
    await whenFollowing(server, () => page.getByRole('button', { name: 'Connect' }).click())
    await page.getByRole('status').filter({ hasText: /^Live$/ }).waitFor({ timeout: 5_000 })
  }

  // exact: the app admin's "Top places" region is a label that contains "Place" too.
  const placeField = (page: Page) => page.getByLabel('Place', { exact: true })
  const exitsTable = (page: Page) => page.getByRole('table', { name: 'Live exits' })
  const rowOf = (page: Page, eventId: string) => exitsTable(page).locator(`tbody tr[data-event-id="${eventId}"]`)
  const shownEventIds = (page: Page) => exitsTable(page).locator('tbody tr').evaluateAll((rows) => rows.map((row) => (row as HTMLElement).dataset.eventId!))

  async function leave(guid: string, uid: string): Promise<{ id: string; occurredAt: string }> {
    const left = expectPayload(await request(server, await server.token(uid), LeaveGroupDocument, { guid }), 'leaveGroup', 'LeaveGroupPayload')
    return left.event
  }

  /** The group's owner kicks `uid`. */
  async function kick(group: { guid: string; owner: string }, uid: string): Promise<{ id: string; occurredAt: string }> {
    const kicked = expectPayload(
      await request(server, await server.token(group.owner), KickGroupMemberDocument, { guid: group.guid, uid }),
      'kickGroupMember',
      'KickGroupMemberPayload',
    )
    return kicked.event
  }

  test('the page is served from this origin only: its CSP allows this host alone, ETag revalidation, other methods refused', async () => {
    const response = await fetch(`${origin()}/dashboard`)
    expect([response.status, response.headers.get('content-type'), response.headers.get('cache-control')]).toEqual([200, 'text/html; charset=utf-8', 'no-cache'])
    const host = new URL(origin()).host
    expect(response.headers.get('content-security-policy')).toMatch(
      new RegExp(`^default-src 'none'; script-src 'self'; style-src 'sha256-[A-Za-z0-9+/=]+'; connect-src 'self' ws://${host} wss://${host}; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'$`),
    )
    const html = await response.text()
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//)
    expect(html).toContain('<script type="module" src="/dashboard/app.js"></script>')
    const script = await fetch(`${origin()}/dashboard/app.js`)
    expect([script.status, script.headers.get('content-type')]).toEqual([200, 'text/javascript; charset=utf-8'])

    const again = await fetch(`${origin()}/dashboard`, { headers: { 'if-none-match': response.headers.get('etag')! } })
    expect(again.status).toBe(304)
    const post = await fetch(`${origin()}/dashboard`, { method: 'POST', body: '{}' })
    expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, HEAD'])
    // A Host header that is no host name is not copied into the policy.
    const policy = await new Promise<string>((resolve, reject) => {
      const req = httpRequest(`${origin()}/dashboard`, { headers: { host: 'evil.example/x y' } }, (res) => {
        res.resume()
        resolve(String(res.headers['content-security-policy']))
      })
      req.on('error', reject)
      req.end()
    })
    expect(policy).toContain("connect-src 'self'; ")
  })

  test('an admin token connects, is kept in sessionStorage only, and a new exit appears within 1 s of its commit', async () => {
    const group = await seedGroup(db, { scopes: ['PARTICIPANT', 'PARTICIPANT'] })
    const page = await openDashboard()
    expect(await page.getByRole('status').textContent()).toBe('Not connected')
    await connect(page, admin)

    const left = await leave(group.guid, group.uids[0])
    const answered = Date.now()
    await rowOf(page, left.id).waitFor({ timeout: 1_000 })
    expect(Date.now() - answered).toBeLessThan(1_000)
    const cells = await rowOf(page, left.id).getByRole('cell').allTextContents()
    expect(cells[0]).toBe(left.id)
    expect(cells.slice(2)).toEqual(['quit', 'left by own choice', `group Group ${group.guid} ${group.guid}`, `Name of ${group.uids[0]} ${group.uids[0]}`, `Name of ${group.uids[0]} (${group.uids[0]})`])

    // The operator kicks the other member: newest first.
    const kicked = await kick(group, group.uids[1])
    await rowOf(page, kicked.id).waitFor({ timeout: 1_000 })
    expect((await shownEventIds(page)).slice(0, 2)).toEqual([kicked.id, left.id])
    expect(await rowOf(page, kicked.id).getByRole('cell').nth(6).textContent()).toBe(`Name of ${group.owner} (${group.owner})`)

    const storage = await page.evaluate(() => ({ session: sessionStorage.getItem('departures.dashboard.token'), local: localStorage.length }))
    expect(storage).toEqual({ session: admin, local: 0 })
    expect(page.url()).toBe(`${origin()}/dashboard`)

    // A reload connects again from sessionStorage; Disconnect forgets the token.
    await whenFollowing(server, () => page.reload())
    await page.getByRole('status').filter({ hasText: /^Live$/ }).waitFor()
    await page.getByRole('button', { name: 'Disconnect' }).click()
    expect(await page.getByRole('status').textContent()).toBe('Not connected')
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0)
    expect(await page.getByLabel('Access token').inputValue()).toBe('')
  })

  test('on connecting it shows the exits committed before, newest first, and then each live exit once', async () => {
    const group = await seedGroup(db, { scopes: ['PARTICIPANT', 'PARTICIPANT', 'PARTICIPANT', 'PARTICIPANT'] })
    const [viewer, ...others] = group.uids
    const earlier = [await leave(group.guid, others[0]), await leave(group.guid, others[1])]
    const page = await openDashboard()
    await connect(page, await server.token(viewer))
    await rowOf(page, earlier[1].id).waitFor()
    expect(await shownEventIds(page)).toEqual([earlier[1].id, earlier[0].id])
    expect(await rowOf(page, earlier[0].id).getByRole('cell').nth(5).textContent()).toBe(`Name of ${others[0]} ${others[0]}`)

    const live = await leave(group.guid, others[2])
    await rowOf(page, live.id).waitFor({ timeout: 1_000 })
    // Long enough for a second copy to arrive if the stream replayed what the read showed.
    await page.waitForTimeout(300)
    expect(await shownEventIds(page)).toEqual([live.id, earlier[1].id, earlier[0].id])
  })

  test('a bad token shows a readable message and is not kept', async () => {
    const page = await openDashboard({ expectedErrors: [/status of 401/] })
    await page.getByLabel('Access token').fill('not-a-token')
    await page.getByRole('button', { name: 'Connect' }).click()
    const alert = page.getByRole('alert')
    await alert.waitFor()
    expect(await alert.textContent()).toMatch(/^This token was refused: invalid token: .+ Make one for this server with npm run token/)
    expect(await page.getByRole('status').textContent()).toBe('Not connected')
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0)
    expect(await page.getByRole('table', { name: 'Live exits' }).isVisible()).toBe(false)
  })

  test('names are shown as text: a user named like markup is harmless', async () => {
    const markup = '<img src=x onerror=alert(1)>'
    const group = await seedGroup(db, { scopes: ['PARTICIPANT'], nameOf: () => markup })
    const page = await openDashboard()
    await connect(page, admin)
    const left = await leave(group.guid, group.uids[0])
    const row = rowOf(page, left.id)
    await row.waitFor()
    expect(await row.getByRole('cell').nth(5).textContent()).toBe(`${markup} ${group.uids[0]}`)
    expect(await page.locator('main img').count()).toBe(0)
    await page.screenshot({ path: screenshotPath('dashboard-markup-names') })
  })

  test('filters: the exit type hides other rows; a place follows that group or chat room only, with the room’s counts', async () => {
    const group = await seedGroup(db, { scopes: ['PARTICIPANT', 'PARTICIPANT', 'PARTICIPANT'] })
    const elsewhere = await seedGroup(db, { scopes: ['PARTICIPANT', 'PARTICIPANT'] })
    const page = await openDashboard()
    await connect(page, admin)

    const quit = await leave(group.guid, group.uids[0])
    const kicked = await kick(group, group.uids[1])
    await rowOf(page, kicked.id).waitFor()
    await page.getByLabel('Exit type').selectOption('KICKED')
    await rowOf(page, quit.id).waitFor({ state: 'hidden' })
    expect(await rowOf(page, kicked.id).isVisible()).toBe(true)
    await page.getByLabel('Exit type').selectOption('')
    await rowOf(page, quit.id).waitFor()

    // A group: its newest exits, then only its exits as they happen.
    const before = await leave(elsewhere.guid, elsewhere.uids[1])
    await placeField(page).fill(group.guid)
    await whenFollowing(server, () => page.getByRole('button', { name: 'Follow', exact: true }).click())
    await page.getByText(`Group ${group.guid}`).first().waitFor()
    expect(await shownEventIds(page)).toEqual([kicked.id, quit.id])
    expect(await rowOf(page, before.id).count()).toBe(0)
    const other = await leave(elsewhere.guid, elsewhere.uids[0])
    const inGroup = await leave(group.guid, group.uids[2])
    await rowOf(page, inGroup.id).waitFor()
    expect(await shownEventIds(page)).toEqual([inGroup.id, kicked.id, quit.id])
    expect(await rowOf(page, other.id).count()).toBe(0)

    // A chat room: its members and online members, and its exits (none yet).
    const roomId = uniqueId('room')
    const [alice, bob] = await createUsers(db, 2)
    expectPayload(await request(server, admin, CreateChatRoomDocument, { input: { id: roomId, name: 'Lobby' } }), 'createChatRoom', 'CreateChatRoomPayload')
    for (const uid of [alice, bob]) expectPayload(await request(server, await server.token(uid), JoinChatRoomDocument, { id: roomId }), 'joinChatRoom', 'JoinChatRoomPayload')
    await placeField(page).fill(roomId)
    await whenFollowing(server, () => page.getByRole('button', { name: 'Follow', exact: true }).click())
    const facts = page.locator('#place-info')
    await facts.getByText('Lobby').waitFor()
    expect(await facts.locator('dl').textContent()).toBe('Members2Online0')
    expect(await shownEventIds(page)).toEqual([])
    const roomExit = expectPayload(await request(server, await server.token(alice), LeaveChatRoomDocument, { id: roomId }), 'leaveChatRoom', 'LeaveChatRoomPayload').event
    await rowOf(page, roomExit.id).waitFor()
    expect(await rowOf(page, roomExit.id).getByRole('cell').nth(4).textContent()).toBe(`room Lobby ${roomId}`)
    // The room's counts are read again after its exit.
    await page.waitForFunction(() => document.querySelector('#place-info dl')?.textContent === 'Members1Online0')
    await placeField(page).fill(uniqueId('nowhere'))
    await page.getByRole('button', { name: 'Follow', exact: true }).click()
    await facts.getByText(/^No group or chat room “nowhere_[0-9a-f]+” that this token may see\.$/).waitFor()
  })

  test('the chart shows exitStats’ counts per minute and the totals per exit type, and follows new exits', async () => {
    const group = await seedGroup(db, { scopes: ['PARTICIPANT', 'PARTICIPANT', 'PARTICIPANT'] })
    const page = await openDashboard()
    await connect(page, admin)
    const chart = page.getByRole('img', { name: 'Exits per minute' })
    await chart.locator('g.bar').nth(59).waitFor({ state: 'attached' })

    await leave(group.guid, group.uids[0])
    await leave(group.guid, group.uids[1])
    const kicked = await kick(group, group.uids[2])
    await rowOf(page, kicked.id).waitFor()

    const bars = () => chart.locator('g.bar').evaluateAll((gs) => gs.map((g) => [g.getAttribute('data-start')!, Number(g.getAttribute('data-count'))] as const))
    const stats = async () => {
      const shown = await bars()
      const from = shown[0][0]
      const to = new Date(Date.parse(shown[shown.length - 1][0]) + 60_000).toISOString()
      return expectData(await request(server, admin, ExitStatsDocument, { from, to, bucketSeconds: 60 })).exitStats
    }
    // The bars settle on what exitStats counts (the live increments are corrected by a new read).
    let expected = await stats()
    for (let attempt = 0; ; attempt++) {
      const shown = await bars()
      expected = await stats()
      if (JSON.stringify(shown) === JSON.stringify(expected.buckets.map((b) => [b.start, b.events]))) break
      if (attempt > 40) expect(shown).toEqual(expected.buckets.map((b) => [b.start, b.events]))
      await page.waitForTimeout(50)
    }
    expect(expected.buckets.reduce((sum, b) => sum + b.events, 0)).toBeGreaterThanOrEqual(3)
    const totals = page.getByRole('table', { name: 'Totals for the last 60 minutes' })
    for (const total of expected.totals) {
      const row = totals.locator(`tr[data-exit-type="${total.exitType}"]`)
      expect(await row.getByRole('cell').allTextContents()).toEqual([String(total.events), String(total.members)])
    }

    // Filtered by exit type, the bars count that type only.
    await page.getByLabel('Exit type').selectOption('KICKED')
    const kickedPerMinute = expected.buckets.map((b) => [b.start, b.byExitType.find((c) => c.exitType === 'KICKED')?.events ?? 0])
    expect(await bars()).toEqual(kickedPerMinute)
    await page.getByLabel('Exit type').selectOption('')
    await page.screenshot({ path: screenshotPath('dashboard-admin') })
  })

  test('after a server restart it resumes from the last exit shown: every exit exactly once, Reconnecting… then Live', async () => {
    const group = await seedGroup(db, { scopes: ['PARTICIPANT', 'PARTICIPANT', 'PARTICIPANT', 'PARTICIPANT'] })
    // While the server is away the page's reconnects and reads fail, and Chromium logs each.
    const page = await openDashboard({ expectedErrors: [/WebSocket connection to .* failed/, /Failed to load resource: net::ERR_CONNECTION_REFUSED/] })
    await connect(page, admin)
    const before = await leave(group.guid, group.uids[0])
    await rowOf(page, before.id).waitFor()

    await server.stop()
    await page.getByRole('status').filter({ hasText: /^Reconnecting…$/ }).waitFor({ timeout: 5_000 })
    // Committed while no server runs.
    const whileDown = (await leaveGroup(domainDeps(db), userActor(group.uids[1]), { guid: group.guid })).value.event.id.toString()

    server = await startTestServer({ database: db, authSecret: server.authSecret, ...serverSettings, env: { ...serverSettings.env, PORT: String(port) } })
    // Committed through the new server, likely before the page is back.
    const whileReconnecting = (await leave(group.guid, group.uids[2])).id
    await page.getByRole('status').filter({ hasText: /^Live$/ }).waitFor({ timeout: 10_000 })
    await rowOf(page, whileReconnecting).waitFor({ timeout: 5_000 })
    const after = await leave(group.guid, group.uids[3])
    await rowOf(page, after.id).waitFor()

    const shown = await shownEventIds(page)
    expect(shown.slice(0, 4)).toEqual([after.id, whileReconnecting, whileDown, before.id])
    expect(new Set(shown).size).toBe(shown.length)
    // A read that failed while the server was away is not reported any longer.
    await page.locator('#message').waitFor({ state: 'hidden' })
  })

  test('a user’s token follows the exits of its groups and chat rooms and its own, and has no admin panels; a deactivation disconnects it', async () => {
    const group = await seedGroup(db, { scopes: ['PARTICIPANT', 'PARTICIPANT'] })
    const [member, other] = group.uids
    const stranger = await seedGroup(db, { scopes: ['PARTICIPANT'] })
    const roomId = uniqueId('room')
    expectPayload(await request(server, admin, CreateChatRoomDocument, { input: { id: roomId, name: 'Hall' } }), 'createChatRoom', 'CreateChatRoomPayload')
    for (const uid of [member, other]) expectPayload(await request(server, await server.token(uid), JoinChatRoomDocument, { id: roomId }), 'joinChatRoom', 'JoinChatRoomPayload')
    // After the deactivation a read still under way may be answered 401, which Chromium logs.
    const page = await openDashboard({ expectedErrors: [/status of 401/] })
    await connect(page, await server.token(member))
    expect(await page.locator('#who').textContent()).toContain(`Signed in as Name of ${member} (${member})`)
    expect(await page.getByRole('heading', { name: 'Top places' }).count()).toBe(0)
    expect(await page.getByRole('heading', { name: 'Webhook endpoints' }).count()).toBe(0)
    expect(await page.getByRole('region', { name: 'Top places' }).count()).toBe(0)
    expect(await page.getByRole('region', { name: 'Webhook endpoints' }).count()).toBe(0)
    expect(await page.getByRole('button', { name: 'Redeliver' }).count()).toBe(0)

    // A group it is not in: refused, and the page goes on following what it followed.
    await placeField(page).fill(stranger.guid)
    await page.getByRole('button', { name: 'Follow', exact: true }).click()
    await page.locator('#place-info').getByText(new RegExp(`^“${stranger.guid}” cannot be followed with this token: .+`)).waitFor()
    expect(await page.getByRole('status').textContent()).toBe('Live')

    // In commit order, so the stranger's exit would have arrived before the others if shown.
    const strangers = await leave(stranger.guid, stranger.uids[0])
    const inGroup = await leave(group.guid, other)
    const inRoom = expectPayload(await request(server, await server.token(other), LeaveChatRoomDocument, { id: roomId }), 'leaveChatRoom', 'LeaveChatRoomPayload').event
    const own = await leave(group.guid, member)
    await rowOf(page, own.id).waitFor()
    expect(await shownEventIds(page)).toEqual([own.id, inRoom.id, inGroup.id])
    expect(await rowOf(page, strangers.id).count()).toBe(0)
    await page.screenshot({ path: screenshotPath('dashboard-user') })

    // Deactivated: the server closes the live connection (4403) and the page forgets the token.
    expectPayload(await request(server, admin, DeactivateUserDocument, { uid: member }), 'deactivateUser', 'DeactivateUserPayload')
    await page.getByRole('alert').filter({ hasText: 'the token is no longer accepted (4403)' }).waitFor()
    expect(await page.getByRole('status').textContent()).toBe('Not connected')
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0)
  })

  test('the app admin sees webhook endpoints with their dead deliveries, and Redeliver sends one again', async () => {
    const receiver = await startWebhookReceiver(() => ({ status: 500, body: 'down' }))
    const endpoint = expectPayload(
      await request(server, admin, CreateWebhookEndpointDocument, { input: { url: receiver.url } }),
      'createWebhookEndpoint',
      'CreateWebhookEndpointPayload',
    ).endpoint
    try {
      const group = await seedGroup(db, { scopes: ['PARTICIPANT'] })
      const left = await leave(group.guid, group.uids[0])
      const deliveryOf = async () =>
        expectData(await request(server, admin, WebhookDeliveriesDocument, { first: 10 }))
          .webhookEndpoints.find((e) => e.id === endpoint.id)
          ?.deliveries.edges.map((edge) => edge!.node)
          .find((d) => d.event.id === left.id)
      let delivery = await deliveryOf()
      for (const deadline = Date.now() + 10_000; delivery?.status !== 'DEAD'; delivery = await deliveryOf()) {
        if (Date.now() > deadline) throw new Error(`the delivery did not go DEAD: ${JSON.stringify(delivery)}`)
        await new Promise((resolve) => setTimeout(resolve, 25))
      }

      const page = await openDashboard()
      await connect(page, admin)
      const panel = page.getByRole('region', { name: 'Webhook endpoints' })
      const card = panel.locator(`article[data-endpoint-id="${endpoint.id}"]`)
      await card.waitFor()
      expect(await card.locator('.url').textContent()).toBe(receiver.url)
      expect(await card.locator('dl').textContent()).toBe('pending0succeeded0dead1')
      expect(await page.getByRole('region', { name: 'Top places' }).isVisible()).toBe(true)
      await page.screenshot({ path: screenshotPath('dashboard-webhooks'), fullPage: true })

      receiver.behave(() => ({ status: 200, body: '{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}' }))
      await card.locator(`tr[data-delivery-id="${delivery.id}"]`).getByRole('button', { name: 'Redeliver' }).click()
      const [, , third] = await receiver.waitFor(3)
      expect(third.headers['webhook-id']).toBe(delivery.id)
      await panel.getByText(`Delivery ${delivery.id} is queued again`).waitFor()
      await card.locator(`tr[data-delivery-id="${delivery.id}"]`).waitFor({ state: 'detached' })
    } finally {
      await request(server, admin, DeleteWebhookEndpointDocument, { id: endpoint.id })
      await receiver.close()
    }
  })
})

/** A port free now, for a server that must come back on the same one. */
async function freePort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address() as { port: number }
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  return port
}
