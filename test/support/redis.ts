// Redis for tests: the machine's (TEST_REDIS_URL, else REDIS_URL; shared by every run, so each
// test uses a prefix of its own), or a private redis-server child that a test may stop and restart.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { Redis } from 'ioredis'
import { uniqueId } from './database.js'

export const testRedisUrl = process.env.TEST_REDIS_URL || process.env.REDIS_URL || undefined

if (!testRedisUrl) console.log('TEST_REDIS_URL (and REDIS_URL) is unset: the tests of several instances over Redis are skipped.')

/** Fails (never skips) when TEST_REDIS_URL is set but Redis does not answer. */
export async function assertTestRedisReachable(): Promise<void> {
  const redis = new Redis(testRedisUrl!, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
  redis.on('error', () => {})
  try {
    await redis.connect()
    await redis.ping()
  } catch (error) {
    throw new Error(`TEST_REDIS_URL is set but Redis is unreachable: ${(error as Error).message}`)
  } finally {
    redis.disconnect()
  }
}

/** A channel and key prefix no other test uses. */
export function uniqueRedisPrefix(): string {
  return uniqueId('test-departures')
}

export interface PrivateRedis {
  url: string
  stop(): Promise<void>
  /** Starts it again on the same port. */
  restart(): Promise<void>
}

/** A redis-server of the test's own, on a free port, keeping nothing on disk. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort()
  let child: ChildProcess | undefined
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
    const deadline = Date.now() + 10_000
    for (;;) {
      const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
      probe.on('error', () => {})
      try {
        await probe.connect()
        await probe.ping()
        return
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`redis-server did not answer on port ${port}: ${(error as Error).message}`)
        await new Promise((resolve) => setTimeout(resolve, 50))
      } finally {
        probe.disconnect()
      }
    }
  }
  const stop = async () => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    const exited = once(child, 'exit')
    child.kill('SIGKILL')
    await exited
  }
  await start()
  return { url: `redis://127.0.0.1:${port}`, stop, restart: start }
}

async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  return port
}
