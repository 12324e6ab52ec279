import { builder } from './builder.js'
import { MemberScopeEnum } from './enums.js'

export const GroupMemberRef = builder.prismaObject('GroupMember', {
  fields: (t) => ({
    user: t.relation('user'),
    scope: t.expose('scope', { type: MemberScopeEnum }),
    joinedAt: t.expose('joinedAt', { type: 'DateTime' }),
  }),
})
