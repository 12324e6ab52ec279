// Preloaded (node --expose-gc --import ./scripts/gc-on-signal.mjs) into the processes whose
// memory a benchmark reads: SIGUSR2 runs full collections, so that RSS is read without garbage
// the collector had not got round to yet (SIGWINCH: one collection, the earlier way of reading
// it, kept to compare with). One collection is not enough after a storm of
// connections: objects that lived through a few scavenges were promoted and died in the old
// generation, interleaved with the live ones, and V8 compacts only some of those pages per
// collection (about 20 MB each), so the old generation stays committed at up to twice what it
// holds until later collections. Collections repeat until it stops shrinking (at most ten).
// With BENCH_HEAP_SNAPSHOT_DIR set, a heap snapshot is written after them (what a subscription
// holds: diff the idle one with the subscribed one); with BENCH_MEMORY_STATS_DIR set, a JSON
// file of process.memoryUsage() and V8's heap spaces after the first collection and after the
// last (files and snapshots are numbered per signal). Nothing in src/ knows about it. Plain JavaScript, since the server under test runs
// without tsx's loader.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8'

const gc = globalThis.gc
const snapshotDir = process.env.BENCH_HEAP_SNAPSHOT_DIR
const statsDir = process.env.BENCH_MEMORY_STATS_DIR
const MAX_COLLECTIONS = 10
const SHRINK_WORTH_ANOTHER = 1024 * 1024
let signals = 0

function memoryStats() {
  return { memoryUsage: process.memoryUsage(), heapSpaces: getHeapSpaceStatistics() }
}

function oldSpaceBytes() {
  return getHeapSpaceStatistics().find((space) => space.space_name === 'old_space')?.space_size ?? 0
}

function writeReports(stats) {
  signals++
  if (statsDir) writeFileSync(join(statsDir, `${process.pid}-${signals}.json`), JSON.stringify(stats))
  if (snapshotDir) {
    const file = writeHeapSnapshot(join(snapshotDir, `${process.pid}-${signals}.heapsnapshot`))
    process.stderr.write(`heap snapshot: ${file}\n`)
  }
}

if (gc) {
  // One collection: how RSS was read before the settled reading (kept to compare with).
  process.on('SIGWINCH', () => {
    gc()
    writeReports({ collections: 1, afterAll: memoryStats() })
  })
  process.on('SIGUSR2', () => {
    gc()
    const afterOne = memoryStats()
    let collections = 1
    let size = oldSpaceBytes()
    while (collections < MAX_COLLECTIONS) {
      gc()
      collections++
      const smaller = oldSpaceBytes()
      if (size - smaller < SHRINK_WORTH_ANOTHER) break
      size = smaller
    }
    writeReports({ collections, afterOne, afterAll: memoryStats() })
  })
}
