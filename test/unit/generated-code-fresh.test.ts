import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { promisify } from 'node:util'
import { generate, loadContext } from '@graphql-codegen/cli'
import { expect, test } from 'vitest'

const run = promisify(execFile)

// vitest strips types without checking them, so a type error would otherwise pass the suite.
test('the project typechecks (tsc --noEmit, strict)', async () => {
  const result = await run('npx', ['--no-install', 'tsc', '--noEmit', '-p', '.'], { encoding: 'utf8' }).catch((error) => error)
  expect(`${result.stdout ?? ''}${result.stderr ?? ''}`.split('\n').filter((line: string) => line.includes('error TS'))).toEqual([])
}, 120_000)

test('test/generated/graphql.ts is what graphql-codegen makes from schema.graphql and test/documents', async () => {
  const context = await loadContext('codegen.yml')
  context.updateConfig({ silent: true })
  const [output] = await generate(context, false)
  const committed = await readFile(output.filename, 'utf8')
  expect(committed === output.content, 'stale typed documents: run `npm run codegen`').toBe(true)
}, 60_000)
