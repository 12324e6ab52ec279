// `npm start` exactly as the README gives it: the prestart build (scripts/build.mjs), then the
// compiled server. Everything else in the suite runs the TypeScript directly, so only this
// file would notice a build that leaves something out or a path that only holds in src/.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { describe, expect, test } from 'vitest'
import { onThrowawayDatabase } from '../../scripts/on-database-server.js'
import { listeningUrlIn } from '../../scripts/server-output.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const postgresServerUrl = process.env.TEST_DATABASE_URL

interface Started {
  url: URL
  stdout: string
  stop(): Promise<number | null>
}

async function npmStart(env: Record<string, string>): Promise<Started> {
  const child: ChildProcess = spawn('npm', ['start'], {
    cwd: root,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', AUTH_SECRET: 'npm-start-test-secret-0123456789abcdef', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const exited = once(child, 'exit') as Promise<[number | null]>
  const url = await new Promise<URL>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not listen within 60 s:\n${stdout}\n${stderr}`)), 60_000)
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const found = listeningUrlIn(line)
      if (found) {
        clearTimeout(timer)
        resolve(found)
      }
    })
    void exited.then(([code]) => {
      clearTimeout(timer)
      reject(new Error(`npm start exited with code ${code} before it listened:\n${stdout}\n${stderr}`))
    })
  })
  return {
    url,
    get stdout() {
      return stdout
    },
    // SIGTERM to the server behind npm (and sh); npm exits with the server's code.
    stop: async () => {
      process.kill(await deepestDescendant(child.pid!), 'SIGTERM')
      const [code] = await exited
      return code
    },
  }
}

async function deepestDescendant(pid: number): Promise<number> {
  const children = (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8')).trim().split(/\s+/).filter(Boolean)
  return children.length === 0 ? pid : deepestDescendant(Number(children[0]))
}

/** The migrations the server logged as applied (a JSON line `{"msg":"applied migrations","migrations":[…]}`). */
function appliedMigrations(stdout: string): string[] {
  const entries = stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { msg?: string; migrations?: string[] })
  return entries.find((entry) => entry.msg === 'applied migrations')?.migrations ?? []
}

async function typename(url: URL): Promise<unknown> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ __typename }' }),
  })
  return response.json()
}

async function graphiqlPage(url: URL): Promise<string> {
  const response = await fetch(url, { headers: { accept: 'text/html' } })
  expect(response.headers.get('content-type')).toMatch(/^text\/html/)
  return response.text()
}

describe('npm start', () => {
  test('builds and runs the server on an embedded database: migrations, GraphQL, GraphiQL, the dashboard, a clean stop', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'departures-npm-start-'))
    try {
      const server = await npmStart({ DATA_DIR: dataDir, DATABASE_URL: '' })
      expect(appliedMigrations(server.stdout)).not.toEqual([])
      expect(await typename(server.url)).toEqual({ data: { __typename: 'Query' } })
      const page = await graphiqlPage(server.url)
      expect(page).toContain('YogaGraphiQL.renderYogaGraphiQL')
      expect(page).toContain('fetcher: globalThis.departuresGraphiQLFetcher')
      // The dashboard is bundled from src/dashboard/browser by the server running from build/.
      const dashboard = await fetch(new URL('/dashboard', server.url))
      expect(dashboard.status).toBe(200)
      expect(await dashboard.text()).toContain('<script type="module" src="/dashboard/app.js"></script>')
      const script = await fetch(new URL('/dashboard/app.js', server.url))
      expect([script.status, script.headers.get('content-type')]).toEqual([200, 'text/javascript; charset=utf-8'])
      expect((await script.text()).length).toBeGreaterThan(10_000)
      expect(await server.stop()).toBe(0)
    } finally {
      await rm(dataDir, { recursive: true, force: true })
    }
  }, 120_000)

  describe.runIf(postgresServerUrl)('on PostgreSQL', () => {
    test('applies the migrations to a new database (in a child process) and answers', async () => {
      await onThrowawayDatabase(postgresServerUrl!, 'departures_start', async (databaseUrl) => {
        const server = await npmStart({ DATA_DIR: 'memory', DATABASE_URL: databaseUrl })
        expect(appliedMigrations(server.stdout)).not.toEqual([])
        expect(await typename(server.url)).toEqual({ data: { __typename: 'Query' } })
        expect(await server.stop()).toBe(0)
      })
    }, 120_000)
  })
  if (!postgresServerUrl) console.log('TEST_DATABASE_URL is unset: npm start on PostgreSQL is not tested.')
})
