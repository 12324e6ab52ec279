import type { Database } from '../../src/db/database.js'
import type { Actor } from '../../src/domain/actor.js'
import type { DomainDeps } from '../../src/domain/deps.js'
import type { Clock } from '../../src/domain/clock.js'
import type { ExitInput } from '../../src/domain/exits/record-exit.js'
import type { MemberScope, OwnerLeavePolicy, GroupType } from '../../src/generated/prisma/enums.js'
import { uniqueId } from './database.js'

export const appAdmin: Actor = { uid: null, sub: 'backend', isAppAdmin: true }

export function userActor(uid: string): Actor {
  return { uid, sub: uid, isAppAdmin: false }
}

/** A clock tests move by hand. */
export function manualClock(start = new Date('2026-01-01T00:00:00Z')): Clock & { advance(ms: number): void } {
  let now = start.getTime()
  return { now: () => new Date(now), advance: (ms) => void (now += ms) }
}

export function domainDeps(db: Database, clock?: Clock): DomainDeps {
  return { prisma: db.prisma, clock: clock ?? { now: () => new Date() } }
}

export async function createUsers(db: Database, count: number, prefix = 'u', nameOf = (uid: string) => `Name of ${uid}`): Promise<string[]> {
  const uids = Array.from({ length: count }, () => uniqueId(prefix))
  await db.prisma.user.createMany({ data: uids.map((uid) => ({ uid, name: nameOf(uid) })) })
  return uids
}

export interface SeededGroup {
  guid: string
  owner: string
  members: Record<string, MemberScope>
}

/**
 * A group with an owner and members of the given scopes, written directly (fast, any size).
 * Joined in the order given, one millisecond apart, owner first.
 */
export async function seedGroup(
  db: Database,
  options: { scopes?: MemberScope[]; policy?: OwnerLeavePolicy; type?: GroupType; nameOf?: (uid: string) => string } = {},
): Promise<SeededGroup & { uids: string[] }> {
  const scopes = options.scopes ?? []
  const [owner, ...uids] = await createUsers(db, scopes.length + 1, 'u', options.nameOf)
  const guid = uniqueId('g')
  await db.prisma.group.create({
    data: { guid, name: `Group ${guid}`, type: options.type ?? 'PUBLIC', ownerLeavePolicy: options.policy ?? 'TRANSFER_REQUIRED', ownerUid: owner },
  })
  const base = Date.now() - 1_000_000
  await db.prisma.groupMember.createMany({
    data: [
      { groupGuid: guid, uid: owner, scope: 'OWNER' as const, joinedAt: new Date(base) },
      ...uids.map((uid, i) => ({ groupGuid: guid, uid, scope: scopes[i], joinedAt: new Date(base + i + 1) })),
    ],
  })
  return { guid, owner, uids, members: Object.fromEntries(uids.map((uid, i) => [uid, scopes[i]])) }
}

/** A member leaving `guid` of its own choice, as recordExit takes it (a fresh member uid). */
export function quitOf(guid: string): ExitInput {
  return { exitType: 'QUIT', reason: 'LEFT_BY_OWN_CHOICE', groupGuid: guid, memberUids: [uniqueId('u')], operatorUid: null, occurredAt: new Date() }
}
