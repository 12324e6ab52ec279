import { Webhook } from 'standardwebhooks'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import {
  CreateWebhookEndpointDocument,
  KickGroupMemberDocument,
  LeaveGroupDocument,
  RemoveMembersDocument,
  DeleteGroupDocument,
  RotateWebhookSecretDocument,
} from '../generated/graphql.js'
import { expectError, expectPayload } from '../support/client.js'
import { seedGroup } from '../support/domain-fixtures.js'
import { request } from '../support/remote.js'
import { startTestServer, type TestServer } from '../support/server.js'
import { startWebhookReceiver, type ReceivedWebhook, type WebhookReceiver } from '../support/webhook-receiver.js'

// Exits reach the app's backend: a real HTTP receiver on loopback, signatures checked with the
// independent `standardwebhooks` package. A private database: the dispatcher serves every
// endpoint in it, and other files' servers (other server keys) must not take these deliveries.

let server: TestServer
let receiver: WebhookReceiver
let admin: string
let secret: string
let endpointId: string

beforeAll(async () => {
  server = await startTestServer({ privateDatabase: true, env: { APP_ID: '1400123456' }, webhooks: { pollMs: 50 } })
  admin = await server.token('backend', { admin: true })
  receiver = await startWebhookReceiver()
  const created = expectPayload(
    await request(server, admin, CreateWebhookEndpointDocument, { input: { url: receiver.url } }),
    'createWebhookEndpoint',
    'CreateWebhookEndpointPayload',
  )
  secret = created.secret
  endpointId = created.endpoint.id
}, 60_000)
afterAll(async () => {
  await server?.stop()
  await receiver?.close()
})

const tokenOf = (uid: string) => server.token(uid)

function verified(webhook: ReceivedWebhook, withSecret = secret): unknown {
  const headers = Object.fromEntries(['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((name) => [name, String(webhook.headers[name])]))
  return new Webhook(withSecret).verify(webhook.body, headers)
}

/** The webhooks received for one event, by EventId. */
async function deliveredFor(eventId: string, count = 1): Promise<ReceivedWebhook[]> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const matching = receiver.received.filter((w) => JSON.parse(w.body).EventId === eventId)
    if (matching.length >= count) return matching
    if (Date.now() > deadline) throw new Error(`no webhook for event ${eventId}`)
    await receiver.waitFor(receiver.received.length + 1, deadline - Date.now()).catch(() => undefined)
  }
}

describe('after-exit webhooks', { timeout: 30_000 }, () => {
  test('a QUIT is POSTed with the Tencent query and body, signed per Standard Webhooks', async () => {
    const g = await seedGroup(server.db, { scopes: ['PARTICIPANT'] })
    const [bob] = g.uids
    const left = expectPayload(await request(server, await tokenOf(bob), LeaveGroupDocument, { guid: g.guid }), 'leaveGroup', 'LeaveGroupPayload')
    const [webhook] = await deliveredFor(left.event.id)
    expect(webhook.path).toBe('/tencent/callback')
    expect(Object.fromEntries(webhook.query)).toEqual({
      SdkAppid: '1400123456',
      CallbackCommand: 'Group.CallbackAfterMemberExit',
      contenttype: 'json',
      ClientIP: '',
      OptPlatform: 'RESTAPI',
    })
    expect(webhook.headers['content-type']).toBe('application/json')
    expect(JSON.parse(webhook.body)).toEqual({
      CallbackCommand: 'Group.CallbackAfterMemberExit',
      GroupId: g.guid,
      Type: 'Public',
      ExitType: 'Quit',
      Operator_Account: bob,
      ExitMemberList: [{ Member_Account: bob }],
      EventTime: expect.any(Number),
      EventId: left.event.id,
      ExitDetail: 'QUIT',
      Reason: 'LEFT_BY_OWN_CHOICE',
    })
    expect(verified(webhook)).toMatchObject({ EventId: left.event.id })
  })

  test('a KICKED batch lists every member; the app admin without a user is named by its token subject', async () => {
    const g = await seedGroup(server.db, { scopes: ['PARTICIPANT', 'PARTICIPANT', 'PARTICIPANT'] })
    const removed = expectPayload(
      await request(server, admin, RemoveMembersDocument, { guid: g.guid, uids: g.uids }),
      'removeMembers',
      'RemoveMembersPayload',
    )
    const [webhook] = await deliveredFor(removed.event!.id)
    expect(JSON.parse(webhook.body)).toMatchObject({
      ExitType: 'Kicked',
      ExitDetail: 'KICKED',
      Reason: 'ADMIN_REMOVED',
      Operator_Account: 'backend',
      ExitMemberList: g.uids.map((uid) => ({ Member_Account: uid })),
    })
    verified(webhook)
  })

  test('a DISSOLVED exit names the owner as operator and every member', async () => {
    const g = await seedGroup(server.db, { scopes: ['PARTICIPANT', 'PARTICIPANT'] })
    const deleted = expectPayload(await request(server, await tokenOf(g.owner), DeleteGroupDocument, { guid: g.guid }), 'deleteGroup', 'DeleteGroupPayload')
    const [webhook] = await deliveredFor(deleted.event!.id)
    const body = JSON.parse(webhook.body)
    expect(body).toMatchObject({ GroupId: g.guid, ExitType: 'Kicked', ExitDetail: 'DISSOLVED', Operator_Account: g.owner })
    expect(body.ExitMemberList.map((m: { Member_Account: string }) => m.Member_Account).sort()).toEqual([g.owner, ...g.uids].sort())
  })

  test('after rotation the new secret signs and the old one no longer verifies', async () => {
    const rotated = expectPayload(await request(server, admin, RotateWebhookSecretDocument, { id: endpointId }), 'rotateWebhookSecret', 'RotateWebhookSecretPayload')
    const old = secret
    secret = rotated.secret
    const g = await seedGroup(server.db, { scopes: ['PARTICIPANT'] })
    const kicked = expectPayload(
      await request(server, await tokenOf(g.owner), KickGroupMemberDocument, { guid: g.guid, uid: g.uids[0] }),
      'kickGroupMember',
      'KickGroupMemberPayload',
    )
    const [webhook] = await deliveredFor(kicked.event.id)
    expect(verified(webhook, secret)).toMatchObject({ EventId: kicked.event.id })
    expect(() => verified(webhook, old)).toThrow()
  })

  test('an endpoint on a private address is refused without WEBHOOK_ALLOW_PRIVATE', async () => {
    const strict = await startTestServer({ privateDatabase: true, env: { WEBHOOK_ALLOW_PRIVATE: 'false' } })
    try {
      const strictAdmin = await strict.token('backend', { admin: true })
      for (const url of [receiver.url, 'http://localhost:9/x', 'http://10.0.0.1/x', 'http://[::1]:9/x', 'http://169.254.169.254/latest']) {
        const refused = expectError(await request(strict, strictAdmin, CreateWebhookEndpointDocument, { input: { url } }), 'createWebhookEndpoint', 'ERR_INVALID_INPUT')
        expect(refused.message).toMatch(/^input\.url: /)
      }
      expectError(await request(strict, strictAdmin, CreateWebhookEndpointDocument, { input: { url: 'ftp://example.com/x' } }), 'createWebhookEndpoint', 'ERR_INVALID_INPUT')
    } finally {
      await strict.stop()
    }
  })
})
