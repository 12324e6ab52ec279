import { describe, expect, test } from 'vitest'
import type { ExitLog } from '../../src/domain/exits/exit-log.js'
import { sharedExitLogReads } from '../../src/events/shared-exit-log-reads.js'

/** An exit log whose horizon reads are settled by the test, one at a time, in order. */
function scriptedLog() {
  const horizonReads: Array<(value: bigint) => void> = []
  let reads = 0
  let positionReads = 0
  const log: ExitLog = {
    horizon: () => new Promise<bigint>((resolve) => horizonReads.push(resolve)),
    read: async () => {
      reads++
      await new Promise((r) => setTimeout(r, 5))
      return []
    },
    positionOfId: async (id) => {
      positionReads++
      return id === 404n ? null : { txid: 7n, id }
    },
  }
  return { log, horizonReads, reads: () => reads, positionReads: () => positionReads }
}

const flush = () => new Promise((r) => setImmediate(r))

describe('sharedExitLogReads', () => {
  test('callers arriving while a horizon is read share the next one, which starts only after it', async () => {
    const scripted = scriptedLog()
    const shared = sharedExitLogReads(scripted.log)
    const first = shared.horizon()
    const later = [shared.horizon(), shared.horizon(), shared.horizon()]
    expect(scripted.horizonReads).toHaveLength(1)

    scripted.horizonReads[0](10n)
    expect(await first).toBe(10n)
    await flush()
    // The three that came during the first read get a horizon read after their calls.
    expect(scripted.horizonReads).toHaveLength(2)
    scripted.horizonReads[1](12n)
    expect(await Promise.all(later)).toEqual([12n, 12n, 12n])

    const alone = shared.horizon()
    expect(scripted.horizonReads).toHaveLength(3)
    scripted.horizonReads[2](13n)
    expect(await alone).toBe(13n)
  })

  test('identical reads in flight together are one read; different ones are not', async () => {
    const scripted = scriptedLog()
    const shared = sharedExitLogReads(scripted.log)
    const options = { after: { txid: 1n, id: 2n }, below: 9n, where: { groupGuid: 'g' }, take: 500 }
    await Promise.all([shared.read(options), shared.read({ ...options }), shared.read({ ...options, where: { groupGuid: 'h' } })])
    expect(scripted.reads()).toBe(2)
    await shared.read(options)
    expect(scripted.reads()).toBe(3)
  })

  test('positions are read once per event; an unknown id is asked again', async () => {
    const scripted = scriptedLog()
    const shared = sharedExitLogReads(scripted.log)
    expect(await Promise.all([shared.positionOfId(5n), shared.positionOfId(5n)])).toEqual([{ txid: 7n, id: 5n }, { txid: 7n, id: 5n }])
    await shared.positionOfId(5n)
    expect(scripted.positionReads()).toBe(1)
    expect(await shared.positionOfId(404n)).toBeNull()
    await flush()
    expect(await shared.positionOfId(404n)).toBeNull()
    expect(scripted.positionReads()).toBe(3)
  })
})
