import type { MemberLeftEvent, Prisma } from '../../generated/prisma/client.js'
import type { Actor } from '../actor.js'
import type { DomainDeps } from '../deps.js'
import { parseMemberLeftCursor } from './member-left-cursor.js'
import { authorizeMemberLeft, memberLeftView, validateMemberLeftScope, type MemberLeftDecision } from './member-left-visibility.js'

/** The committed-exit stream (src/events/member-left-feed.ts), as the domain needs it. */
export interface MemberLeftSource {
  position(): Promise<bigint>
  subscribe(options: {
    after?: bigint
    where?: Prisma.MemberLeftEventWhereInput
    filter?: (event: MemberLeftEvent) => MemberLeftDecision
  }): AsyncIterableIterator<MemberLeftEvent>
}

export interface FollowMemberLeftInput {
  guid?: string | null
  chatRoomId?: string | null
  /** An event id: replay every visible event after it first. */
  after?: string | null
}

/**
 * The memberLeft stream for one caller: authorized once, then filtered per event. Refusals
 * (DomainError) are thrown before anything is subscribed.
 */
export async function followMemberLeft(
  deps: DomainDeps & { memberLeft: MemberLeftSource },
  actor: Actor,
  input: FollowMemberLeftInput,
): Promise<AsyncIterableIterator<MemberLeftEvent>> {
  const after = parseMemberLeftCursor(input.after)
  const scope = validateMemberLeftScope(input)
  // The start is fixed before the membership check, so an exit committing after the check
  // (say, the caller being kicked) has a larger id and is replayed, and ends the stream.
  const start = after ?? (await deps.memberLeft.position())
  const audience = await authorizeMemberLeft(deps.prisma, actor, { ...scope, after: start })
  const view = memberLeftView(audience)
  return deps.memberLeft.subscribe({ after: start, where: view.where, filter: view.decide })
}
