// npm run fuzz [-- RUNS [SEED]]: the fuzzed-input suite (test/e2e/fuzzed-input.test.ts) with many
// more runs than `npm test` makes, and a new seed each time unless one is given; a failure
// prints the seed and the counterexample, so `npm run fuzz -- RUNS SEED` repeats it.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const [runs = '500', seed = String(Date.now() % 2 ** 31)] = process.argv.slice(2)
console.error(`fuzzing with FUZZ_RUNS=${runs} FUZZ_SEED=${seed}`)
const vitest = fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url))
const result = spawnSync(process.execPath, [vitest, 'run', '--project', 'pglite', 'test/e2e/fuzzed-input.test.ts'], {
  stdio: 'inherit',
  env: { ...process.env, FUZZ_RUNS: runs, FUZZ_SEED: seed },
})
process.exit(result.status ?? 1)
