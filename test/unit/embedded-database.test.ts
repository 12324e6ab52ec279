import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { openDatabase } from '../../src/db/database.js'

test('the embedded database keeps its data in DATA_DIR across restarts, creating the folder', async () => {
  const parent = await mkdtemp(join(tmpdir(), 'departures-'))
  const dataDir = join(parent, 'not', 'yet', 'there')
  try {
    const first = await openDatabase({ dataDir })
    const migrations = (await readdir(new URL('../../prisma/migrations', import.meta.url), { withFileTypes: true })).filter((e) => e.isDirectory())
    expect(await first.migrate()).toHaveLength(migrations.length)
    await first.prisma.user.create({ data: { uid: 'kept', name: 'Kept' } })
    await first.close()

    const second = await openDatabase({ dataDir })
    expect(await second.migrate()).toEqual([])
    expect(await second.prisma.user.findUnique({ where: { uid: 'kept' } })).toMatchObject({ name: 'Kept' })
    await second.close()
  } finally {
    await rm(parent, { recursive: true, force: true })
  }
}, 60_000)
