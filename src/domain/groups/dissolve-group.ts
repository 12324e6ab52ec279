import type { Group, LeaveReason } from '../../generated/prisma/client.js'
import type { Actor } from '../actor.js'
import type { ExitInput } from '../exits/record-exit.js'
import type { Tx } from '../transaction.js'

/**
 * Dissolves a locked group: every member exits in one DISSOLVED event, the history is cleared
 * (so no action messages are written), and the group answers ERR_GROUP_NOT_FOUND from then on.
 * Returns the DISSOLVED event to record at the end of the transaction.
 */
export async function dissolveGroup(
  tx: Tx,
  group: Group,
  { operator, reason, now }: { operator: Actor; reason: LeaveReason; now: Date },
): Promise<{ group: Group; exit: ExitInput }> {
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
  const exit: ExitInput = {
    exitType: 'DISSOLVED',
    reason,
    groupGuid: group.guid,
    memberUids: members.map((m) => m.uid),
    operatorUid: operator.uid,
    operatorSub: operator.sub,
    occurredAt: now,
  }
  return { group: dissolved, exit }
}
