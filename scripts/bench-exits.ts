// npm run bench:exits [-- --leaves 2000 --leaves-c1 500 --warm-up 100 --groups 100 --smoke --only=pglite|postgres]:
// leaveGroup over keep-alive HTTP against the real server (src/main.ts as a child process, seeded
// through the API, each member leaving once with its own token), next to a raw-SQL floor measured
// in the same run: the same exit as five round trips (BEGIN, DELETE the membership, INSERT the
// action message, INSERT the event, COMMIT). PGlite always: the server on a file-backed PGlite, the
// floor on another one in this process (the server holds its own), one caller each. PostgreSQL too
// when BENCH_DATABASE_URL or TEST_DATABASE_URL is set: one throwaway database for the server and
// the floor, dropped afterwards; raw and API alternately at 1, 10 and 50 callers.
// Progress and a table on stderr; one JSON line with every figure on stdout.
import { randomBytes } from 'node:crypto'
import { rm } from 'node:fs/promises'
import type { Agent } from 'node:http'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { PGlite } from '@electric-sql/pglite'
import pg from 'pg'
import { log, logTable, machine, onlyDatabase, positiveInteger } from './bench-cli.js'
import { chunks, percentile, range, round } from './bench-numbers.js'
import { agents, leaveGroup, post, startServer, temporaryFolder, type HttpAnswer, type Server } from './bench-server.js'
import { onThrowawayDatabase } from './on-database-server.js'
import { signToken } from '../src/auth/tokens.js'
import { openDatabase } from '../src/db/database.js'

const usage =
  'usage: npx tsx scripts/bench-exits.ts [--leaves N] [--leaves-c1 N] [--warm-up N] [--groups N] [--smoke] [--only=pglite|postgres]'
/** Concurrent requests while seeding, each on its own connection. */
const SEED_CALLERS = 8
const USERS_PER_REQUEST = 100
/** addMembers takes up to 1,000 uids a call. */
const MEMBERS_PER_CALL = 1000
/**
 * The seeding sends 100 createUser fields a request, all from the app admin: above the default
 * document limits and the admin's mutation rate. The exits measured stay far below both (one
 * leaveGroup per request, one per member), and the limits are checked the same way at any value.
 */
const SEEDING_LIMITS = { MAX_TOKENS: '100000', MAX_ALIASES: '1000', MAX_QUERY_COST: '1000000', RATE_LIMIT_MUTATIONS: '1000000' }
const RAW_POOL_MAX = 10

interface Settings {
  smoke: boolean
  only: 'pglite' | 'postgres' | undefined
  /** Measured leaves at 1 caller and at more. */
  leavesAtOne: number
  leaves: number
  warmUp: number
  /** Groups the API phase's members are spread over (round robin). */
  groups: number
  /** Groups the raw phase's members are spread over. */
  rawGroups: number
  /** Caller counts on PostgreSQL; PGlite is measured at 1 only. */
  callers: number[]
}

function readSettings(): Settings {
  const { values } = parseArgs({
    options: {
      smoke: { type: 'boolean', default: false },
      only: { type: 'string' },
      leaves: { type: 'string' },
      'leaves-c1': { type: 'string' },
      'warm-up': { type: 'string' },
      groups: { type: 'string' },
    },
  })
  const smoke = values.smoke ?? false
  const leaves = positiveInteger('leaves', values.leaves, smoke ? 40 : 2000, usage)
  return {
    smoke,
    only: onlyDatabase(values.only, usage),
    leaves,
    leavesAtOne: positiveInteger('leaves-c1', values['leaves-c1'], smoke ? leaves : Math.min(leaves, 500), usage),
    warmUp: positiveInteger('warm-up', values['warm-up'], smoke ? 10 : 100, usage),
    groups: positiveInteger('groups', values.groups, smoke ? 2 : 100, usage),
    rawGroups: smoke ? 10 : 1000,
    callers: smoke ? [1, 5] : [1, 10, 50],
  }
}

function leavesFor(settings: Settings, callers: number): number {
  return callers === 1 ? settings.leavesAtOne : settings.leaves
}

// ---------------------------------------------------------------------------------------------
// Timing

interface Timing {
  count: number
  seconds: number
  /** Per item, in milliseconds, sorted. */
  latencies: number[]
}

