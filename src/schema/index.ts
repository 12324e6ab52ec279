import { lexicographicSortSchema, printSchema } from 'graphql'
import { builder } from './builder.js'
import './error.js'
import './enums.js'
import './user.js'
import './group.js'
import './group-member.js'
import './message.js'
import './member-left-event.js'
import './member-left-subscription.js'
import './member-left-events-query.js'
import './me-query.js'
import './queries/user.js'
import './queries/group.js'
import './queries/groups.js'
import './queries/group-messages.js'
import './mutations/create-user.js'
import './mutations/deactivate-user.js'
import './mutations/create-group.js'
import './mutations/join-group.js'
import './mutations/add-members.js'
import './mutations/transfer-group-ownership.js'
import './mutations/leave-group.js'
import './mutations/remove-members.js'
import './mutations/kick-group-member.js'
import './mutations/ban-group-member.js'
import './mutations/leave-all-groups.js'
import './mutations/delete-group.js'
import './mutations/send-group-message.js'

export const schema = builder.toSchema({ sortSchema: true })

/** The schema as committed in schema.graphql. */
export function printedSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`
}
