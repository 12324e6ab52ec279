import type { GroupType, Prisma } from '../../generated/prisma/client.js'
import type { Actor } from '../actor.js'
import { visibleGroupsWhere } from './group-visibility.js'

export interface GroupListFilter {
  /** Case-insensitive substring of the name. */
  search?: string | null
  type?: GroupType | null
  /** Only groups the actor is a member of. */
  joinedOnly?: boolean | null
}

/** The group directory: live groups the actor may see, narrowed by the filter. */
export function listGroupsWhere(actor: Actor, filter: GroupListFilter): Prisma.GroupWhereInput {
  const where: Prisma.GroupWhereInput[] = [{ dissolvedAt: null }, visibleGroupsWhere(actor)]
  if (filter.search) where.push({ name: { contains: filter.search, mode: 'insensitive' } })
  if (filter.type) where.push({ type: filter.type })
  if (filter.joinedOnly) {
    // An app admin without a user has joined nothing.
    where.push(actor.uid ? { members: { some: { uid: actor.uid } } } : { guid: { in: [] } })
  }
  return { AND: where }
}

/** Directory order: by name, then guid, so that every page boundary is well defined. */
export const listGroupsOrder: Prisma.GroupOrderByWithRelationInput[] = [{ name: 'asc' }, { guid: 'asc' }]

/** Members in the order they joined; uid breaks ties between members added together. */
export const membersOrder: Prisma.GroupMemberOrderByWithRelationInput[] = [{ joinedAt: 'asc' }, { uid: 'asc' }]

/** History order: oldest first, by id (ids follow insertion order). */
export const historyOrder: Prisma.MessageOrderByWithRelationInput[] = [{ id: 'asc' }]
