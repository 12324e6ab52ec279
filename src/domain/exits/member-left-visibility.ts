import type { MemberLeftEvent, Prisma, PrismaClient } from '../../generated/prisma/client.js'
import type { Actor } from '../actor.js'
import { GroupNotFoundError, InsufficientScopeError, InvalidInputError, NotAMemberError } from '../errors.js'
import { requireId } from '../validation.js'

/** What a stream does with one event. */
export type MemberLeftDecision = 'deliver' | 'deliver-and-complete' | 'skip'

/** Which exits a caller may follow, as settled by authorizeMemberLeft. */
export type MemberLeftAudience =
  /** The app admin without guid or chatRoomId. */
  | { kind: 'all' }
  /**
   * Every exit of one group. `leaverUid`: the stream ends with the exit that includes this
   * user (null for the app admin). `untilId`: a former member sees up to its own exit only.
   */
  | { kind: 'group'; guid: string; leaverUid: string | null; untilId: bigint | null }
  /** Exits of one chat room; `memberUid` limits them to that user's own (null: app admin). */
  | { kind: 'chatRoom'; chatRoomId: string; memberUid: string | null }
  /** A user without guid or chatRoomId: the exits that include itself. */
  | { kind: 'own'; uid: string }

export interface MemberLeftView {
  /** The same rule as a filter on stored events (replay and memberLeftEvents). */
  where: Prisma.MemberLeftEventWhereInput
  /** The rule for one event, for live streams. */
  decide(event: MemberLeftEvent): MemberLeftDecision
}

export interface MemberLeftScopeInput {
  guid?: string | null
  chatRoomId?: string | null
}

/** Checks the shape of guid/chatRoomId: at most one of them, each a well-formed id. */
export function validateMemberLeftScope(input: MemberLeftScopeInput): { guid?: string; chatRoomId?: string } {
  const guid = input.guid ?? undefined
  const chatRoomId = input.chatRoomId ?? undefined
  if (guid !== undefined && chatRoomId !== undefined) {
    throw new InvalidInputError('chatRoomId', 'give either guid or chatRoomId, not both')
  }
  if (guid !== undefined) requireId('guid', guid)
  if (chatRoomId !== undefined) requireId('chatRoomId', chatRoomId)
  return { guid, chatRoomId }
}

/** The audience as a SQL filter and as a per-event decision; both must say the same thing. */
export function memberLeftView(audience: MemberLeftAudience): MemberLeftView {
  switch (audience.kind) {
    case 'all':
      return { where: {}, decide: () => 'deliver' }
    case 'group': {
      const { guid, leaverUid, untilId } = audience
      return {
        where: untilId === null ? { groupGuid: guid } : { groupGuid: guid, id: { lte: untilId } },
        decide: (event) => {
          if (event.groupGuid !== guid) return 'skip'
          if (untilId !== null && event.id > untilId) return 'skip'
          if (leaverUid !== null && event.memberUids.includes(leaverUid)) return 'deliver-and-complete'
          return 'deliver'
        },
      }
    }
    case 'chatRoom': {
      const { chatRoomId, memberUid } = audience
      return {
        where: memberUid === null ? { chatRoomId } : { chatRoomId, memberUids: { has: memberUid } },
        decide: (event) =>
          event.chatRoomId === chatRoomId && (memberUid === null || event.memberUids.includes(memberUid)) ? 'deliver' : 'skip',
      }
    }
    case 'own': {
      const { uid } = audience
      return {
        where: { memberUids: { has: uid } },
        decide: (event) => (event.memberUids.includes(uid) ? 'deliver' : 'skip'),
      }
    }
  }
}

type Reader = Pick<PrismaClient, 'group' | 'groupMember' | 'memberLeftEvent'>

/**
 * Who may follow which exits.
 * - guid: a current member of the live group, or the app admin (any guid). A former member
 *   resuming from `after` may still read up to and including the exit in which it left, so a
 *   client that was kicked while disconnected learns it; otherwise ERR_NOT_A_MEMBER, or
 *   ERR_GROUP_NOT_FOUND for an unknown or dissolved group.
 * - chatRoomId: the app admin gets every exit of the room, a user only its own.
 * - neither: the app admin gets everything, a user the exits that include itself.
 * A caller without a user (an admin token naming no user) must be the app admin.
 *
 * Streams that start "now" must take their start cursor before calling this: an exit that
 * commits after the membership check then has a larger id and is replayed.
 */
export async function authorizeMemberLeft(
  db: Reader,
  actor: Actor,
  input: MemberLeftScopeInput & { after?: bigint },
): Promise<MemberLeftAudience> {
  const { guid, chatRoomId } = validateMemberLeftScope(input)
  if (!actor.isAppAdmin && !actor.uid) {
    throw new InsufficientScopeError('a caller that is not a user may follow exits only as the app admin')
  }
  const uid = actor.isAppAdmin ? null : actor.uid!
  if (guid !== undefined) {
    if (uid === null) return { kind: 'group', guid, leaverUid: null, untilId: null }
    const group = await db.group.findUnique({ where: { guid }, select: { dissolvedAt: true } })
    if (group && !group.dissolvedAt) {
      const member = await db.groupMember.findUnique({
        where: { groupGuid_uid: { groupGuid: guid, uid } },
        select: { uid: true },
      })
      if (member) return { kind: 'group', guid, leaverUid: uid, untilId: null }
    }
    if (input.after !== undefined) {
      const ownExit = await db.memberLeftEvent.findFirst({
        where: { groupGuid: guid, id: { gt: input.after }, memberUids: { has: uid } },
        orderBy: { id: 'asc' },
        select: { id: true },
      })
      if (ownExit) return { kind: 'group', guid, leaverUid: uid, untilId: ownExit.id }
    }
    if (!group || group.dissolvedAt) throw new GroupNotFoundError(guid)
    throw new NotAMemberError()
  }
  if (chatRoomId !== undefined) return { kind: 'chatRoom', chatRoomId, memberUid: uid }
  return uid === null ? { kind: 'all' } : { kind: 'own', uid }
}
