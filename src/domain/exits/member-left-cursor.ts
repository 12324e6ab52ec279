import { InvalidInputError } from '../errors.js'
import { EXIT_LOG_START, type ExitLog, type ExitLogPosition } from './exit-log.js'

const MAX_ID = 2n ** 63n - 1n

/** Event ids are cursors, written as decimal strings: "0" (before everything) up to the largest bigint. */
export function parseMemberLeftCursor(value: string | null | undefined, field = 'after'): bigint | undefined {
  if (value === null || value === undefined) return undefined
  if (!/^\d{1,19}$/.test(value)) throw new InvalidInputError(field, 'must be an event id (a decimal number)')
  const id = BigInt(value)
  if (id > MAX_ID) throw new InvalidInputError(field, 'must be an event id (a decimal number)')
  return id
}

/**
 * The position a cursor names: the event with that id (its place in the (txid, id) order),
 * or the start for "0". Event ids have always been the cursors, so a cursor issued before
 * events were ordered by transaction still names the same event and resumes after it.
 */
export async function resolveMemberLeftCursor(
  log: Pick<ExitLog, 'positionOfId'>,
  value: string | null | undefined,
  field = 'after',
): Promise<ExitLogPosition | undefined> {
  const id = parseMemberLeftCursor(value, field)
  if (id === undefined) return undefined
  if (id === 0n) return EXIT_LOG_START
  const position = await log.positionOfId(id)
  if (!position) throw new InvalidInputError(field, 'no event has this id')
  return position
}
