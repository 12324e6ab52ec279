import { Kind, TypeInfo, visit, visitWithTypeInfo, type ASTVisitor, type DocumentNode, type FieldNode, type FragmentDefinitionNode, type GraphQLError, type ValidationContext, type ValueNode } from 'graphql'
import { createLRUCache, type Plugin } from 'graphql-yoga'
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases'
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth'
import { maxDirectivesPlugin } from '@escape.tech/graphql-armor-max-directives'
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens'
import { costLimitRule, type CostLimitOptions } from '@escape.tech/graphql-armor-cost-limit'

export interface DocumentLimits {
  depth: number
  aliases: number
  directives: number
  tokens: number
  cost: number
}

/** Pages of lists (Pothos relay's defaults, the schema's `first` fields): what the cost assumes. */
export const assumedPage = { absent: 20, variable: 100 }

/**
 * GraphQL Armor's plugins for every operation, HTTP and graphql-ws alike (both go through
 * Yoga's envelop): max-tokens replaces the parser, so a long document stops being read at the
 * limit (a parse error); the others are validation rules. A refused document is a top-level error.
 */
export function documentLimitPlugins(limits: DocumentLimits): Plugin[] {
  // Reported as validation errors rather than thrown: Yoga then answers 400 (a thrown one is a
  // 200) and graphql-ws an `error` message, like any invalid document.
  const report = { propagateOnRejection: false, onReject: [(context: ValidationContext | null, error: GraphQLError) => context?.reportError(error)] }
  const costOptions: CostLimitOptions = {
    ...report,
    maxCost: limits.cost,
    objectCost: 1,
    scalarCost: 1,
    // Every field counts once per time it is resolved, however deep: a cost is what a document reads.
    depthCostFactor: 1,
  }
  const costLimit: Plugin = {
    onValidate: ({ addValidationRule, params, context }) => {
      // Yoga's context (and graphql-ws' initial one, see app.ts) carries the request's params.
      const variables = (context as { params?: { variables?: Record<string, unknown> | null } }).params?.variables ?? {}
      addValidationRule(pagedCostRule(costOptions, pagesGivenIn(params.documentAST, variables)))
    },
  }
  return [
    maxTokensPlugin({ n: limits.tokens }),
    maxDepthPlugin({ n: limits.depth, ...report }),
    maxAliasesPlugin({ n: limits.aliases, ...report }),
    maxDirectivesPlugin({ n: limits.directives, ...report }),
    costLimit,
  ] as Plugin[]
}

/** The values of the variables given as `first`/`last`, when they are integers. */
function pagesGivenIn(document: DocumentNode, variables: Record<string, unknown>): Map<string, number> {
  const pages = new Map<string, number>()
  for (const name of pageVariablesOf(document)) {
    const value = variables[name]
    if (Number.isInteger(value)) pages.set(name, value as number)
  }
  return pages
}

// Documents come from Yoga's parse cache: a subscription storm validates one document object
// thousands of times, so it is walked once.
const pageVariables = new WeakMap<DocumentNode, readonly string[]>()

/** The variables given as `first`/`last` anywhere in the document. */
function pageVariablesOf(document: DocumentNode): readonly string[] {
  let names = pageVariables.get(document)
  if (!names) {
    const found = new Set<string>()
    visit(document, {
      Argument(node) {
        if ((node.name.value === 'first' || node.name.value === 'last') && node.value.kind === Kind.VARIABLE) found.add(node.value.name.value)
      },
    })
    names = [...found]
    pageVariables.set(document, names)
  }
  return names
}

/**
 * Armor's cost rule multiplies a field's cost by its `first`/`last` only when that is a
 * literal. This gives the rule a copy of the document in which every `first`/`last` is one:
 * a variable's value, else its literal default, else the largest page (assumedPage.variable);
 * and a list field with a `first` argument but neither given gets the default page.
 */
function pagedCostRule(options: CostLimitOptions, pages: Map<string, number>) {
  const armorRule = costLimitRule(options)
  const rule = (context: ValidationContext): ASTVisitor => {
    const paged = withPages(context, context.getDocument(), pages)
    const fragments = new Map(paged.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]))
    const pagedContext = new Proxy(context, {
      get: (target, prop) => (prop === 'getFragment' ? (name: string) => fragments.get(name) : Reflect.get(target, prop, target)),
    })
    const visitor = armorRule(pagedContext)
    const operations = paged.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION)
    let index = 0
    return { OperationDefinition: () => visitor.onOperationDefinitionEnter(operations[index++]) }
  }
  // Yoga caches validation results by document and by the names of the rules: the same
  // document with other pages must be validated again.
  return Object.defineProperty(rule, 'name', { value: `PagedCost(${JSON.stringify([...pages])})` })
}

function withPages(context: ValidationContext, document: DocumentNode, pages: Map<string, number>): DocumentNode {
  const typeInfo = new TypeInfo(context.getSchema())
  const defaults = new Map<string, ValueNode | undefined>()
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue
    for (const variable of definition.variableDefinitions ?? []) defaults.set(variable.variable.name.value, variable.defaultValue)
  }
  const page = (value: number): ValueNode => ({ kind: Kind.INT, value: String(value) })
  return visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node: FieldNode): FieldNode | undefined {
        const paging = (node.arguments ?? []).filter((a) => a.name.value === 'first' || a.name.value === 'last')
        if (paging.length === 0) {
          const pageable = typeInfo.getFieldDef()?.args.some((a) => a.name === 'first')
          return pageable ? { ...node, arguments: [...(node.arguments ?? []), { kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: 'first' }, value: page(assumedPage.absent) }] } : undefined
        }
        return {
          ...node,
          arguments: node.arguments!.map((argument) => {
            if (argument.value.kind !== Kind.VARIABLE) return argument
            const given = pages.get(argument.value.name.value)
            if (given !== undefined) return { ...argument, value: page(given) }
            const fallback = defaults.get(argument.value.name.value)
            return { ...argument, value: fallback?.kind === Kind.INT ? fallback : page(assumedPage.variable) }
          }),
        }
      },
    }),
  )
}

/**
 * Yoga's parse cache keeps each document's text (and each refused one's) for an hour, 1024 of
 * them: 1 MB documents would hold a gigabyte. Texts longer than maxLength are not kept.
 */
export function shortDocumentCache<T>(maxLength = 16_384) {
  const cache = createLRUCache<T & {}>()
  return {
    get: (key: string) => (key.length > maxLength ? undefined : cache.get(key)),
    set: (key: string, value: T & {}) => {
      if (key.length <= maxLength) cache.set(key, value)
    },
  }
}
