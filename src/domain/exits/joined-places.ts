import { Prisma, type MemberLeftEvent, type PrismaClient } from '../../generated/prisma/client.js'

/**
 * `joined`: the exits of every group and chat room a user is a member of now, and every exit
 * that includes the user itself. "Now" is when the exits are read: a stored read checks the
 * memberships in the same statement (a subquery, never an id list fetched first), a live feed
 * reads them once per page of new exits for all its joined subscribers together.
 */

/** The rule as a condition on "MemberLeftEvent" rows (replay, memberLeftEvents, exitStats). */
export function joinedPlacesSql(uid: string): Prisma.Sql {
  return Prisma.sql`("memberUids" @> ARRAY[${uid}::text]
    OR "groupGuid" IN (SELECT gm."groupGuid" FROM "GroupMember" gm WHERE gm.uid = ${uid}::text)
    OR "chatRoomId" IN (SELECT cm."chatRoomId" FROM "ChatRoomMember" cm WHERE cm.uid = ${uid}::text))`
}

/** Current memberships of some users in the places of some events, as read together. */
export interface PlaceMembers {
  /** Whether `uid` is a member of the event's group or chat room. */
  has(event: Pick<MemberLeftEvent, 'groupGuid' | 'chatRoomId'>, uid: string): boolean
}

export const NO_PLACE_MEMBERS: PlaceMembers = { has: () => false }

const groupKey = (guid: string, uid: string) => `g\u0000${guid}\u0000${uid}`
const roomKey = (id: string, uid: string) => `r\u0000${id}\u0000${uid}`

/** Several reads' memberships as one (a feed that read again for subscribers who came meanwhile). */
export function mergePlaceMembers(a: PlaceMembers, b: PlaceMembers): PlaceMembers {
  if (a === NO_PLACE_MEMBERS) return b
  if (b === NO_PLACE_MEMBERS) return a
  return { has: (event, uid) => a.has(event, uid) || b.has(event, uid) }
}

interface MemberRow {
  kind: 'g' | 'r'
  place: string
  uid: string
}

/**
 * Which of `uids` are members of the places of `events`, in one statement whatever the numbers
 * of events and users (the primary keys (place, uid) answer it); none when the events name no
 * place or there is no user.
 */
export async function readPlaceMembers(
  db: Pick<PrismaClient, '$queryRaw'>,
  events: readonly Pick<MemberLeftEvent, 'groupGuid' | 'chatRoomId'>[],
  uids: readonly string[],
): Promise<PlaceMembers> {
  const guids = [...new Set(events.flatMap((e) => (e.groupGuid === null ? [] : [e.groupGuid])))]
  const rooms = [...new Set(events.flatMap((e) => (e.chatRoomId === null ? [] : [e.chatRoomId])))]
  if (uids.length === 0 || guids.length + rooms.length === 0) return NO_PLACE_MEMBERS
  const users = [...new Set(uids)]
  const rows = await db.$queryRaw<MemberRow[]>`
    SELECT 'g' AS kind, "groupGuid" AS place, uid FROM "GroupMember"
     WHERE "groupGuid" = ANY(${guids}::text[]) AND uid = ANY(${users}::text[])
    UNION ALL
    SELECT 'r', "chatRoomId", uid FROM "ChatRoomMember"
     WHERE "chatRoomId" = ANY(${rooms}::text[]) AND uid = ANY(${users}::text[])`
  const keys = new Set(rows.map((row) => (row.kind === 'g' ? groupKey(row.place, row.uid) : roomKey(row.place, row.uid))))
  return {
    has: (event, uid) =>
      (event.groupGuid !== null && keys.has(groupKey(event.groupGuid, uid))) || (event.chatRoomId !== null && keys.has(roomKey(event.chatRoomId, uid))),
  }
}
