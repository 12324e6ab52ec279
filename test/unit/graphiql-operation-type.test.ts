import { expect, test } from 'vitest'
import { operationTypeInText } from '../../src/graphiql/operation-type.js'

test('the operation type is read from the text: shorthand, named, and the README’s subscription', () => {
  expect(operationTypeInText('{ me { uid } }')).toBe('query')
  expect(operationTypeInText('mutation { leaveGroup(guid: "book-club") { __typename } }')).toBe('mutation')
  expect(
    operationTypeInText('subscription { memberLeft(guid: "book-club") { id exitType reason members { uid name } operator { uid } occurredAt } }'),
  ).toBe('subscription')
  expect(operationTypeInText('subscription Watch($guid: ID!) @live { memberLeft(guid: $guid) { id } }')).toBe('subscription')
})

test('with several operations, operationName chooses; without it, the first one counts', () => {
  const text = 'query Me { me { uid } }\nsubscription Exits { memberLeft { id } }\nmutation Leave { leaveGroup(guid: "g") { __typename } }'
  expect(operationTypeInText(text, 'Exits')).toBe('subscription')
  expect(operationTypeInText(text, 'Leave')).toBe('mutation')
  expect(operationTypeInText(text)).toBe('query')
  expect(operationTypeInText(text, 'Missing')).toBeUndefined()
})

test('comments, strings, block strings, fragments and object defaults do not mislead it', () => {
  expect(operationTypeInText('# subscription { memberLeft { id } }\nmutation { x }')).toBe('mutation')
  expect(operationTypeInText('fragment F on Subscription { memberLeft { id } }\nsubscription S { ...F }')).toBe('subscription')
  expect(operationTypeInText('query Q($f: Filter = { kind: "subscription {" }) { a }\nsubscription S { b }')).toBe('query')
  expect(operationTypeInText('mutation { send(text: "} subscription { x") { id } }\nsubscription S { b }', 'S')).toBe('subscription')
  expect(operationTypeInText('mutation M { send(text: """ a \\""" } subscription { """) { id } }')).toBe('mutation')
  expect(operationTypeInText('')).toBeUndefined()
  expect(operationTypeInText('# only a comment')).toBeUndefined()
})

test('its source text runs on its own, as the GraphiQL page runs it', () => {
  const standalone = new Function(`return (${operationTypeInText.toString()})`)() as typeof operationTypeInText
  expect(standalone('subscription { memberLeft { id } }')).toBe('subscription')
})
