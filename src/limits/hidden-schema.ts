import { NoSchemaIntrospectionCustomRule } from 'graphql'
import type { Plugin } from 'graphql-yoga'
import { blockFieldSuggestionsPlugin } from '@escape.tech/graphql-armor-block-field-suggestions'

/**
 * Production without GRAPHQL_INTROSPECTION=true: no `__schema`/`__type` and no "Did you mean …"
 * in validation errors, over HTTP and graphql-ws alike.
 *
 * Not @graphql-yoga/plugin-disable-introspection: it marks the HTTP request in onRequestParse
 * and looks for it in onValidate, so operations over graphql-ws (no request) would still
 * introspect. graphql-js' own rule, added on every validation, covers both transports.
 */
export function hiddenSchemaPlugins(): Plugin[] {
  const noIntrospection: Plugin = {
    onValidate: ({ addValidationRule }) => addValidationRule(NoSchemaIntrospectionCustomRule),
  }
  return [noIntrospection, blockFieldSuggestionsPlugin({ mask: '' }) as Plugin]
}
