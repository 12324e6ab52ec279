import type { Actor } from '../actor.js'
import { UserNotFoundError } from '../errors.js'
import type { Tx } from '../transaction.js'

/** Operations that make the caller a member need the caller to be a user, not only an admin token. */
export async function requireCallerUser(tx: Tx, actor: Actor): Promise<string> {
  if (!actor.uid) throw new UserNotFoundError(actor.sub || '(none)')
  const user = await tx.user.findUnique({ where: { uid: actor.uid }, select: { uid: true, deactivatedAt: true } })
  if (!user || user.deactivatedAt) throw new UserNotFoundError(actor.uid)
  return user.uid
}
