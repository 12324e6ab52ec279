import DataLoader from 'dataloader'
import type { GraphQLResolveInfo } from 'graphql'
import type { ChatRoom, Group, User } from '../generated/prisma/client.js'
import type { GraphQLContext } from '../context.js'

/** The selection Pothos' prisma plugin asks for (include/select of nested relations). */
type Selection = Record<string, unknown>

interface ContextLoaders {
  cache: boolean
  users: Map<string, DataLoader<string, User | null>>
  groups: Map<string, DataLoader<string, Group | null>>
  chatRooms: Map<string, DataLoader<string, ChatRoom | null>>
}

const perRequest = new WeakMap<GraphQLContext, ContextLoaders>()
const perServer = new WeakMap<GraphQLContext['deps'], ContextLoaders>()

/**
 * Users and groups named by MemberLeftEvents: one query per batch, not one per event, and
 * with the client's nested selection (one loader per selection shape). Queries get loaders
 * of their own that cache for the request. Subscriptions share one set per server that
 * batches without caching: the feed hands an event to every subscriber in the same tick, so
 * a thousand subscribers resolve its users with one query, and nothing read for one event
 * (a user's name) outlives it.
 */
export function exitLoaders(ctx: GraphQLContext, info: GraphQLResolveInfo) {
  const subscription = info.operation.operation === 'subscription'
  const owners: WeakMap<object, ContextLoaders> = subscription ? perServer : perRequest
  const owner = subscription ? ctx.deps : ctx
  let loaders = owners.get(owner)
  if (!loaders) {
    loaders = { cache: !subscription, users: new Map(), groups: new Map(), chatRooms: new Map() }
    owners.set(owner, loaders)
  }
  const { cache } = loaders
  const prisma = ctx.deps.prisma
  return {
    users: (query: Selection) =>
      loaderFor(loaders.users, query, () => byKey(cache, 'uid', (where, q) => prisma.user.findMany({ ...q, where }) as Promise<User[]>, query)),
    groups: (query: Selection) =>
      loaderFor(loaders.groups, query, () => byKey(cache, 'guid', (where, q) => prisma.group.findMany({ ...q, where }) as Promise<Group[]>, query)),
    chatRooms: (query: Selection) =>
      loaderFor(loaders.chatRooms, query, () =>
        byKey(cache, 'id', (where, q) => prisma.chatRoom.findMany({ ...q, where }) as Promise<ChatRoom[]>, query),
      ),
  }
}

function loaderFor<V>(map: Map<string, DataLoader<string, V | null>>, query: Selection, create: () => DataLoader<string, V | null>) {
  const key = JSON.stringify(query, (_k, value: unknown) => (typeof value === 'bigint' ? `${value}n` : value))
  let loader = map.get(key)
  if (!loader) {
    loader = create()
    map.set(key, loader)
  }
  return loader
}

function byKey<K extends 'uid' | 'guid' | 'id', V extends Record<K, string>>(
  cache: boolean,
  key: K,
  find: (where: Record<string, { in: string[] }>, query: Selection) => Promise<V[]>,
  query: Selection,
): DataLoader<string, V | null> {
  // With a select-style query the key column must be selected to map rows back.
  const withKey = query.select ? { ...query, select: { ...(query.select as Selection), [key]: true } } : query
  return new DataLoader<string, V | null>(
    async (keys) => {
      const rows = await find({ [key]: { in: [...new Set(keys)] } }, withKey)
      const found = new Map<string, V>(rows.map((row) => [row[key], row]))
      return keys.map((k) => found.get(k) ?? null)
    },
    { cache },
  )
}
