// The child side of crowd.ts: opens every subscription at once, from a process of its own, as
// a crowd of real clients would reach the server (not interleaved with the server's own turns).
import { rawSubscribe, type RawSubscriber } from './raw-subscriber.js'

interface Start {
  wsUrl: string
  tokens: string[]
  query: string
  variables: Record<string, unknown>
}

let subscribers: RawSubscriber[] = []
process.on('message', async (message: { start?: Start; report?: true; stop?: true }) => {
  if (message.start) {
    const { wsUrl, tokens, query, variables } = message.start
    subscribers = await Promise.all(tokens.map((token) => rawSubscribe(wsUrl, token, query, variables)))
    process.send!({ subscribed: true })
  } else if (message.report) {
    process.send!({ results: subscribers.map((subscriber) => subscriber.results) })
  } else if (message.stop) {
    for (const subscriber of subscribers) subscriber.close()
    process.exit(0)
  }
})
