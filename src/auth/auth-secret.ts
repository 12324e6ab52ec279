import { randomBytes } from 'node:crypto'
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Config } from '../config.js'

export interface AuthSecret {
  secret: string
  /**
   * config: AUTH_SECRET; created: generated now and kept in `path`; kept: read from `path`;
   * memory: DATA_DIR=memory, a per-process secret that no token from elsewhere matches.
   */
  source: 'config' | 'created' | 'kept' | 'memory'
  path?: string
}

export function authSecretPath(dataDir: string): string {
  return join(dataDir, 'auth-secret')
}

function generateSecret(): string {
  return randomBytes(32).toString('base64url')
}

/**
 * AUTH_SECRET when set; otherwise the secret kept in `<DATA_DIR>/auth-secret`, generated on first
 * use, so that `npm start` and `npm run token` agree across restarts.
 */
export async function resolveAuthSecret(config: Pick<Config, 'authSecret' | 'dataDir'>): Promise<AuthSecret> {
  if (config.authSecret) return { secret: config.authSecret, source: 'config' }
  if (config.dataDir === 'memory') return { secret: generateSecret(), source: 'memory' }

  const path = authSecretPath(config.dataDir)
  const kept = await readKeptSecret(path)
  if (kept !== undefined) return { secret: kept, source: 'kept', path }

  await mkdir(config.dataDir, { recursive: true })
  const secret = generateSecret()
  try {
    // 'wx' fails if another process (a concurrent `npm run token`) created it first; then use theirs.
    await writeFile(path, `${secret}\n`, { mode: 0o600, flag: 'wx' })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    const theirs = await readKeptSecret(path)
    if (theirs === undefined) throw new Error(`${path} exists but holds no secret`)
    return { secret: theirs, source: 'kept', path }
  }
  // The umask may have narrowed the mode at creation, never widened it; make it exact.
  await chmod(path, 0o600)
  return { secret, source: 'created', path }
}

async function readKeptSecret(path: string): Promise<string | undefined> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  const secret = text.trim()
  if (secret.length < 16) throw new Error(`${path} holds no usable secret (under 16 characters); delete it to generate a new one`)
  return secret
}
