import type { MemberLeftEvent } from '../../generated/prisma/client.js'
import type { Actor } from '../actor.js'
import type { DomainDeps } from '../deps.js'
import { InvalidInputError } from '../errors.js'
import { EXIT_LOG_START, prismaExitLog } from './exit-log.js'
import { resolveMemberLeftCursor } from './member-left-cursor.js'
import { authorizeMemberLeft, memberLeftView, validateMemberLeftScope } from './member-left-visibility.js'

export const DEFAULT_MEMBER_LEFT_PAGE = 100
export const MAX_MEMBER_LEFT_PAGE = 1000

export interface ListMemberLeftEventsInput {
  guid?: string | null
  chatRoomId?: string | null
  /** The caller's groups and chat rooms (and its own exits); not with guid or chatRoomId. */
  joined?: boolean | null
  /** An event id; without it, from the oldest event. */
  after?: string | null
  first?: number | null
}

/**
 * Catch-up: the visible events after a cursor, in the exit log's order. Only events below the
 * read horizon are returned (see ExitLog), so paging with the last id returned never skips a
 * slower writer's event.
 */
export async function listMemberLeftEvents(
  deps: DomainDeps,
  actor: Actor,
  input: ListMemberLeftEventsInput,
): Promise<MemberLeftEvent[]> {
  const first = input.first ?? DEFAULT_MEMBER_LEFT_PAGE
  if (!Number.isInteger(first) || first < 1 || first > MAX_MEMBER_LEFT_PAGE) {
    throw new InvalidInputError('first', `must be between 1 and ${MAX_MEMBER_LEFT_PAGE}`)
  }
  validateMemberLeftScope(input)
  const log = prismaExitLog(deps.prisma)
  const after = (await resolveMemberLeftCursor(log, input.after)) ?? EXIT_LOG_START
  const audience = await authorizeMemberLeft(deps.prisma, actor, { guid: input.guid, chatRoomId: input.chatRoomId, joined: input.joined, after })
  const { where } = memberLeftView(audience)
  return log.read({ after, below: await log.horizon(), where, take: first })
}
