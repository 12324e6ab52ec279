import { readFileSync } from 'node:fs'
import { buildSchema, findBreakingChanges } from 'graphql'
import { expect, test } from 'vitest'
import { schema } from '../../src/schema/index.js'

// The contract parts this project implements, copied from the shared contract folder. Each
// part extends the ones before it, so it is read together with them.
const CONTRACT_PARTS = ['groups.graphql', 'chatrooms.graphql', 'webhooks.graphql', 'operations.graphql']

test.each(CONTRACT_PARTS)('the schema implements contract/%s (findBreakingChanges finds nothing)', (part) => {
  const upTo = CONTRACT_PARTS.slice(0, CONTRACT_PARTS.indexOf(part) + 1)
  const contract = buildSchema(upTo.map((p) => readFileSync(new URL(`../../contract/${p}`, import.meta.url), 'utf8')).join('\n'))
  const breaking = findBreakingChanges(contract, schema).map((change) => `${change.type}: ${change.description}`)
  expect(breaking).toEqual([])
})
