import { expect, test } from 'vitest'
import { runServerProcessToExit } from '../support/server-process.js'

test('in production the server refuses to start without AUTH_SECRET: a non-zero exit and a line that names it', async () => {
  const exit = await runServerProcessToExit({ NODE_ENV: 'production', AUTH_SECRET: '' })
  expect(exit.code).not.toBe(0)
  expect(exit.code).not.toBeNull()
  const lines = exit.stdout.trim().split('\n').map((line) => JSON.parse(line) as { msg: string; problems?: string[] })
  expect(lines).toContainEqual(
    expect.objectContaining({ msg: 'invalid configuration', problems: ['AUTH_SECRET: required when NODE_ENV=production'] }),
  )
}, 90_000)
