// Queries and mutations over HTTP (POST with the bearer token), typed by the generated documents.
import type { TypedDocumentString } from '../generated/graphql.js'

export class ApiError extends Error {
  constructor(
    message: string,
    /** extensions.code of the first GraphQL error (UNAUTHENTICATED, FORBIDDEN, ERR_…), when there is one. */
    readonly code?: string,
  ) {
    super(message)
  }
}

interface GraphQLResponse<T> {
  data?: T | null
  errors?: Array<{ message: string; extensions?: { code?: unknown } }>
}

export interface Api {
  request<TResult, TVariables>(document: TypedDocumentString<TResult, TVariables>, variables: TVariables): Promise<TResult>
}

export function httpApi(endpoint: URL, token: string): Api {
  return {
    async request(document, variables) {
      let response: Response
      try {
        response = await fetch(endpoint, {
          method: 'POST',
          credentials: 'omit',
          cache: 'no-store',
          headers: {
            'Content-Type': 'application/json',
            Accept: 'application/graphql-response+json, application/json',
            Authorization: `Bearer ${token}`,
          },
          body: JSON.stringify({ query: String(document), variables }),
        })
      } catch {
        throw new ApiError('The server cannot be reached.', 'NETWORK')
      }
      let body: GraphQLResponse<never>
      try {
        body = (await response.json()) as GraphQLResponse<never>
      } catch {
        throw new ApiError(`The server answered ${response.status} ${response.statusText} without a GraphQL result.`, 'NETWORK')
      }
      const error = body.errors?.[0]
      if (error) {
        const code = typeof error.extensions?.code === 'string' ? error.extensions.code : undefined
        throw new ApiError(error.message, code)
      }
      if (!body.data) throw new ApiError(`The server answered ${response.status} without data.`)
      return body.data
    },
  }
}
