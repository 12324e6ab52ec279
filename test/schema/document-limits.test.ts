import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { GraphQLError, Kind, parse, print, type DocumentNode } from 'graphql'
import { createYoga } from 'graphql-yoga'
import { expect, test } from 'vitest'
import { loadConfig } from '../../src/config.js'
import { documentLimitPlugins } from '../../src/limits/document-limits.js'
import { schema } from '../../src/schema/index.js'

// The limits' defaults must leave room for every document this project's tests and the
// contract's operations send: a default that refused them would refuse real clients.

const root = fileURLToPath(new URL('../..', import.meta.url))
const yoga = createYoga({ schema, plugins: documentLimitPlugins(loadConfig({}).documentLimits) })
// Page variables ($first, $membersFirst …) at the default page size, as the tests send them.
const pageVariables = new Proxy({}, { get: () => 20 }) as Record<string, unknown>
const enveloped = yoga.getEnveloped({ params: { query: '', variables: pageVariables } })

const sources = [
  ...readdirSync(`${root}test/documents`).map((file) => `test/documents/${file}`),
  'contract/operations.graphql',
]

test.each(sources)('every operation in %s is within the default limits', (path) => {
  const document = parse(readFileSync(`${root}${path}`, 'utf8'))
  const fragments = document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION)
  const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION)
  for (const operation of operations) {
    // Each operation on its own, with the fragments it may use, as a client sends it.
    const text = print({ kind: Kind.DOCUMENT, definitions: [operation, ...fragments] } as DocumentNode)
    let errors: readonly GraphQLError[]
    try {
      errors = enveloped.validate(enveloped.schema, enveloped.parse(text))
    } catch (error) {
      errors = [error as GraphQLError]
    }
    const overALimit = errors.filter((e) => /limit of \d+ exceeded/.test(e.message)).map((e) => e.message)
    expect(overALimit, `${operation.name?.value ?? 'anonymous'} in ${path}`).toEqual([])
  }
})
