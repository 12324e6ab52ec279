// Prisma's schema engine compiled to wasm, so migrations apply and diff without the native
// engine binary (which cannot be downloaded everywhere). The package's own entry imports the
// .wasm as an ES module, which Node does not support, so it is instantiated here by hand.
import { readFile, readdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'
import * as engineGlue from '@prisma/schema-engine-wasm/schema_engine_bg'
import type { SchemaEngine, MigrationList } from '@prisma/schema-engine-wasm'
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils'

export const PRISMA_DIR = resolve(fileURLToPath(new URL('../../prisma', import.meta.url)))
export const SCHEMA_PATH = join(PRISMA_DIR, 'schema.prisma')
export const MIGRATIONS_DIR = join(PRISMA_DIR, 'migrations')

let wasmReady: Promise<void> | undefined

function loadWasm(): Promise<void> {
  wasmReady ??= (async () => {
    const gluePath = createRequire(import.meta.url).resolve('@prisma/schema-engine-wasm/schema_engine_bg')
    const bytes = await readFile(gluePath.replace(/\.js$/, '.wasm'))
    // The engine keeps a timer running after each call; unref it so scripts can exit.
    const imports: Record<string, unknown> = { ...engineGlue }
    for (const name of Object.keys(imports)) {
      if (name.startsWith('__wbg_setTimeout')) {
        imports[name] = (fn: () => void, ms: number) => {
          const timer = setTimeout(fn, ms >>> 0)
          timer.unref()
          return timer
        }
      }
    }
    const { instance } = await WebAssembly.instantiate(bytes, { './schema_engine_bg.js': imports } as WebAssembly.Imports)
    const exports = instance.exports as Record<string, unknown> & { __wbindgen_start: () => void }
    ;(engineGlue as unknown as { __wbg_set_wasm: (w: unknown) => void }).__wbg_set_wasm(exports)
    exports.__wbindgen_start()
  })()
  return wasmReady
}

export async function loadMigrationList(dir = MIGRATIONS_DIR): Promise<MigrationList> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => [])
  const directories = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort()
  const lockPath = join(dir, 'migration_lock.toml')
  return {
    baseDir: dir,
    lockfile: { path: 'migration_lock.toml', content: await readFile(lockPath, 'utf8').catch(() => null) },
    shadowDbInitScript: '',
    migrationDirectories: await Promise.all(
      directories.map(async (name) => ({
        path: name,
        migrationFile: {
          path: 'migration.sql',
          content: await readFile(join(dir, name, 'migration.sql'), 'utf8').then(
            (value) => ({ tag: 'ok' as const, value }),
            (error: Error) => ({ tag: 'error' as const, value: error.message }),
          ),
        },
      })),
    ),
  }
}

export async function openSchemaEngine(adapterFactory: SqlMigrationAwareDriverAdapterFactory): Promise<SchemaEngine> {
  await loadWasm()
  const datamodel = await readFile(SCHEMA_PATH, 'utf8')
  const { SchemaEngine: Engine } = engineGlue as unknown as { SchemaEngine: typeof SchemaEngine }
  return Engine.new(
    { datamodels: [[SCHEMA_PATH, datamodel]] },
    () => {},
    bindMigrationAwareSqlAdapterFactory(adapterFactory),
  )
}

const noFilters = { externalTables: [], externalEnums: [] }

/** Applies pending migrations exactly as `prisma migrate deploy` does; returns their names. */
export async function applyMigrations(adapterFactory: SqlMigrationAwareDriverAdapterFactory): Promise<string[]> {
  const engine = await openSchemaEngine(adapterFactory)
  try {
    const { appliedMigrationNames } = await engine.applyMigrations({
      migrationsList: await loadMigrationList(),
      filters: noFilters,
    })
    return appliedMigrationNames
  } finally {
    engine.free()
  }
}

/**
 * The SQL that takes a database built from the migrations folder to what schema.prisma
 * describes; empty when they agree. The factory's shadow database replays the migrations.
 */
export async function diffMigrationsToSchema(adapterFactory: SqlMigrationAwareDriverAdapterFactory): Promise<string> {
  const engine = await openSchemaEngine(adapterFactory)
  try {
    const datamodel = await readFile(SCHEMA_PATH, 'utf8')
    const result = await engine.diff({
      from: { tag: 'migrations', ...(await loadMigrationList()) },
      to: { tag: 'schemaDatamodel', files: [{ path: SCHEMA_PATH, content: datamodel }] },
      script: true,
      exitCode: true,
      filters: noFilters,
    })
    return result.exitCode === 0 ? '' : (result.stdout ?? '')
  } finally {
    engine.free()
  }
}
