import { expect, test } from 'vitest'
import { boundedStatementNames } from '../../src/db/database.js'

test('a statement text keeps one name, and texts past the limit run unnamed', () => {
  const nameOf = boundedStatementNames(2)
  const first = nameOf({ sql: 'SELECT 1' })
  expect(first).toMatch(/^d_/)
  expect(nameOf({ sql: 'SELECT 1' })).toBe(first)
  expect(nameOf({ sql: 'SELECT 2' })).not.toBe(first)
  expect(nameOf({ sql: 'SELECT 3' })).toBeUndefined()
  expect(nameOf({ sql: 'SELECT 1' })).toBe(first)
})
