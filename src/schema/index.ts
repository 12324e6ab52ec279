import { lexicographicSortSchema, printSchema } from 'graphql'
import { builder } from './builder.js'
import './error.js'
import './enums.js'
import './user.js'
import './group.js'
import './group-member.js'
import './message.js'
import './member-left-event.js'
import './me-query.js'

export const schema = builder.toSchema({ sortSchema: true })

/** The schema as committed in schema.graphql. */
export function printedSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`
}
