import { readFileSync } from 'node:fs'
import { buildSchema, findBreakingChanges } from 'graphql'
import { expect, test } from 'vitest'
import { schema } from '../../src/schema/index.js'

// The contract parts this project implements, copied from the shared contract folder.
const CONTRACT_PARTS = ['groups.graphql']

test.each(CONTRACT_PARTS)('the schema implements contract/%s (findBreakingChanges finds nothing)', (part) => {
  const contract = buildSchema(readFileSync(new URL(`../../contract/${part}`, import.meta.url), 'utf8'))
  const breaking = findBreakingChanges(contract, schema).map((change) => `${change.type}: ${change.description}`)
  expect(breaking).toEqual([])
})
