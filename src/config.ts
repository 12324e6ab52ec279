import { z } from 'zod'

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  DATA_DIR: z.string().min(1).default('./data'),
  AUTH_SECRET: z.string().min(16, 'must be at least 16 characters').optional().or(z.literal('').transform(() => undefined)),
  NODE_ENV: z.string().default('development'),
})

export type Config = {
  port: number
  host: string
  databaseUrl: string | undefined
  /** Folder for PGlite's files and the generated auth secret; 'memory' keeps nothing. */
  dataDir: string
  /** Unset: generated once and kept in dataDir (refused in production). */
  authSecret: string | undefined
  production: boolean
}

export class ConfigError extends Error {}

/** Parses every setting at once and reports all bad ones together. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = schema.safeParse(env)
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`)
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`)
  }
  const e = parsed.data
  const production = e.NODE_ENV === 'production'
  if (production && !e.AUTH_SECRET) {
    throw new ConfigError('invalid configuration:\n  AUTH_SECRET: required when NODE_ENV=production')
  }
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR,
    authSecret: e.AUTH_SECRET,
    production,
  }
}
