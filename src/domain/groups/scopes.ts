import type { MemberScope } from '../../generated/prisma/enums.js'
import type { Actor } from '../actor.js'

const RANK: Record<MemberScope, number> = { OWNER: 4, ADMIN: 3, MODERATOR: 2, PARTICIPANT: 1 }
const APP_ADMIN_RANK = 5

/** The caller's authority in a group: its member scope, above everyone for the app admin. */
export function callerRank(actor: Actor, callerScope: MemberScope | null): number {
  if (actor.isAppAdmin) return APP_ADMIN_RANK
  return callerScope ? RANK[callerScope] : 0
}

/** A caller may act on (kick, ban, remove, grant) only scopes strictly below its own. */
export function outranks(rank: number, scope: MemberScope): boolean {
  return rank > RANK[scope]
}

export function isOperatorScope(scope: MemberScope): boolean {
  return scope === 'ADMIN' || scope === 'MODERATOR'
}

export function rankOf(scope: MemberScope): number {
  return RANK[scope]
}

/** Ownership-level acts (transfer, delete) belong to the owner and the app admin. */
export function isOwnerOrAppAdmin(actor: Actor, group: { ownerUid: string | null }): boolean {
  return actor.isAppAdmin || (actor.uid !== null && group.ownerUid === actor.uid)
}
