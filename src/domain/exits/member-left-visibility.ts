import { Prisma, type MemberLeftEvent, type PrismaClient } from '../../generated/prisma/client.js'
import type { Actor } from '../actor.js'
import { ChatRoomNotFoundError, GroupNotFoundError, InsufficientScopeError, InvalidInputError, NotAMemberError } from '../errors.js'
import { requireId } from '../validation.js'
import { afterPosition, exitLogOrder, isAfter, positionOf, upToPosition, type ExitLogPosition, type StoredEventFilter } from './exit-log.js'
import { joinedPlacesSql, NO_PLACE_MEMBERS, type PlaceMembers } from './joined-places.js'

/** What a stream does with one event. */
export type MemberLeftDecision = 'deliver' | 'deliver-and-complete' | 'skip'

/** Which exits a caller may follow, as settled by authorizeMemberLeft. */
export type MemberLeftAudience =
  /** The app admin without guid or chatRoomId. */
  | { kind: 'all' }
  /**
   * Every exit of one group or chat room. `leaverUid`: the stream ends with the exit that
   * includes this user (null for the app admin). `until`: a former member sees up to its
   * own exit only.
   */
  | { kind: 'place'; place: Place; leaverUid: string | null; until: ExitLogPosition | null }
  /** A user without guid or chatRoomId: the exits that include itself. */
  | { kind: 'own'; uid: string }
  /**
   * `joined`: the exits of every group and chat room the user is a member of when they are
   * read, and the exits that include itself (joined-places.ts).
   */
  | { kind: 'joined'; uid: string }

/** Where exits happen: a group (by guid) or a chat room (by id). */
export type Place = { groupGuid: string } | { chatRoomId: string }

export interface MemberLeftView {
  /** The same rule as a filter on stored events (replay and memberLeftEvents). */
  where: StoredEventFilter
  /**
   * The rule for one event, for live streams. `members`: the current memberships read for the
   * event's page (only `joined` reads them; without them it sees only the caller's own exits).
   */
  decide(event: MemberLeftEvent, members?: PlaceMembers): MemberLeftDecision
  /** The user whose memberships `decide` reads (`joined`), for the feed to read them in bulk. */
  memberUid: string | null
}

export interface MemberLeftScopeInput {
  guid?: string | null
  chatRoomId?: string | null
  joined?: boolean | null
}

/** Checks the shape of guid/chatRoomId/joined: at most one of them, each id well-formed. */
export function validateMemberLeftScope(input: MemberLeftScopeInput): { guid?: string; chatRoomId?: string; joined: boolean } {
  const guid = input.guid ?? undefined
  const chatRoomId = input.chatRoomId ?? undefined
  const joined = input.joined ?? false
  if (guid !== undefined && chatRoomId !== undefined) {
    throw new InvalidInputError('chatRoomId', 'give either guid or chatRoomId, not both')
  }
  if (joined && (guid !== undefined || chatRoomId !== undefined)) {
    throw new InvalidInputError('joined', `cannot be combined with ${guid !== undefined ? 'guid' : 'chatRoomId'}: joined already names the places`)
  }
  if (guid !== undefined) requireId('guid', guid)
  if (chatRoomId !== undefined) requireId('chatRoomId', chatRoomId)
  return { guid, chatRoomId, joined }
}

/** The audience as a SQL filter and as a per-event decision; both must say the same thing. */
export function memberLeftView(audience: MemberLeftAudience): MemberLeftView {
  switch (audience.kind) {
    case 'all':
      return { where: {}, decide: () => 'deliver', memberUid: null }
    case 'place': {
      const { place, leaverUid, until } = audience
      const inPlace = (event: MemberLeftEvent) =>
        'groupGuid' in place ? event.groupGuid === place.groupGuid : event.chatRoomId === place.chatRoomId
      return {
        where: until === null ? { ...place } : { ...place, ...upToPosition(until) },
        decide: (event) => {
          if (!inPlace(event)) return 'skip'
          if (until !== null && isAfter(positionOf(event), until)) return 'skip'
          if (leaverUid !== null && event.memberUids.includes(leaverUid)) return 'deliver-and-complete'
          return 'deliver'
        },
        memberUid: null,
      }
    }
    case 'own': {
      const { uid } = audience
      return {
        where: { memberUids: { has: uid } },
        decide: (event) => (event.memberUids.includes(uid) ? 'deliver' : 'skip'),
        memberUid: null,
      }
    }
    case 'joined': {
      const { uid } = audience
      return {
        where: joinedPlacesSql(uid),
        decide: (event, members = NO_PLACE_MEMBERS) => (event.memberUids.includes(uid) || members.has(event, uid) ? 'deliver' : 'skip'),
        memberUid: uid,
      }
    }
  }
}

/**
 * The audience as a condition on "MemberLeftEvent" rows, for raw SQL (exitStats counts in one
 * statement). It must say what memberLeftView's `where` says; a test compares the two.
 */
