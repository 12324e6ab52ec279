import type { Message } from '../../generated/prisma/client.js'
import { sendGroupMessage } from '../../domain/groups/send-group-message.js'
import { builder } from '../builder.js'
import { TextMessageRef } from '../message.js'
import { perform } from '../perform.js'
import { RateLimitedError } from '../../domain/errors.js'

const SendGroupMessagePayload = builder.objectRef<{ sentMessage: Message }>('SendGroupMessagePayload').implement({
  fields: (t) => ({ sentMessage: t.field({ type: TextMessageRef, resolve: (p) => p.sentMessage }) }),
})

builder.mutationField('sendGroupMessage', (t) =>
  t.field({
    type: SendGroupMessagePayload,
    description: 'Members only; text of 1–4,000 characters.',
    authScopes: { authenticated: true },
    errors: { types: [RateLimitedError] },
    args: { guid: t.arg.id({ required: true }), text: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) =>
      perform(ctx, (deps, actor) => sendGroupMessage(deps, actor, { guid: String(args.guid), text: args.text })),
  }),
)