/** Runs `work` on every item, `callers` at a time (each caller takes the next item); times each. */
async function timed<T>(items: readonly T[], callers: number, work: (item: T, caller: number) => Promise<void>): Promise<Timing> {
  const latencies: number[] = []
  let next = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: callers }, async (_, caller) => {
      while (next < items.length) {
        const item = items[next++]
        const begun = performance.now()
        await work(item, caller)
        latencies.push(performance.now() - begun)
      }
    }),
  )
  const seconds = (performance.now() - started) / 1000
  return { count: items.length, seconds, latencies: latencies.sort((a, b) => a - b) }
}

// ---------------------------------------------------------------------------------------------
// Seeding through the API

interface FieldResult {
  __typename?: string
}

/** The answer's data fields, each of which must be `typename`; anything else throws with the exchange. */
function expectPayloads(answer: HttpAnswer, typename: string, query: string): Record<string, FieldResult> {
  let data: Record<string, FieldResult> | null | undefined
  try {
    data = (JSON.parse(answer.body) as { data?: Record<string, FieldResult> | null }).data
  } catch {
    data = undefined
  }
  const bad = !data || answer.status !== 200 || Object.values(data).some((field) => field?.__typename !== typename)
  if (bad) throw new Error(`expected ${typename} from\n${query.slice(0, 2000)}\nbut got HTTP ${answer.status}: ${answer.body.slice(0, 4000)}`)
  return data!
}

interface ApiExit {
  uid: string
  guid: string
  token: string
}

const createUsersDocument = (count: number): string =>
  `mutation CreateUsers(${range(count).map((i) => `$u${i}: CreateUserInput!`).join(', ')}) {\n` +
  range(count)
    .map((i) => `  u${i}: createUser(input: $u${i}) { __typename ... on Error { code message } }`)
    .join('\n') +
  '\n}'

const createGroupDocument = `mutation CreateGroup($input: CreateGroupInput!) {
  createGroup(input: $input) { __typename ... on Error { code message } }
}`

const addMembersDocument = `mutation AddMembers($guid: ID!, $members: [MemberInput!]!) {
  addMembers(guid: $guid, members: $members) { __typename ... on Error { code message } }
}`

/** Runs each task on a seeding connection, SEED_CALLERS at a time. */
async function onSeedConnections<T>(items: readonly T[], work: (item: T, agent: Agent) => Promise<void>): Promise<void> {
  const pool = agents(SEED_CALLERS)
  try {
    await timed(items, SEED_CALLERS, (item, caller) => work(item, pool[caller]))
  } finally {
    for (const agent of pool) agent.destroy()
  }
}

/**
 * Users, PUBLIC groups (each created by its owner) and members, all through the API; returns the
 * members in round-robin order over the groups, each with its own token.
 */
async function seedThroughApi(server: Server, authSecret: string, prefix: string, groups: number, members: number): Promise<ApiExit[]> {
  const admin = await signToken(authSecret, { sub: `${prefix}_admin`, admin: true })
  const owners = range(groups).map((g) => ({ uid: `${prefix}_o${g}`, guid: `${prefix}_g${g}` }))
  const memberUids = range(members).map((i) => `${prefix}_m${i}`)

  const users = [...owners.map((o) => o.uid), ...memberUids]
  await onSeedConnections(chunks(users, USERS_PER_REQUEST), async (batch, agent) => {
    const query = createUsersDocument(batch.length)
    const variables = Object.fromEntries(batch.map((uid, i) => [`u${i}`, { uid, name: `Bench ${uid}` }]))
    expectPayloads(await post(server.url, agent, admin, query, variables), 'CreateUserPayload', query)
  })

  await onSeedConnections(owners, async (owner, agent) => {
    const token = await signToken(authSecret, { sub: owner.uid })
    const input = { guid: owner.guid, name: `Bench group ${owner.guid}`, type: 'PUBLIC' }
    expectPayloads(await post(server.url, agent, token, createGroupDocument, { input }), 'CreateGroupPayload', createGroupDocument)
  })

  const exits = await Promise.all(
    memberUids.map(async (uid, i): Promise<ApiExit> => ({ uid, guid: owners[i % groups].guid, token: await signToken(authSecret, { sub: uid }) })),
  )
  const additions = owners.flatMap((owner) =>
    chunks(
      exits.filter((e) => e.guid === owner.guid).map((e) => e.uid),
      MEMBERS_PER_CALL,
    ).map((uids) => ({ guid: owner.guid, uids })),
  )
  await onSeedConnections(additions, async ({ guid, uids }, agent) => {
    const variables = { guid, members: uids.map((uid) => ({ uid })) }
    expectPayloads(await post(server.url, agent, admin, addMembersDocument, variables), 'AddMembersPayload', addMembersDocument)
  })
  return exits
}

