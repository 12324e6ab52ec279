import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { expect, test } from 'vitest'
import { verifyToken } from '../../src/auth/tokens.js'

const run = promisify(execFile)
const secret = 'a-test-secret-of-enough-length'

function token(...args: string[]) {
  return run('npx', ['--no-install', 'tsx', 'scripts/token.ts', ...args], {
    encoding: 'utf8',
    env: { ...process.env, AUTH_SECRET: secret, DATA_DIR: 'memory' },
  })
}

test('npm run token prints a token for the uid, signed with the configured secret', async () => {
  const { stdout } = await token('alice')
  const claims = await verifyToken(secret, stdout.trim().split('\n').pop()!)
  expect(claims).toMatchObject({ sub: 'alice', isAppAdmin: false })
}, 60_000)

test('--admin makes an app-admin token; a malformed uid is refused', async () => {
  const { stdout } = await token('backend', '--admin')
  expect(await verifyToken(secret, stdout.trim().split('\n').pop()!)).toMatchObject({ sub: 'backend', isAppAdmin: true })
  const refused = await token('not a uid').catch((error) => error)
  expect(refused.code).not.toBe(0)
  expect(refused.stderr).toMatch(/uid/)
}, 60_000)
