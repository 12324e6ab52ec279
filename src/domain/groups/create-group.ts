import type { Group, GroupType, OwnerLeavePolicy } from '../../generated/prisma/client.js'
import type { Actor } from '../actor.js'
import type { DomainDeps } from '../deps.js'
import { InvalidInputError } from '../errors.js'
import { inTransaction, type Outcome } from '../transaction.js'
import { requireId, requireName, requireStorable } from '../validation.js'
import { hashGroupPassword } from './group-password.js'
import { requireCallerUser } from './caller.js'

export interface CreateGroupInput {
  guid: string
  name: string
  type: GroupType
  password?: string | null
  ownerLeavePolicy?: OwnerLeavePolicy | null
}

/** The caller creates a group and becomes its OWNER. */
export async function createGroup(deps: DomainDeps, actor: Actor, input: CreateGroupInput): Promise<Outcome<{ group: Group }>> {
  const guid = requireId('input.guid', input.guid)
  const name = requireName('input.name', input.name)
  const password = input.password ?? null
  // Hashed, never stored; but a lone surrogate would hash as U+FFFD, so two passwords would match.
  if (password !== null) requireStorable('input.password', password)
  if (input.type === 'PASSWORD') {
    if (password === null || password.length < 1 || password.length > 100) {
      throw new InvalidInputError('input.password', 'a PASSWORD group needs a password of 1–100 characters')
    }
  } else if (password !== null) {
    throw new InvalidInputError('input.password', 'only PASSWORD groups have a password')
  }
  const passwordHash = password === null ? null : await hashGroupPassword(password)
  const now = deps.clock.now()
  return inTransaction(deps, async (tx) => {
    const ownerUid = await requireCallerUser(tx, actor)
    // skipDuplicates (ON CONFLICT DO NOTHING) refuses a taken guid, a dissolved group's too,
    // without a unique violation that would abort the transaction.
    const created = await tx.group.createMany({
      data: [{ guid, name, type: input.type, ownerLeavePolicy: input.ownerLeavePolicy ?? 'TRANSFER_REQUIRED', ownerUid, passwordHash, createdAt: now }],
      skipDuplicates: true,
    })
    if (created.count === 0) throw new InvalidInputError('input.guid', `a group with guid ${guid} already exists`)
    await tx.groupMember.create({ data: { groupGuid: guid, uid: ownerUid, scope: 'OWNER', joinedAt: now } })
    const group = await tx.group.findUniqueOrThrow({ where: { guid } })
    return { value: { group }, events: [] }
  })
}
