import type { PrismaClient } from '../generated/prisma/client.js'
import type { Clock } from './clock.js'

/** What domain operations need from the outside world. */
export interface DomainDeps {
  prisma: PrismaClient
  clock: Clock
}
