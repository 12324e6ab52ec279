// The raw `ws` floor of `npm run bench:fanout`: a plain WebSocketServer in a process of its own
// that sends one prebuilt text frame to every open socket, and nothing else. A connection gets
// its probe frame at once (`ws://…/?probe=<id>&bytes=<n>`), the floor's "subscribed and live";
// a POST of `{"variables":{"id":…,"bytes":…}}` answers and then broadcasts in the same tick.
// Frames look like our `next` frames for memberLeft, padded to the byte size asked for, so the
// clients handle both alike. Reports its port over IPC.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocketServer } from 'ws'

function frame(id: string, bytes: number): string {
  const head = `{"id":"1","type":"next","payload":{"data":{"memberLeft":{"id":"${id}","pad":"`
  const tail = '"}}}}'
  return head + 'x'.repeat(Math.max(0, bytes - head.length - tail.length)) + tail
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = []
  req.on('data', (chunk: Buffer) => chunks.push(chunk))
  req.on('end', () => {
    const { variables } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { variables: { id: string; bytes: number } }
    const text = frame(variables.id, variables.bytes)
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    for (const socket of sockets.clients) socket.send(text)
  })
})

const sockets = new WebSocketServer({ server, perMessageDeflate: false })
sockets.on('connection', (socket, req) => {
  socket.on('error', () => {})
  const query = new URL(req.url ?? '/', 'http://localhost').searchParams
  const probe = query.get('probe')
  if (probe) socket.send(frame(probe, Number(query.get('bytes') ?? 0)))
})

server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as AddressInfo).port }))
process.on('SIGTERM', () => {
  for (const socket of sockets.clients) socket.terminate()
  server.close(() => process.exit(0))
})
