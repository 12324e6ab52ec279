import { builder } from './builder.js'
import { GroupActionEnum, LeaveReasonEnum } from './enums.js'
import { loadersFor } from './loaders.js'
import { UserRef } from './user.js'
import type { GraphQLContext } from '../context.js'

function userByUid(ctx: GraphQLContext, uid: string | null) {
  return uid ? loadersFor(ctx).users.load(uid) : null
}

/** One entry of a group's history; both kinds are rows of the Message table, told apart by `kind`. */
export const MessageRef = builder.prismaInterface('Message', {
  name: 'Message',
  description: "An entry of a group's history.",
  fields: (t) => ({
    id: t.field({ type: 'ID', resolve: (m) => m.id.toString() }),
    sentAt: t.expose('sentAt', { type: 'DateTime' }),
  }),
  resolveType: (m) => (m.kind === 'ACTION' ? 'ActionMessage' : 'TextMessage'),
})

export const TextMessageRef = builder.prismaObject('Message', {
  variant: 'TextMessage',
  description: 'A message a member sent to the group.',
  interfaces: [MessageRef],
  fields: (t) => ({
    // sender is a plain uid column (senders may leave; history stays), batched per request.
    sender: t.field({ type: UserRef, nullable: true, resolve: (m, _args, ctx) => userByUid(ctx, m.senderUid) }),
    text: t.string({ resolve: (m) => m.text ?? '' }),
  }),
})

export const ActionMessageRef = builder.prismaObject('Message', {
  variant: 'ActionMessage',
  description:
    "A membership change recorded in the group's history, so that a member who was offline learns of it (CometChat's Action message).",
  interfaces: [MessageRef],
  fields: (t) => ({
    action: t.field({
      type: GroupActionEnum,
      resolve: (m) => {
        if (!m.action) throw new Error(`action message ${m.id} has no action`)
        return m.action
      },
    }),
    actionBy: t.field({
      type: UserRef,
      nullable: true,
      description: 'Who did it: the leaver for LEFT, the remover for KICKED/BANNED.',
      resolve: (m, _args, ctx) => userByUid(ctx, m.actionByUid),
    }),
    actionOn: t.field({
      type: UserRef,
      nullable: true,
      description: 'Whom it was done to, where that differs from actionBy.',
      resolve: (m, _args, ctx) => userByUid(ctx, m.actionOnUid),
    }),
    actionFor: t.relation('group', { nullable: true, description: 'The group the change happened in.' }),
    reason: t.expose('reason', { type: LeaveReasonEnum, nullable: true }),
  }),
})
