import type { Prisma, PrismaClient } from '../../generated/prisma/client.js'
import type { Actor } from '../actor.js'

/**
 * Who may see which group. A PRIVATE group exists only for its members and the app admin:
 * everyone else is told it does not exist, so its guid cannot be probed.
 */
export function visibleGroupsWhere(actor: Actor): Prisma.GroupWhereInput {
  if (actor.isAppAdmin) return {}
  const publicOrPassword: Prisma.GroupWhereInput = { type: { not: 'PRIVATE' } }
  if (!actor.uid) return publicOrPassword
  return { OR: [publicOrPassword, { members: { some: { uid: actor.uid } } }] }
}

/** One group by guid, dissolved or not, if the actor may see it. */
export function visibleGroupWhere(actor: Actor, guid: string): Prisma.GroupWhereInput {
  return { AND: [{ guid }, visibleGroupsWhere(actor)] }
}

export type HistoryAccess = 'allowed' | 'group-not-found' | 'not-a-member'

/**
 * Whether the actor may read a group's history: members and the app admin, while the group
 * exists. A dissolved group has no history any more, and a group the actor may not see is
 * reported as missing rather than forbidden, like `group(guid)` does.
 */
export async function historyAccess(prisma: PrismaClient, actor: Actor, guid: string): Promise<HistoryAccess> {
  const group = await prisma.group.findFirst({
    where: { AND: [visibleGroupWhere(actor, guid), { dissolvedAt: null }] },
    select: { guid: true },
  })
  if (!group) return 'group-not-found'
  if (actor.isAppAdmin) return 'allowed'
  if (!actor.uid) return 'not-a-member'
  const member = await prisma.groupMember.findUnique({
    where: { groupGuid_uid: { groupGuid: guid, uid: actor.uid } },
    select: { uid: true },
  })
  return member ? 'allowed' : 'not-a-member'
}
