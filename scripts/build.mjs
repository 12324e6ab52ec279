// npm start runs the server as JavaScript compiled from src/ into build/ (same layout, so paths
// relative to a module, like ../../prisma, still hold). Running the TypeScript through tsx's
// loader instead would cost the server some 110 MiB of RSS for as long as it runs: a second
// isolate for the loader's hooks and the transformed sources it keeps. esbuild takes well
// under a second for the whole of src/, so every start rebuilds.
import { rm } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = fileURLToPath(new URL('..', import.meta.url))
const outdir = `${root}build`

await rm(outdir, { recursive: true, force: true })
await build({
  absWorkingDir: root,
  entryPoints: ['src/**/*.ts'],
  outdir,
  outbase: 'src',
  format: 'esm',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
})
