// GraphiQL's page needs to know whether to send an operation over graphql-ws or HTTP before
// GraphiQL has parsed the editor's text (its documentAST lags a paste by up to a second and a
// half). This reads the kind of the chosen operation from the text itself.
//
// It runs in the browser as its own source text (see offline-graphiql.ts): it must stay one
// self-contained function, without imports or helpers outside it, and without named inner
// functions (tsx would wrap them in its __name helper).

/**
 * 'query', 'mutation' or 'subscription': the type of the operation named `operationName`, or of
 * the first operation when no name is given; undefined when there is no such operation.
 * Comments, strings and block strings are skipped; only top-level definitions are read.
 */
export function operationTypeInText(text: string, operationName?: string | null): string | undefined {
  const operations: { type: string; name?: string }[] = []
  let depth = 0
  /** Parentheses at the top level: variable definitions, whose defaults may hold `{…}` objects. */
  let parens = 0
  let i = 0
  /** The top-level definition being read: its keyword, then whether its name is still to come. */
  let pending: { type: string; name?: string; named: boolean } | undefined
  while (i < text.length) {
    const c = text[i]!
    if (c === '#') {
      while (i < text.length && text[i] !== '\n' && text[i] !== '\r') i++
      continue
    }
    if (c === '"') {
      if (text.startsWith('"""', i)) {
        i += 3
        while (i < text.length && !text.startsWith('"""', i)) i += text.startsWith('\\"""', i) ? 4 : 1
        i += 3
      } else {
        i++
        while (i < text.length && text[i] !== '"' && text[i] !== '\n') i += text[i] === '\\' ? 2 : 1
        i++
      }
      continue
    }
    if (depth === 0 && (c === '(' || c === ')')) {
      parens = Math.max(0, parens + (c === '(' ? 1 : -1))
      if (pending) pending.named = true
      i++
      continue
    }
    if (depth === 0 && parens > 0) {
      i++
      continue
    }
    if (c === '{') {
      if (depth === 0) {
        if (pending) {
          if (pending.type !== 'fragment') operations.push({ type: pending.type, name: pending.name })
          pending = undefined
        } else {
          operations.push({ type: 'query' })
        }
      }
      depth++
      i++
      continue
    }
    if (c === '}') {
      depth = Math.max(0, depth - 1)
      i++
      continue
    }
    if (depth === 0 && /[A-Za-z_]/.test(c)) {
      let end = i + 1
      while (end < text.length && /[A-Za-z0-9_]/.test(text[end]!)) end++
      const word = text.slice(i, end)
      if (!pending && (word === 'query' || word === 'mutation' || word === 'subscription' || word === 'fragment')) {
        pending = { type: word, named: false }
      } else if (pending && !pending.named) {
        pending.named = true
        pending.name = word
      }
      i = end
      continue
    }
    if (depth === 0 && pending && c === '@') pending.named = true
    i++
  }
  const chosen = operationName ? operations.find((operation) => operation.name === operationName) : operations[0]
  return chosen?.type
}
