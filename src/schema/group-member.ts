import { prismaConnectionHelpers } from '@pothos/plugin-prisma'
import { builder } from './builder.js'
import type { Prisma } from '../generated/prisma/client.js'
import { MemberScopeEnum } from './enums.js'
import { membersOrder } from '../domain/groups/list-groups.js'

export const GroupMemberRef = builder.prismaObject('GroupMember', {
  description: "A user's membership in a group.",
  fields: (t) => ({
    user: t.relation('user'),
    scope: t.expose('scope', { type: MemberScopeEnum }),
    joinedAt: t.expose('joinedAt', { type: 'DateTime' }),
  }),
})

/** Pages through a group's members in join order; used by Group.members. */
export const groupMembersConnection = prismaConnectionHelpers(builder, GroupMemberRef, {
  cursor: 'groupGuid_uid',
  // Prisma takes a list of orderings; Pothos' helper types only name a single one.
  query: { orderBy: membersOrder as Prisma.GroupMemberOrderByWithRelationInput },
})
