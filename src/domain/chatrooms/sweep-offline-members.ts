import type { DomainDeps } from '../deps.js'
import { recordExits } from '../exits/record-exit.js'
import { inTransaction, type Outcome } from '../transaction.js'
import { kickOutLongOffline } from './offline-kickout.js'

// Held by the instance that is sweeping; the others skip their turn instead of queueing.
const SWEEP_LOCK = 0x53574550 // "SWEP"

/**
 * The realtime kick-out: removes, in every realtime room, the members offline for longer than
 * its realtimeWithinSeconds, one OFFLINE_KICKED event per room. Returns whether this call swept
 * (false: another instance held the sweep).
 */
export function sweepOfflineMembers(deps: DomainDeps): Promise<Outcome<{ swept: boolean }>> {
  return inTransaction<{ swept: boolean }>(deps, async (tx) => {
    const [{ locked }] = await tx.$queryRawUnsafe<{ locked: boolean }[]>(`SELECT pg_try_advisory_xact_lock(${SWEEP_LOCK}) AS locked`)
    if (!locked) return { value: { swept: false }, events: [] }
    const exits = await kickOutLongOffline(tx, deps.clock.now())
    return { value: { swept: true }, events: await recordExits(tx, exits) }
  })
}
