// npm run token -- <uid> [--admin] [--expires-in <span>]: prints a bearer token for this server's secret
// (AUTH_SECRET, or the one kept in DATA_DIR, created now if missing so `npm start` uses it too).
import { parseArgs } from 'node:util'
import { ConfigError, loadConfig } from '../src/config.js'
import { resolveAuthSecret } from '../src/auth/auth-secret.js'
import { signToken } from '../src/auth/tokens.js'

const usage = 'usage: npm run token -- <uid> [--admin] [--expires-in <span, e.g. 2h or 30d>]'
const uidPattern = /^[A-Za-z0-9_-]{1,100}$/

function fail(message: string): never {
  console.error(message)
  process.exit(1)
}

async function main(): Promise<void> {
  let parsed
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: { admin: { type: 'boolean', default: false }, 'expires-in': { type: 'string' } },
    })
  } catch (error) {
    fail(`${(error as Error).message}\n${usage}`)
  }
  const { positionals, values } = parsed
  if (positionals.length !== 1) fail(usage)
  const uid = positionals[0]
  if (!uidPattern.test(uid)) fail(`invalid uid ${JSON.stringify(uid)}: use 1 to 100 of A-Z a-z 0-9 _ -\n${usage}`)

  let config
  try {
    config = loadConfig()
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message)
    throw error
  }
  if (!config.authSecret && config.dataDir === 'memory') {
    fail('DATA_DIR=memory keeps no secret, so no token printed here would be accepted: set AUTH_SECRET')
  }

  const secret = await resolveAuthSecret(config)
  if (secret.source === 'created') console.error(`generated a secret and kept it in ${secret.path}`)
  try {
    console.log(await signToken(secret.secret, { sub: uid, admin: values.admin, expiresIn: values['expires-in'] }))
  } catch (error) {
    if (error instanceof TypeError) fail(`invalid --expires-in: ${error.message}`)
    throw error
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