export function memberLeftSqlFilter(audience: MemberLeftAudience): Prisma.Sql {
  switch (audience.kind) {
    case 'all':
      return Prisma.sql`TRUE`
    case 'place': {
      const { place, until } = audience
      const inPlace = 'groupGuid' in place ? Prisma.sql`"groupGuid" = ${place.groupGuid}::text` : Prisma.sql`"chatRoomId" = ${place.chatRoomId}::text`
      if (until === null) return inPlace
      return Prisma.sql`${inPlace} AND ("txid", "id") <= (${until.txid}::bigint, ${until.id}::bigint)`
    }
    case 'own':
      return Prisma.sql`"memberUids" @> ARRAY[${audience.uid}::text]`
    case 'joined':
      return joinedPlacesSql(audience.uid)
  }
}

type Reader = Pick<PrismaClient, 'group' | 'groupMember' | 'chatRoom' | 'chatRoomMember' | 'memberLeftEvent'>

/**
 * Who may follow which exits.
 * - guid or chatRoomId: a current member of the live group or of the room, or the app admin
 *   (any guid or id). A former member resuming from `after` may still read up to and including
 *   the exit in which it left, so a client that was removed while disconnected learns it;
 *   otherwise ERR_NOT_A_MEMBER, or ERR_GROUP_NOT_FOUND / ERR_CHAT_ROOM_NOT_FOUND for an unknown
 *   (or dissolved) group or room.
 * - neither: the app admin gets everything, a user the exits that include itself.
 * - joined: the caller's places and own exits, the app admin's too; memberships are checked
 *   as events are read, so nothing is read here. A caller without a user has no places:
 *   ERR_INVALID_INPUT naming `joined`, rather than an empty stream it could mistake for calm.
 * A caller without a user (an admin token naming no user) must be the app admin.
 *
 * Streams that start "now" must take their start position before calling this: an exit that
 * commits after the membership check then comes later in the exit log and is replayed.
 */
export async function authorizeMemberLeft(
  db: Reader,
  actor: Actor,
  input: MemberLeftScopeInput & { after?: ExitLogPosition },
  memberships: MembershipLookup = membershipLookupOver(db),
): Promise<MemberLeftAudience> {
  const { guid, chatRoomId, joined } = validateMemberLeftScope(input)
  if (!actor.isAppAdmin && !actor.uid) {
    throw new InsufficientScopeError('a caller that is not a user may follow exits only as the app admin')
  }
  if (joined) {
    if (!actor.uid) throw new InvalidInputError('joined', 'the token names no user, so there are no places it has joined')
    return { kind: 'joined', uid: actor.uid }
  }
  const uid = actor.isAppAdmin ? null : actor.uid!
  const place: Place | null = guid !== undefined ? { groupGuid: guid } : chatRoomId !== undefined ? { chatRoomId } : null
  if (place === null) return uid === null ? { kind: 'all' } : { kind: 'own', uid }
  if (uid === null) return { kind: 'place', place, leaverUid: null, until: null }
  const { exists, isMember } = await memberships.membershipIn(place, uid)
  if (isMember) return { kind: 'place', place, leaverUid: uid, until: null }
  if (input.after !== undefined) {
    const ownExit = await db.memberLeftEvent.findFirst({
      where: { ...place, ...afterPosition(input.after), memberUids: { has: uid } },
      orderBy: exitLogOrder,
      select: { id: true, txid: true },
    })
    if (ownExit) return { kind: 'place', place, leaverUid: uid, until: positionOf(ownExit) }
  }
  if (!exists) throw 'groupGuid' in place ? new GroupNotFoundError(place.groupGuid) : new ChatRoomNotFoundError(place.chatRoomId)
  throw new NotAMemberError()
}

/** Whether a place exists (a group not dissolved) and whether a user is a member of it. */
export interface PlaceMembership {
  exists: boolean
  isMember: boolean
}

/** How authorizeMemberLeft learns memberships; a server batches these across connections. */
export interface MembershipLookup {
  membershipIn(place: Place, uid: string): Promise<PlaceMembership>
}

/** One lookup, two reads. */
export function membershipLookupOver(db: Reader): MembershipLookup {
  return { membershipIn: (place, uid) => membershipIn(db, place, uid) }
}

async function membershipIn(db: Reader, place: Place, uid: string): Promise<PlaceMembership> {
  if ('groupGuid' in place) {
    const group = await db.group.findUnique({ where: { guid: place.groupGuid }, select: { dissolvedAt: true } })
    if (!group || group.dissolvedAt) return { exists: false, isMember: false }
    const member = await db.groupMember.findUnique({ where: { groupGuid_uid: { groupGuid: place.groupGuid, uid } }, select: { uid: true } })
    return { exists: true, isMember: member !== null }
  }
  const room = await db.chatRoom.findUnique({ where: { id: place.chatRoomId }, select: { id: true } })
  if (!room) return { exists: false, isMember: false }
  const member = await db.chatRoomMember.findUnique({ where: { chatRoomId_uid: { chatRoomId: place.chatRoomId, uid } }, select: { uid: true } })
  return { exists: true, isMember: member !== null }
}
