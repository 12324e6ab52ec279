// Preloaded (node --expose-gc --import ./scripts/gc-on-signal.mjs) into the processes whose
// memory a benchmark reads: SIGUSR2 runs a full collection, so that RSS is read without
// garbage the collector had not got round to yet. With BENCH_HEAP_SNAPSHOT_DIR set, each
// collection is followed by a heap snapshot written there (what a subscription holds: diff
// the idle one with the subscribed one). Nothing in src/ knows about it. Plain JavaScript,
// since the server under test runs without tsx's loader.
import { join } from 'node:path'
import { writeHeapSnapshot } from 'node:v8'

const gc = globalThis.gc
const snapshotDir = process.env.BENCH_HEAP_SNAPSHOT_DIR
let snapshots = 0
if (gc) {
  process.on('SIGUSR2', () => {
    gc()
    if (snapshotDir) {
      const file = writeHeapSnapshot(join(snapshotDir, `${process.pid}-${++snapshots}.heapsnapshot`))
      process.stderr.write(`heap snapshot: ${file}\n`)
    }
  })
}
