import DataLoader from 'dataloader'
import type { GroupMember, User } from '../generated/prisma/client.js'
import type { GraphQLContext } from '../context.js'
import { countWebhookDeliveriesByEndpoint, type DeliveryCounts } from '../webhooks/delivery-counts.js'

/**
 * Per-request batch loaders for what the Prisma plugin cannot preload: plain uid columns with
 * no relation (message senders and actors), the caller's own membership in many groups, and
 * counts of one relation split several ways (a webhook endpoint's deliveries per status).
 * Keyed by the context object, so they live exactly as long as one request.
 */
export interface Loaders {
  /** Users by uid; null for a uid with no user row. */
  users: DataLoader<string, User | null>
  /** The caller's membership row by group guid; null when the caller is not a member. */
  viewerMemberships: DataLoader<string, GroupMember | null>
  /** Whether a user is on a room's whitelist, by `${chatRoomId}\n${uid}`. */
  chatRoomWhitelisted: DataLoader<string, boolean>
  /** A webhook endpoint's deliveries per status, by endpoint id: one GROUP BY for a page of endpoints. */
  webhookDeliveryCounts: DataLoader<string, DeliveryCounts>
}

const perRequest = new WeakMap<GraphQLContext, Loaders>()

export function loadersFor(ctx: GraphQLContext): Loaders {
  let loaders = perRequest.get(ctx)
  if (!loaders) {
    loaders = createLoaders(ctx)
    perRequest.set(ctx, loaders)
  }
  return loaders
}

function createLoaders(ctx: GraphQLContext): Loaders {
  const { prisma } = ctx.deps
  return {
    users: new DataLoader(async (uids) => {
      const rows = await prisma.user.findMany({ where: { uid: { in: [...uids] } } })
      const byUid = new Map(rows.map((row) => [row.uid, row]))
      return uids.map((uid) => byUid.get(uid) ?? null)
    }),
    viewerMemberships: new DataLoader(async (guids) => {
      const uid = ctx.viewer?.uid
      if (!uid) return guids.map(() => null)
      const rows = await prisma.groupMember.findMany({ where: { uid, groupGuid: { in: [...guids] } } })
      const byGroup = new Map(rows.map((row) => [row.groupGuid, row]))
      return guids.map((guid) => byGroup.get(guid) ?? null)
    }),
    chatRoomWhitelisted: new DataLoader(async (keys) => {
      const pairs = keys.map((key) => key.split('\n') as [string, string])
      const rows = await prisma.chatRoomWhitelist.findMany({
        where: { OR: [...groupBy(pairs)].map(([chatRoomId, uids]) => ({ chatRoomId, uid: { in: uids } })) },
        select: { chatRoomId: true, uid: true },
      })
      const listed = new Set(rows.map((row) => `${row.chatRoomId}\n${row.uid}`))
      return keys.map((key) => listed.has(key))
    }),
    webhookDeliveryCounts: new DataLoader((endpointIds) => countWebhookDeliveriesByEndpoint(prisma, endpointIds)),
  }
}

function groupBy(pairs: [string, string][]): Map<string, string[]> {
  const byFirst = new Map<string, string[]>()
  for (const [first, second] of pairs) byFirst.set(first, [...(byFirst.get(first) ?? []), second])
  return byFirst
}
