// For the Prisma CLI only (generate; migrate deploy where the native engine exists).
// At run time the server passes a driver adapter to the client instead.
import { defineConfig } from 'prisma/config'

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/departures' },
})