// ---------------------------------------------------------------------------------------------
// Measuring the API

async function leave(server: Server, agent: Agent, exit: ApiExit): Promise<boolean> {
  return (await leaveGroup(server.url, agent, exit.token, exit.guid)).reused
}

/** Warm-up, then the measured leaves, on the same `callers` connections. */
async function measureApi(server: Server, exits: readonly ApiExit[], warmUp: number, callers: number): Promise<Timing> {
  const connections = agents(callers)
  let opened = 0
  const work = async (exit: ApiExit, caller: number) => {
    if (!(await leave(server, connections[caller], exit))) opened++
  }
  try {
    await timed(exits.slice(0, warmUp), callers, work)
    opened = 0
    const serverCpu = await server.cpuSeconds()
    const clientCpu = process.cpuUsage()
    const timing = await timed(exits.slice(warmUp), callers, work)
    const clientUsed = process.cpuUsage(clientCpu)
    const serverUsed = serverCpu === undefined ? undefined : ((await server.cpuSeconds()) ?? serverCpu) - serverCpu
    const share = (seconds: number) => `${((100 * seconds) / timing.seconds).toFixed(0)}%`
    log(
      `  CPU during the measured leaves (100% = one core): server ${serverUsed === undefined ? 'unknown' : share(serverUsed)}, ` +
        `this client ${share((clientUsed.user + clientUsed.system) / 1e6)}`,
    )
    if (opened > 0) log(`  note: ${opened} connections were (re)opened during the measured leaves`)
    return timing
  } finally {
    for (const agent of connections) agent.destroy()
  }
}

// ---------------------------------------------------------------------------------------------
// The raw-SQL floor

interface RawExit {
  uid: string
  guid: string
}

/** One connection's worth of SQL; `run` returns the rows affected. */
interface SqlSession {
  run(sql: string, params?: unknown[]): Promise<number>
  release(): void
}

type SqlConnect = () => Promise<SqlSession>

function pgSessions(pool: pg.Pool): SqlConnect {
  return async () => {
    const client = await pool.connect()
    return {
      run: async (sql, params) => (await client.query(sql, params)).rowCount ?? 0,
      release: () => client.release(),
    }
  }
}

function pgliteSession(db: PGlite): SqlConnect {
  const session: SqlSession = {
    run: async (sql, params) => (await db.query(sql, params)).affectedRows ?? 0,
    release: () => {},
  }
  return () => Promise.resolve(session)
}

const deleteMember = `DELETE FROM "GroupMember" WHERE "groupGuid" = $1 AND uid = $2`
const insertMessage = `INSERT INTO "Message" ("groupGuid", kind, "sentAt", action, "actionByUid", reason)
  VALUES ($1, 'ACTION'::"MessageKind", now(), 'LEFT'::"GroupAction", $2, 'LEFT_BY_OWN_CHOICE'::"LeaveReason")`
const insertEvent = `INSERT INTO "MemberLeftEvent" ("exitType", reason, "groupGuid", "memberUids", "operatorUid", "operatorSub", "occurredAt")
  VALUES ('QUIT'::"ExitType", 'LEFT_BY_OWN_CHOICE'::"LeaveReason", $1, ARRAY[$2::text], $2, $2, now())`

/** The exit as five round trips in one transaction. */
async function rawExit(connect: SqlConnect, exit: RawExit): Promise<void> {
  const session = await connect()
  try {
    await session.run('BEGIN')
    try {
      const deleted = await session.run(deleteMember, [exit.guid, exit.uid])
      if (deleted !== 1) throw new Error(`raw exit: deleting ${exit.uid} from ${exit.guid} removed ${deleted} rows, not 1`)
      await session.run(insertMessage, [exit.guid, exit.uid])
      await session.run(insertEvent, [exit.guid, exit.uid])
      await session.run('COMMIT')
    } catch (error) {
      await session.run('ROLLBACK').catch(() => 0)
      throw error
    }
  } finally {
    session.release()
  }
}

