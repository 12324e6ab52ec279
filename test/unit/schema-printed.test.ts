import { readFileSync } from 'node:fs'
import { expect, test } from 'vitest'
import { printedSchema } from '../../src/schema/index.js'

test('schema.graphql is the printed Pothos schema', () => {
  const committed = readFileSync(new URL('../../schema.graphql', import.meta.url), 'utf8')
  // Compared as booleans first so a mismatch names the fix instead of dumping two schemas.
  expect(committed === printedSchema(), 'schema.graphql is stale: run `npm run schema:print` (then `npm run codegen`)').toBe(true)
})
