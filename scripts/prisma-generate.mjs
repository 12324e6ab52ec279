// `prisma generate` only needs the native schema engine's path to exist, not to run it;
// where the engine cannot be downloaded, point it at a harmless executable.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

const env = { ...process.env }
if (!env.PRISMA_SCHEMA_ENGINE_BINARY && existsSync('/bin/false')) env.PRISMA_SCHEMA_ENGINE_BINARY = '/bin/false'
const result = spawnSync('npx', ['--no-install', 'prisma', 'generate'], { stdio: 'inherit', env })
process.exit(result.status ?? 1)
