import { builder } from './builder.js'
import {
  ExitType,
  GroupAction,
  GroupType,
  LeaveReason,
  MemberScope,
  OwnerLeavePolicy,
} from '../generated/prisma/enums.js'

export const GroupTypeEnum = builder.enumType(GroupType, { name: 'GroupType' })

export const MemberScopeEnum = builder.enumType(MemberScope, {
  name: 'MemberScope',
  description: 'Scopes, highest first. A member may remove only members of a strictly lower scope.',
})

export const OwnerLeavePolicyEnum = builder.enumType('OwnerLeavePolicy', {
  description: 'What happens when the owner leaves.',
  values: {
    TRANSFER_REQUIRED: {
      value: OwnerLeavePolicy.TRANSFER_REQUIRED,
      description: 'The owner must transfer ownership first (ERR_OWNER_MUST_TRANSFER).',
    },
    DISSOLVE: {
      value: OwnerLeavePolicy.DISSOLVE,
      description: 'The group is dissolved: every member exits and the history is cleared.',
    },
  } as const,
})

export const ExitTypeEnum = builder.enumType(ExitType, {
  name: 'ExitType',
  description: "How members left. Mirrors Tencent's ExitType Quit/Kicked, refined.",
})

export const LeaveReasonEnum = builder.enumType(LeaveReason, {
  name: 'LeaveReason',
  description: "Why members left (Sendbird's reason values).",
})

export const GroupActionEnum = builder.enumType(GroupAction, { name: 'GroupAction' })
