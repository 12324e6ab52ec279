import { expect } from 'vitest'
import { DomainError, type ErrorCode } from '../../src/domain/errors.js'

/** Awaits an operation that must be refused with the given code; returns the error. */
export async function expectDomainError(operation: Promise<unknown> | (() => unknown), code: ErrorCode): Promise<DomainError> {
  let outcome: unknown
  try {
    outcome = await (typeof operation === 'function' ? operation() : operation)
  } catch (error) {
    if (!(error instanceof DomainError)) throw error
    expect(error.code, error.message).toBe(code)
    return error
  }
  throw new Error(`expected ${code}, but the operation succeeded with ${JSON.stringify(outcome, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}`)
}
