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

/** Display names: 1–100 characters, not only white space. */
export function requireName(field: string, value: string): string {
  const name = value.trim()
  if (name.length < 1 || [...value].length > 100) throw new InvalidInputError(field, 'must be 1–100 characters')
  return name
}

/** Message text: 1–4,000 characters, not only white space. */
export function requireText(field: string, value: string): string {
  if (value.trim().length < 1 || [...value].length > 4000) throw new InvalidInputError(field, 'must be 1–4,000 characters')
  return value
}
