import DataLoader from 'dataloader'
import type { PrismaClient, User } from '../generated/prisma/client.js'
import type { MembershipLookup, Place, PlaceMembership } from '../domain/exits/member-left-visibility.js'

/** Keys gathered in one turn of the event loop are read together, up to this many. */
const maxBatch = 1_000

/**
 * The reads every new connection and subscription makes (its user row, its membership of the
 * place it follows), batched across callers, group-commit style: a batch is read at the end
 * of the event loop's turn (setImmediate, so every socket the poll phase read is in), or, while
 * the previous batch of its kind is still being read, as soon as that one is done. Under a
 * storm the batches grow with the load instead of the statements. Nothing is cached: each
 * lookup reads the database as of its batch.
 */
export class TurnBatchedLookups implements MembershipLookup {
  private readonly users: DataLoader<string, User | null>
  private readonly memberships: DataLoader<string, PlaceMembership>

  /**
   * `spacingMs`: batches of one kind start at least this far apart. Under a steady stream of
   * arrivals (clients connecting one after another rather than in one turn) batches would
   * otherwise stay at one or two; waiting lets each gather more, at the cost of that much
   * latency while the stream lasts. For WebSocket connects, not for HTTP requests.
   */
  constructor(prisma: PrismaClient, { spacingMs = 0 }: { spacingMs?: number } = {}) {
    this.users = groupCommitLoader(spacingMs, async (uids) => {
      const rows = await prisma.user.findMany({ where: { uid: { in: [...uids] } } })
      const byUid = new Map(rows.map((row) => [row.uid, row]))
      return uids.map((uid) => byUid.get(uid) ?? null)
    })
    this.memberships = groupCommitLoader(spacingMs, (keys) => readMemberships(prisma, keys.map(parseKey)))
  }

  user(uid: string): Promise<User | null> {
    return this.users.load(uid)
  }

  membershipIn(place: Place, uid: string): Promise<PlaceMembership> {
    return this.memberships.load(JSON.stringify('groupGuid' in place ? ['g', place.groupGuid, uid] : ['r', place.chatRoomId, uid]))
  }
}

function groupCommitLoader<V>(spacingMs: number, read: (keys: readonly string[]) => Promise<V[]>): DataLoader<string, V> {
  let reading = 0
  let lastStarted = -Infinity
  let waiting: Array<() => void> = []
  const tracked = async (keys: readonly string[]) => {
    reading++
    lastStarted = performance.now()
    try {
      return await read(keys)
    } finally {
      if (--reading === 0) for (const run of waiting.splice(0)) afterSpacing(run)
    }
  }
  const afterSpacing = (run: () => void) => {
    const wait = lastStarted + spacingMs - performance.now()
    if (wait > 0) setTimeout(run, wait)
    else setImmediate(run)
  }
  const schedule = (run: () => void) => (reading === 0 ? afterSpacing(run) : waiting.push(run))
  return new DataLoader(tracked, { cache: false, maxBatchSize: maxBatch, batchScheduleFn: schedule })
}

interface MembershipKey {
  kind: 'g' | 'r'
  placeId: string
  uid: string
}

function parseKey(key: string): MembershipKey {
  const [kind, placeId, uid] = JSON.parse(key) as ['g' | 'r', string, string]
  return { kind, placeId, uid }
}

/**
 * Places and members by `IN` lists: what the pairs ask for and possibly more (the product of
 * the lists), which is few rows when, as in a reconnect storm, many users ask about few places.
 */
async function readMemberships(prisma: PrismaClient, keys: MembershipKey[]): Promise<PlaceMembership[]> {
  const idsOf = (kind: 'g' | 'r') => {
    const asked = keys.filter((key) => key.kind === kind)
    return { places: [...new Set(asked.map((key) => key.placeId))], uids: [...new Set(asked.map((key) => key.uid))] }
  }
  const groups = idsOf('g')
  const rooms = idsOf('r')
  const [liveGroups, groupMembers, liveRooms, roomMembers] = await Promise.all([
    groups.places.length === 0 ? [] : prisma.group.findMany({ where: { guid: { in: groups.places }, dissolvedAt: null }, select: { guid: true } }),
    groups.places.length === 0
      ? []
      : prisma.groupMember.findMany({ where: { groupGuid: { in: groups.places }, uid: { in: groups.uids } }, select: { groupGuid: true, uid: true } }),
    rooms.places.length === 0 ? [] : prisma.chatRoom.findMany({ where: { id: { in: rooms.places } }, select: { id: true } }),
    rooms.places.length === 0
      ? []
      : prisma.chatRoomMember.findMany({ where: { chatRoomId: { in: rooms.places }, uid: { in: rooms.uids } }, select: { chatRoomId: true, uid: true } }),
  ])
  const existing = new Set([...liveGroups.map((group) => `g ${group.guid}`), ...liveRooms.map((room) => `r ${room.id}`)])
  const members = new Set([
    ...groupMembers.map((member) => JSON.stringify(['g', member.groupGuid, member.uid])),
    ...roomMembers.map((member) => JSON.stringify(['r', member.chatRoomId, member.uid])),
  ])
  return keys.map((key) => {
    const exists = existing.has(`${key.kind} ${key.placeId}`)
    return { exists, isMember: exists && members.has(JSON.stringify([key.kind, key.placeId, key.uid])) }
  })
}
