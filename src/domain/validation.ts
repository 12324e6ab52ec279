import { InvalidInputError } from './errors.js'

const ID_PATTERN = /^[A-Za-z0-9_-]{1,100}$/

/** uid, guid and other application ids: 1–100 of A–Z a–z 0–9 _ -. */
export function requireId(field: string, value: string): string {
  if (!ID_PATTERN.test(value)) throw new InvalidInputError(field, 'must be 1–100 characters of A–Z, a–z, 0–9, _ or -')
  return value
}

export function requireIds(field: string, values: readonly string[], limits: { min: number; max: number }): string[] {
  if (values.length < limits.min || values.length > limits.max) {
    throw new InvalidInputError(field, `must list ${limits.min} to ${limits.max} ids, got ${values.length}`)
  }
  values.forEach((value, i) => requireId(`${field}[${i}]`, value))
  const seen = new Set<string>()
  for (const value of values) {
    if (seen.has(value)) throw new InvalidInputError(field, `lists ${value} twice`)
    seen.add(value)
  }
  return [...values]
}

// In unicode mode a well-formed pair is one code point, so this matches only lone surrogates.
const LONE_SURROGATE = /\p{Surrogate}/u

/**
 * Text that PostgreSQL stores exactly as given: it refuses NUL (U+0000) outright, and a lone
 * UTF-16 surrogate would reach it as U+FFFD. Either is refused here, naming the field, rather
 * than failing in the database or being stored changed.
 */
export function requireStorable(field: string, value: string): string {
  const problem = unstorableText(value)
  if (problem) throw new InvalidInputError(field, problem)
  return value
}

/** Why PostgreSQL cannot store this text faithfully, or undefined when it can. */
export function unstorableText(value: string): string | undefined {
  if (value.includes('\u0000')) return 'must not contain the NUL character (U+0000)'
  if (LONE_SURROGATE.test(value)) return 'must be well-formed Unicode: it holds a lone UTF-16 surrogate'
  return undefined
}

/** Display names: 1–100 characters, not only white space. */
export function requireName(field: string, value: string): string {
  requireStorable(field, value)
  const name = value.trim()
  if (name.length < 1 || [...value].length > 100) throw new InvalidInputError(field, 'must be 1–100 characters')
  return name
}

/** Message text: 1–4,000 characters, not only white space. */
export function requireText(field: string, value: string): string {
  requireStorable(field, value)
  if (value.trim().length < 1 || [...value].length > 4000) throw new InvalidInputError(field, 'must be 1–4,000 characters')
  return value
}
