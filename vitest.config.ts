import { createRequire } from 'node:module'
import { defineConfig } from 'vitest/config'

// graphql 16 ships CJS (main) and ESM (module). Vite would give our code the ESM build while
// Node loads the CJS one for Pothos and Yoga: two GraphQLSchema/GraphQLError classes, failed
// instanceof checks. Point every import at the build Node uses, as `npm start` does.
const graphqlEntry = createRequire(import.meta.url).resolve('graphql')

// Unit tests run once. Domain and end-to-end tests run on embedded PGlite, and again on
// PostgreSQL when TEST_DATABASE_URL is set (a throwaway database is created per run).
const onDatabase = ['test/domain/**/*.test.ts', 'test/e2e/**/*.test.ts', 'test/schema/**/*.test.ts']

// test/process: the real server as a child process (on an in-memory PGlite of its own), for
// what only a process shows: its stdout, signals and exit code. Run once, like the unit tests.
const projects = [
  { extends: true as const, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
  { extends: true as const, test: { name: 'process', include: ['test/process/**/*.test.ts'] } },
  // test/browser: pages served by the real server, driven in Debian's chromium (test/support/chromium.ts).
  { extends: true as const, test: { name: 'browser', include: ['test/browser/**/*.test.ts'] } },
  { extends: true as const, test: { name: 'pglite', include: onDatabase, env: { DEPARTURES_TEST_DB: 'pglite' } } },
]
if (process.env.TEST_DATABASE_URL) {
  projects.push({
    extends: true as const,
    test: {
      name: 'postgres',
      include: [...onDatabase, 'test/postgres/**/*.test.ts'],
      env: { DEPARTURES_TEST_DB: 'postgres' },
      globalSetup: ['test/support/postgres-global-setup.ts'],
    } as never,
  })
} else {
  console.log('TEST_DATABASE_URL is unset: the PostgreSQL run of the domain and e2e suites is skipped (PGlite only).')
}

export default defineConfig({
  resolve: { alias: [{ find: /^graphql$/, replacement: graphqlEntry }] },
  test: {
    projects,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest's default is one worker fewer than the cores: one on the 2-core CI machine. Most
    // files spend their time waiting (servers, sockets, PostgreSQL), so two overlap well.
    maxWorkers: 2,
    // .ci/run asks for a JSON report to print a plain pass/fail count line.
    reporters: process.env.VITEST_JSON_REPORT ? ['default', ['json', { outputFile: process.env.VITEST_JSON_REPORT }]] : ['default'],
  },
})
