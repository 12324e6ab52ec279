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

/** One transaction per operation. A DomainError thrown inside rolls everything back. */
export function inTransaction<T>(deps: DomainDeps, work: (tx: Tx) => Promise<Outcome<T>>): Promise<Outcome<T>> {
  return deps.prisma.$transaction(work, { maxWait: 10_000, timeout: 60_000 })
}
