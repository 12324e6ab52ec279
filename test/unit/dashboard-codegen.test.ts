import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { generate, loadCodegenConfig } from '@graphql-codegen/cli'
import type { Types } from '@graphql-codegen/plugin-helpers'
import { expect, test } from 'vitest'

const root = fileURLToPath(new URL('../..', import.meta.url))
const target = 'src/dashboard/generated/graphql.ts'

test("the dashboard's generated documents are what codegen makes of its .graphql files and schema.graphql now", async () => {
  const { config } = await loadCodegenConfig({ configFilePath: `${root}codegen.yml` })
  const generates = config.generates as Record<string, Types.ConfiguredOutput>
  expect(Object.keys(generates)).toContain(target)
  const outputs: Types.FileOutput[] = await generate({ ...config, cwd: root, silent: true, generates: { [target]: generates[target] } }, false)
  const committed = readFileSync(`${root}${target}`, 'utf8')
  // Compared as booleans first so a mismatch names the fix instead of dumping two files.
  expect(outputs[0].content === committed, `${target} is stale: run \`npm run codegen\``).toBe(true)
}, 30_000)
