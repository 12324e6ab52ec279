import { InvalidInputError } from '../errors.js'

const MAX_ID = 2n ** 63n - 1n

/** Event ids are cursors, written as decimal strings: "0" (before everything) up to the largest bigint. */
export function parseMemberLeftCursor(value: string | null | undefined, field = 'after'): bigint | undefined {
  if (value === null || value === undefined) return undefined
  if (!/^\d{1,19}$/.test(value)) throw new InvalidInputError(field, 'must be an event id (a decimal number)')
  const id = BigInt(value)
  if (id > MAX_ID) throw new InvalidInputError(field, 'must be an event id (a decimal number)')
  return id
}

export function formatMemberLeftCursor(id: bigint): string {
  return id.toString()
}
