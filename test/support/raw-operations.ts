// Documents as strings (hostile or malformed ones that codegen cannot type), over HTTP and graphql-ws.
import type { GraphQLFormattedError } from 'graphql'
import { connect, type Endpoint } from './remote.js'

export interface HttpAnswer {
  status: number
  body: { data?: unknown; errors?: GraphQLFormattedError[] }
  /** The answer's size in bytes. */
  bytes: number
}

export async function postQuery(endpoint: Pick<Endpoint, 'url'>, query: string, token: string | null = null): Promise<HttpAnswer> {
  const response = await fetch(endpoint.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      // The GraphQL-over-HTTP media type: refused documents are 400 (Yoga answers 200 to a plain application/json Accept).
      accept: 'application/graphql-response+json, application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query }),
  })
  const text = await response.text()
  return { status: response.status, body: JSON.parse(text) as HttpAnswer['body'], bytes: Buffer.byteLength(text) }
}

/**
 * One operation over a new graphql-ws connection. `refused` holds the errors of graphql-ws'
 * `error` message (the operation never ran); `results` what `next` messages carried.
 */
export interface WsAnswer {
  refused?: GraphQLFormattedError[]
  results: Array<{ data?: unknown; errors?: readonly GraphQLFormattedError[] }>
}

export async function wsQuery(endpoint: Pick<Endpoint, 'wsUrl'>, query: string, token: string | null = null): Promise<WsAnswer> {
  const client = connect({ url: '', wsUrl: endpoint.wsUrl }, token)
  const answer: WsAnswer = { results: [] }
  try {
    await new Promise<void>((resolve, reject) => {
      client.subscribe(
        { query },
        {
          next: (result) => void answer.results.push(result),
          error: (error) => {
            if (Array.isArray(error)) {
              answer.refused = error as GraphQLFormattedError[]
              resolve()
            } else reject(error instanceof Error ? error : new Error(`graphql-ws: ${JSON.stringify(error)}`))
          },
          complete: resolve,
        },
      )
    })
  } finally {
    await client.dispose()
  }
  return answer
}
