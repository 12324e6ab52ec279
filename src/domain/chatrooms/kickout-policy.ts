import { InvalidInputError } from '../errors.js'

/** RongCloud's offline kick-out settings of one room. */
export interface KickoutPolicy {
  graceSeconds: number
  messageLimit: number
  realtime: boolean
  realtimeWithinSeconds: number
}

export interface KickoutPolicyInput {
  graceSeconds?: number | null
  messageLimit?: number | null
  realtime?: boolean | null
  realtimeWithinSeconds?: number | null
}

const RANGES = {
  graceSeconds: { min: 1, max: 3600, fallback: 30 },
  messageLimit: { min: 0, max: 10_000, fallback: 30 },
  realtimeWithinSeconds: { min: 1, max: 300, fallback: 300 },
} as const

function inRange(field: keyof typeof RANGES, value: number | null | undefined, prefix: string): number {
  const { min, max, fallback } = RANGES[field]
  if (value == null) return fallback
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidInputError(`${prefix}${field}`, `must be a whole number from ${min} to ${max}`)
  }
  return value
}

/** The policy with defaults filled in; out-of-range values are refused, naming the field. */
export function kickoutPolicy(input: KickoutPolicyInput, prefix = 'input.'): KickoutPolicy {
  return {
    graceSeconds: inRange('graceSeconds', input.graceSeconds, prefix),
    messageLimit: inRange('messageLimit', input.messageLimit, prefix),
    realtime: input.realtime ?? false,
    realtimeWithinSeconds: inRange('realtimeWithinSeconds', input.realtimeWithinSeconds, prefix),
  }
}
