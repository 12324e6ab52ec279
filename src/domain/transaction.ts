import type { MemberLeftEvent, Prisma } from '../generated/prisma/client.js'
import type { DomainDeps } from './deps.js'

export type Tx = Prisma.TransactionClient

/** What an operation did: its result, and the exits it committed (to publish after commit). */
export interface Outcome<T> {
  value: T
  events: MemberLeftEvent[]
  /** Users whose open sessions must end once this commits (deactivation). */
  signedOut?: string[]
}

/**
 * An operation's transaction is rolled back after this long. Every open transaction of the
 * service holds the exit log's read horizon (exits/exit-log.ts), so this also bounds how long
 * one can hold live delivery back.
 */
export const TRANSACTION_TIMEOUT_MS = 15_000

/** One transaction per operation. A DomainError thrown inside rolls everything back. */
export function inTransaction<T>(deps: DomainDeps, work: (tx: Tx) => Promise<Outcome<T>>): Promise<Outcome<T>> {
  return deps.prisma.$transaction(work, { maxWait: 10_000, timeout: TRANSACTION_TIMEOUT_MS })
}
