import { fork } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import type { RawSubscriber } from './raw-subscriber.js'

/** Many subscribers held by a child process (crowd-process.ts). */
export interface Crowd {
  /** What each subscriber has received so far, in the order of the tokens. */
  results(): Promise<Array<RawSubscriber['results']>>
  close(): Promise<void>
}

/** Connects and subscribes one socket per token, all at once; resolves when every subscribe was sent. */
export async function subscribeCrowd(wsUrl: string, tokens: string[], query: string, variables: Record<string, unknown> = {}): Promise<Crowd> {
  const child = fork(fileURLToPath(new URL('./crowd-process.ts', import.meta.url)), { execArgv: ['--import', 'tsx'] })
  const next = async <T>(): Promise<T> => ((await once(child, 'message')) as [T])[0]
  child.send({ start: { wsUrl, tokens, query, variables } })
  await next<{ subscribed: true }>()
  return {
    results: async () => {
      child.send({ report: true })
      return (await next<{ results: Array<RawSubscriber['results']> }>()).results
    },
    close: async () => {
      const exited = once(child, 'exit')
      child.send({ stop: true })
      await exited
    },
  }
}
