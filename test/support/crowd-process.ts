// The child side of crowd.ts: a crowd of clients reconnecting together, from a process of its
// own (not interleaved with the server's own turns): every socket is opened, then every
// connection_init is sent at once, then every subscribe.
import { rawConnect, type RawSubscriber } from './raw-subscriber.js'

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
    const connections = await Promise.all(tokens.map(() => rawConnect(wsUrl)))
    await Promise.all(connections.map((connection, i) => connection.init(tokens[i])))
    subscribers = connections.map((connection) => connection.subscribe(query, variables))
    process.send!({ subscribed: true })
  } else if (message.report) {
    process.send!({ results: subscribers.map((subscriber) => subscriber.results) })
  } else if (message.stop) {
    // Closed as clients do, so the server sees each close rather than a dead peer.
    await Promise.all(subscribers.map((subscriber) => subscriber.leave()))
    process.exit(0)
  }
})
