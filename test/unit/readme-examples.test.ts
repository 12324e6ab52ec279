import { readFileSync } from 'node:fs'
import { parse, validate } from 'graphql'
import { expect, test } from 'vitest'
import { schema } from '../../src/schema/index.js'

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')

/** The GraphQL a reader would paste: ```graphql blocks and inline `query|mutation|subscription {…}`. */
function examples(): string[] {
  const blocks = [...readme.matchAll(/```graphql\n([\s\S]*?)```/g)].map((m) => m[1])
  const inline = [...readme.matchAll(/`((?:query|mutation|subscription) \{[^`]*\})`/g)].map((m) => m[1])
  return [...blocks, ...inline]
}

test('the README has GraphQL examples for the walkthrough', () => {
  expect(examples().length).toBeGreaterThanOrEqual(6)
})

test.each(examples())('README example is valid against the schema: %s', (source) => {
  const errors = validate(schema, parse(source)).map((e) => e.message)
  expect(errors).toEqual([])
})
