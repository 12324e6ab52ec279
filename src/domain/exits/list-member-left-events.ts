import type { MemberLeftEvent } from '../../generated/prisma/client.js'
import type { Actor } from '../actor.js'
import type { DomainDeps } from '../deps.js'
import { InvalidInputError } from '../errors.js'
import { EXIT_LOG_START, prismaExitLog } from './exit-log.js'
import { resolveMemberLeftCursor } from './member-left-cursor.js'
import { authorizeMemberLeft, memberLeftView, validateMemberLeftScope } from './member-left-visibility.js'

export const DEFAULT_MEMBER_LEFT_PAGE = 100
export const MAX_MEMBER_LEFT_PAGE = 1000
export const MAX_MEMBER_LEFT_LAST = 100

export interface ListMemberLeftEventsInput {
  guid?: string | null
  chatRoomId?: string | null
  /** The caller's groups and chat rooms (and its own exits); not with guid or chatRoomId. */
  joined?: boolean | null
  /** An event id; without it, from the oldest event. */
  after?: string | null
  first?: number | null
  /** The newest `last` events instead of a page after a cursor; not with after or first. */
  last?: number | null
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
  if (input.last !== null && input.last !== undefined) return listLatestMemberLeftEvents(deps, actor, { ...input, last: input.last })
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

/**
 * The newest visible events, oldest first: where a client that opens on "the latest exits"
 * starts. They are read below the horizon like a page, so subscribing with `after` = the newest
 * id returned misses nothing that a slower writer commits later.
 */
async function listLatestMemberLeftEvents(
  deps: DomainDeps,
  actor: Actor,
  input: ListMemberLeftEventsInput & { last: number },
): Promise<MemberLeftEvent[]> {
  const { last } = input
  if (!Number.isInteger(last) || last < 1 || last > MAX_MEMBER_LEFT_LAST) {
    throw new InvalidInputError('last', `must be between 1 and ${MAX_MEMBER_LEFT_LAST}`)
  }
  const other = input.after !== null && input.after !== undefined ? 'after' : input.first !== null && input.first !== undefined ? 'first' : undefined
  if (other) throw new InvalidInputError('last', `cannot be combined with ${other}: last reads from the newest event back`)
  const log = prismaExitLog(deps.prisma)
  // From the start, as a page without `after` reads: a former member still sees up to its own exit.
  const audience = await authorizeMemberLeft(deps.prisma, actor, { guid: input.guid, chatRoomId: input.chatRoomId, joined: input.joined, after: EXIT_LOG_START })
  const { where } = memberLeftView(audience)
  return log.latest({ below: await log.horizon(), where, take: last })
}
