import type { Group, LeaveReason, MemberLeftEvent } from '../../generated/prisma/client.js'
import type { Actor } from '../actor.js'
import { recordExit } from '../exits/record-exit.js'
import type { Tx } from '../transaction.js'

/**
 * Dissolves a locked group: every member exits in one DISSOLVED event, the history is cleared
 * (so no action messages are written), and the group answers ERR_GROUP_NOT_FOUND from then on.
 * Returns the group and the DISSOLVED event.
 */
export async function dissolveGroup(
  tx: Tx,
  group: Group,
  { operator, reason, now }: { operator: Actor; reason: LeaveReason; now: Date },
): Promise<{ group: Group; event: MemberLeftEvent }> {
  const members = await tx.groupMember.findMany({
    where: { groupGuid: group.guid },
    select: { uid: true },
    orderBy: [{ joinedAt: 'asc' }, { uid: 'asc' }],
  })
  await tx.groupMember.deleteMany({ where: { groupGuid: group.guid } })
  await tx.message.deleteMany({ where: { groupGuid: group.guid } })
  await tx.retainedScope.deleteMany({ where: { groupGuid: group.guid } })
  const dissolved = await tx.group.update({
    where: { guid: group.guid },
    data: { dissolvedAt: now, ownerUid: null },
  })
  const event = await recordExit(tx, {
    exitType: 'DISSOLVED',
    reason,
    groupGuid: group.guid,
    memberUids: members.map((m) => m.uid),
    operatorUid: operator.uid,
    operatorSub: operator.sub,
    occurredAt: now,
  })
  return { group: dissolved, event }
}