/** Users, groups and memberships by SQL: members in round-robin order over the groups. */
async function seedRaw(connect: SqlConnect, prefix: string, groups: number, members: number): Promise<RawExit[]> {
  const session = await connect()
  try {
    await session.run(`INSERT INTO "User" (uid, name) SELECT $1 || '_m' || i, 'Raw member ' || i FROM generate_series(0, $2::int - 1) AS i`, [prefix, members])
    await session.run(
      `INSERT INTO "Group" (guid, name, type) SELECT $1 || '_g' || g, 'Raw group ' || g, 'PUBLIC'::"GroupType" FROM generate_series(0, $2::int - 1) AS g`,
      [prefix, groups],
    )
    const added = await session.run(
      `INSERT INTO "GroupMember" ("groupGuid", uid) SELECT $1 || '_g' || (i % $3::int), $1 || '_m' || i FROM generate_series(0, $2::int - 1) AS i`,
      [prefix, members, groups],
    )
    if (added !== members) throw new Error(`raw seed: added ${added} members, not ${members}`)
  } finally {
    session.release()
  }
  return range(members).map((i) => ({ uid: `${prefix}_m${i}`, guid: `${prefix}_g${i % groups}` }))
}

async function measureRaw(connect: SqlConnect, exits: readonly RawExit[], warmUp: number, callers: number): Promise<Timing> {
  await timed(exits.slice(0, warmUp), callers, (exit) => rawExit(connect, exit))
  return timed(exits.slice(warmUp), callers, (exit) => rawExit(connect, exit))
}

// ---------------------------------------------------------------------------------------------
// Figures

interface ApiFigures {
  exitsPerSec: number
  p50Ms: number
  p99Ms: number
  n: number
}

interface RawFigures {
  txPerSec: number
  p50Ms: number
  p99Ms: number
  n: number
}

interface PhaseFigures {
  api: ApiFigures
  raw: RawFigures
  /** api / raw throughput; api p99 / raw p99. */
  ratio: { throughput: number; p99: number }
}

/** Keyed c1, c10, …: the number of concurrent callers. */
type DatabaseFigures = Record<string, PhaseFigures>

function figures(api: Timing, raw: Timing): PhaseFigures {
  const apiRate = api.count / api.seconds
  const rawRate = raw.count / raw.seconds
  const apiP99 = percentile(api.latencies, 0.99)
  const rawP99 = percentile(raw.latencies, 0.99)
  return {
    api: { exitsPerSec: round(apiRate, 1), p50Ms: round(percentile(api.latencies, 0.5), 2), p99Ms: round(apiP99, 2), n: api.count },
    raw: { txPerSec: round(rawRate, 1), p50Ms: round(percentile(raw.latencies, 0.5), 2), p99Ms: round(rawP99, 2), n: raw.count },
    ratio: { throughput: round(apiRate / rawRate, 3), p99: round(apiP99 / rawP99, 2) },
  }
}

function describe(kind: string, timing: Timing): string {
  const rate = timing.count / timing.seconds
  return `${kind} ${timing.count} in ${timing.seconds.toFixed(2)} s: ${rate.toFixed(1)}/s, p50 ${percentile(timing.latencies, 0.5).toFixed(2)} ms, p99 ${percentile(timing.latencies, 0.99).toFixed(2)} ms`
}

// ---------------------------------------------------------------------------------------------
// One database: server, seeds, then raw and API alternately at each caller count

interface Target {
  name: 'pglite' | 'postgres'
  callers: number[]
  /** Starts the server on this database. */
  server: (authSecret: string) => Promise<Server>
  /** Where the raw floor runs, ready for seedRaw; closed by the returned function. */
  raw: () => Promise<{ connect: SqlConnect; close: () => Promise<void> }>
}

async function measureTarget(target: Target, settings: Settings): Promise<DatabaseFigures> {
  const authSecret = randomBytes(32).toString('base64url')
  const prefix = `bx${randomBytes(3).toString('hex')}`
  const needed = (callers: number) => settings.warmUp + leavesFor(settings, callers)
  const total = target.callers.reduce((sum, callers) => sum + needed(callers), 0)

  log(`${target.name}: starting the server`)
  let started = performance.now()
  const server = await target.server(authSecret)
  log(`${target.name}: server at ${server.url} after ${((performance.now() - started) / 1000).toFixed(1)} s`)
  const results: DatabaseFigures = {}
  try {
    started = performance.now()
    const apiExits = await seedThroughApi(server, authSecret, prefix, settings.groups, total)
    log(`${target.name}: seeded ${total + settings.groups} users, ${settings.groups} groups, ${total} members through the API in ${((performance.now() - started) / 1000).toFixed(1)} s`)

    const raw = await target.raw()
    try {
      started = performance.now()
      const rawExits = await seedRaw(raw.connect, `${prefix}r`, settings.rawGroups, total)
      log(`${target.name}: seeded ${total} members of ${settings.rawGroups} groups by SQL in ${((performance.now() - started) / 1000).toFixed(1)} s`)

      let offset = 0
      for (const callers of target.callers) {
        const slice = { start: offset, end: offset + needed(callers) }
        offset = slice.end
        const rawTiming = await measureRaw(raw.connect, rawExits.slice(slice.start, slice.end), settings.warmUp, callers)
        log(`${target.name} c=${callers}: ${describe('raw', rawTiming)}`)
        const apiTiming = await measureApi(server, apiExits.slice(slice.start, slice.end), settings.warmUp, callers)
        log(`${target.name} c=${callers}: ${describe('api', apiTiming)}`)
        results[`c${callers}`] = figures(apiTiming, rawTiming)
      }
    } finally {
      await raw.close()
    }
  } catch (error) {
    if (server.stderr()) log(`${target.name}: the server's stderr (last lines):\n${server.stderr()}`)
    throw error
  } finally {
    await server.stop()
  }
  return results
}

