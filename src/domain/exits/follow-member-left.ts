import type { MemberLeftEvent } from '../../generated/prisma/client.js'
import type { Actor } from '../actor.js'
import type { DomainDeps } from '../deps.js'
import type { ExitLog, ExitLogPosition, StoredEventFilter } from './exit-log.js'
import type { PlaceMembers } from './joined-places.js'
import { resolveMemberLeftCursor } from './member-left-cursor.js'
import {
  authorizeMemberLeft,
  memberLeftView,
  validateMemberLeftScope,
  type MemberLeftDecision,
  type MembershipLookup,
} from './member-left-visibility.js'

/** The committed-exit stream (src/events/member-left-feed.ts), as the domain needs it. */
export interface MemberLeftSource {
  readonly log: Pick<ExitLog, 'positionOfId'>
  position(): Promise<ExitLogPosition>
  subscribe(options: {
    after?: ExitLogPosition
    where?: StoredEventFilter
    filter?: (event: MemberLeftEvent, members: PlaceMembers) => MemberLeftDecision
    /** The user whose current memberships `filter` reads, read by the source in bulk per page. */
    memberUid?: string
  }): AsyncIterableIterator<MemberLeftEvent>
}

export interface FollowMemberLeftInput {
  guid?: string | null
  chatRoomId?: string | null
  /** The caller's groups and chat rooms (and its own exits); not with guid or chatRoomId. */
  joined?: boolean | null
  /** An event id: replay every visible event after it first. */
  after?: string | null
}

/**
 * The memberLeft stream for one caller: authorized once, then filtered per event. Refusals
 * (DomainError) are thrown before anything is subscribed.
 */
export async function followMemberLeft(
  deps: DomainDeps & { memberLeft: MemberLeftSource; memberships?: MembershipLookup },
  actor: Actor,
  input: FollowMemberLeftInput,
): Promise<AsyncIterableIterator<MemberLeftEvent>> {
  const scope = validateMemberLeftScope(input)
  const after = await resolveMemberLeftCursor(deps.memberLeft.log, input.after)
  // The start is fixed before the membership check, so an exit committing after the check
  // (say, the caller being kicked) comes later in the log and is replayed, and ends the stream.
  const start = after ?? (await deps.memberLeft.position())
  const audience = await authorizeMemberLeft(deps.prisma, actor, { ...scope, after: start }, deps.memberships)
  const view = memberLeftView(audience)
  return deps.memberLeft.subscribe({
    after: start,
    where: view.where,
    filter: view.decide,
    ...(view.memberUid === null ? {} : { memberUid: view.memberUid }),
  })
}
