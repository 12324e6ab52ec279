// Typed documents over real HTTP and real graphql-ws, for end-to-end tests.
import { print, type ExecutionResult } from 'graphql'
import type { TypedDocumentNode } from '@graphql-typed-document-node/core'
import { createClient, type Client } from 'graphql-ws'
import WebSocket from 'ws'
import type { GqlResult } from './client.js'

export interface Endpoint {
  url: string
  wsUrl: string
}

/** POSTs a typed document; the result works with expectPayload/expectError/expectData. */
export async function request<TData, TVariables extends Record<string, unknown>>(
  endpoint: Endpoint,
  token: string | null,
  document: TypedDocumentNode<TData, TVariables>,
  variables?: TVariables,
): Promise<GqlResult<TData>> {
  const response = await fetch(endpoint.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query: print(document), variables }),
  })
  const body = (await response.json()) as ExecutionResult<TData>
  return { ...body, document: print(document), variables }
}

export interface Subscription<T> {
  /** Every value received so far. */
  received: T[]
  /** Resolves with the next value not yet taken by next(). */
  next(timeoutMs?: number): Promise<T>
  /** Resolves when the server completes the stream (rejects on an error). */
  completed: Promise<void>
  close(): Promise<void>
}

export function connect(endpoint: Endpoint, token: string | null): Client {
  return createClient({
    url: endpoint.wsUrl,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
  })
}

/** Subscribes over a new graphql-ws connection; values are queued for next(). */
export function subscribe<TData, TVariables extends Record<string, unknown>>(
  endpoint: Endpoint,
  token: string | null,
  document: TypedDocumentNode<TData, TVariables>,
  variables?: TVariables,
): Subscription<TData> {
  const client = connect(endpoint, token)
  const received: TData[] = []
  let taken = 0
  const waiters: Array<() => void> = []
  let settle!: { resolve: () => void; reject: (e: unknown) => void }
  const completed = new Promise<void>((resolve, reject) => (settle = { resolve, reject }))
  completed.catch(() => {})
  const unsubscribe = client.subscribe<TData>(
    { query: print(document), variables },
    {
      next: (result) => {
        if (result.errors?.length) settle.reject(new Error(JSON.stringify(result.errors)))
        else received.push(result.data as TData)
        waiters.splice(0).forEach((wake) => wake())
      },
      error: (error) => {
        settle.reject(error instanceof Error ? error : new Error(JSON.stringify(error)))
        waiters.splice(0).forEach((wake) => wake())
      },
      complete: () => {
        settle.resolve()
        waiters.splice(0).forEach((wake) => wake())
      },
    },
  )
  return {
    received,
    completed,
    async next(timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs
      while (taken >= received.length) {
        const remaining = deadline - Date.now()
        if (remaining <= 0) throw new Error(`no subscription value within ${timeoutMs} ms (received ${received.length})`)
        const state = await Promise.race([
          new Promise<'woken'>((wake) => waiters.push(() => wake('woken'))),
          completed.then(() => 'done' as const, (error: unknown) => Promise.reject(error)),
          new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), remaining)),
        ])
        if (state === 'done' && taken >= received.length) throw new Error('the subscription completed')
      }
      return received[taken++]
    },
    async close() {
      unsubscribe()
      await client.dispose()
    },
  }
}
