import type { ExitType, Group, GroupAction, LeaveReason, MemberLeftEvent, MemberScope } from '../../generated/prisma/client.js'
import type { Actor } from '../actor.js'
import { OwnerMustTransferError } from '../errors.js'
import { exitLogWrites, exitsAsParam, recordedColumns, recordedEvents, type ExitInput, type RecordedRow } from '../exits/record-exit.js'
import type { Tx } from '../transaction.js'
import { isOperatorScope } from './scopes.js'

export interface DepartingMember {
  uid: string
  scope: MemberScope
}

export interface ExitRequest {
  /** Locked with lockGroup in this transaction. */
  group: Group
  /** Current members, read under the group lock. */
  members: DepartingMember[]
  exitType: ExitType
  reason: LeaveReason | null
  action: Extract<GroupAction, 'LEFT' | 'KICKED' | 'BANNED'>
  operator: Actor
  /** Whether departing ADMINs and MODERATORs get their scope back when they return. */
  keepOperatorStatus: boolean
  /**
   * Only the app admin may remove the owner without a successor (the group is then ownerless
   * until the app admin transfers ownership); every other path must transfer or dissolve first.
   */
  ownerMayLeave: boolean
  now: Date
}

/**
 * The one way members leave a live group: membership rows, one action message per member, the
 * MemberLeftEvent and its webhook deliveries, in one statement of the caller's transaction;
 * returns the group as it leaves it and the event. The ownership rule is checked here, so no
 * operation can remove an owner by a path that forgot about it.
 */
export async function exitMembers(tx: Tx, request: ExitRequest): Promise<{ group: Group; event: MemberLeftEvent }> {
  const { group, members, operator, now } = request
  const uids = members.map((m) => m.uid)
  const ownerLeaves = group.ownerUid !== null && uids.includes(group.ownerUid)
  if (ownerLeaves && !request.ownerMayLeave) throw new OwnerMustTransferError(group.guid)

  const operators = request.keepOperatorStatus ? members.filter((m) => isOperatorScope(m.scope)) : []
  // One statement however many members leave (array parameters; Prisma would split large IN
  // lists and createMany batches). The retained scopes forgotten and the ones kept are disjoint
  // rows, so the two sub-statements never touch the same row. A count that is off rolls the
  // whole statement back with the transaction, the event included.
  // LEFT is done by the member itself; KICKED and BANNED by the operator, on the member.
  const exit: ExitInput = {
    exitType: request.exitType,
    reason: request.reason,
    groupGuid: group.guid,
    memberUids: uids,
    operatorUid: operator.uid,
    operatorSub: operator.sub,
    occurredAt: now,
  }
  const rows = await tx.$queryRawUnsafe<(RecordedRow & { removed: number })[]>(
    `WITH gone AS (
       DELETE FROM "GroupMember" WHERE "groupGuid" = $1 AND uid = ANY($2::text[]) RETURNING uid),
     forgotten AS (
       DELETE FROM "RetainedScope" WHERE "groupGuid" = $1 AND uid = ANY($2::text[]) AND uid <> ALL($3::text[])),
     kept AS (
       INSERT INTO "RetainedScope" ("groupGuid", uid, scope)
       SELECT $1, o.uid, o.scope::"MemberScope" FROM unnest($3::text[], $4::text[]) AS o(uid, scope)
       ON CONFLICT ("groupGuid", uid) DO UPDATE SET scope = EXCLUDED.scope),
     actions AS (
       INSERT INTO "Message" ("groupGuid", kind, "sentAt", action, "actionByUid", "actionOnUid", reason)
       SELECT $1, 'ACTION', $5::timestamptz AT TIME ZONE 'UTC', $6::"GroupAction",
              CASE WHEN $7 THEN m.uid ELSE $8 END, CASE WHEN $7 THEN NULL ELSE m.uid END, $9::"LeaveReason"
         FROM unnest($2::text[]) WITH ORDINALITY AS m(uid, position) ORDER BY m.position),
     ${exitLogWrites(10)}
     SELECT (SELECT count(*) FROM gone)::int AS removed, ${recordedColumns} FROM ev`,
    group.guid,
    uids,
    operators.map((m) => m.uid),
    operators.map((m) => m.scope),
    now.toISOString(),
    request.action,
    request.action === 'LEFT',
    operator.uid,
    request.reason,
    exitsAsParam([exit]),
  )
  const removed = rows[0].removed
  if (removed !== uids.length) {
    throw new Error(`exitMembers: expected to remove ${uids.length} members of ${group.guid}, removed ${removed}`)
  }
  const after = ownerLeaves ? await tx.group.update({ where: { guid: group.guid }, data: { ownerUid: null } }) : group

  const [event] = recordedEvents(rows.map(({ removed: _removed, ...row }) => row))
  return { group: after, event }
}