/** The server on a file-backed PGlite; the floor on a second one, migrated the same way, in this process. */
async function runPglite(settings: Settings): Promise<DatabaseFigures> {
  const serverDir = await temporaryFolder('bench-exits-')
  const rawDir = await temporaryFolder('bench-exits-')
  try {
    return await measureTarget(
      {
        name: 'pglite',
        callers: [1],
        server: (authSecret) => startServer({ authSecret, dataDir: serverDir, env: SEEDING_LIMITS }),
        raw: async () => {
          const migrated = await openDatabase({ dataDir: rawDir })
          await migrated.migrate()
          await migrated.close()
          const db = new PGlite(join(rawDir, 'pglite'))
          await db.waitReady
          return { connect: pgliteSession(db), close: () => db.close() }
        },
      },
      settings,
    )
  } finally {
    await rm(serverDir, { recursive: true, force: true })
    await rm(rawDir, { recursive: true, force: true })
  }
}

/** A database of its own on the given server, for the API server and the floor; dropped afterwards. */
async function runPostgres(serverUrl: string, settings: Settings): Promise<DatabaseFigures> {
  return onThrowawayDatabase(serverUrl, 'bench_exits', async (url) => {
    const dataDir = await temporaryFolder('bench-exits-')
    try {
      return await measureTarget(
        {
          name: 'postgres',
          callers: settings.callers,
          server: (authSecret) => startServer({ authSecret, dataDir, databaseUrl: url, env: SEEDING_LIMITS }),
          raw: async () => {
            const pool = new pg.Pool({ connectionString: url, max: RAW_POOL_MAX })
            return { connect: pgSessions(pool), close: () => pool.end() }
          },
        },
        settings,
      )
    } finally {
      await rm(dataDir, { recursive: true, force: true })
    }
  })
}

// ---------------------------------------------------------------------------------------------

function logResults(results: Record<string, DatabaseFigures>): void {
  const header = ['database', 'callers', 'api exits/s', 'api p50', 'api p99', 'raw tx/s', 'raw p50', 'raw p99', 'api/raw tput', 'api/raw p99']
  const rows = Object.entries(results).flatMap(([database, phases]) =>
    Object.entries(phases).map(([key, f]) =>
      [database, key.slice(1), f.api.exitsPerSec, f.api.p50Ms, f.api.p99Ms, f.raw.txPerSec, f.raw.p50Ms, f.raw.p99Ms, f.ratio.throughput, f.ratio.p99].map(String),
    ),
  )
  logTable(header, rows)
}

async function main(): Promise<void> {
  const settings = readSettings()
  const serverUrl = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL
  if (settings.only === 'postgres' && !serverUrl) throw new Error('--only=postgres needs BENCH_DATABASE_URL or TEST_DATABASE_URL')

  const results: Record<string, DatabaseFigures> = {}
  if (settings.only !== 'postgres') results.pglite = await runPglite(settings)
  if (settings.only !== 'pglite') {
    if (serverUrl) results.postgres = await runPostgres(serverUrl, settings)
    else log('BENCH_DATABASE_URL and TEST_DATABASE_URL are unset: PGlite only.')
  }

  log(`leaveGroup over keep-alive HTTP vs the same exit as five raw SQL round trips; ms are per exit; warm-up ${settings.warmUp} per phase`)
  logResults(results)
  const line = {
    bench: 'exits',
    date: new Date().toISOString(),
    machine: machine(),
    shape: { smoke: settings.smoke, groups: settings.groups, rawGroups: settings.rawGroups, warmUp: settings.warmUp },
    ...results,
  }
  console.log(JSON.stringify(line))
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
