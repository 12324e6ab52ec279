export const ERROR_CODES = [
  'ERR_NOT_A_MEMBER',
  'ERR_ALREADY_MEMBER',
  'ERR_OWNER_MUST_TRANSFER',
  'ERR_GROUP_NOT_FOUND',
  'ERR_USER_NOT_FOUND',
  'ERR_MEMBERS_NOT_FOUND',
  'ERR_INSUFFICIENT_SCOPE',
  'ERR_WRONG_PASSWORD',
  'ERR_BANNED',
  'ERR_INVALID_INPUT',
  'ERR_RATE_LIMITED',
  'ERR_CHAT_ROOM_NOT_FOUND',
  'ERR_WEBHOOK_NOT_FOUND',
] as const

export type ErrorCode = (typeof ERROR_CODES)[number]

/** A rule refused the operation. Thrown inside the transaction, so nothing it did is kept. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message)
    this.name = new.target.name
  }
}

export class NotAMemberError extends DomainError {
  constructor(message = 'you are not a member of this group') {
    super('ERR_NOT_A_MEMBER', message)
  }
}
export class AlreadyMemberError extends DomainError {
  constructor(message = 'already a member of this group') {
    super('ERR_ALREADY_MEMBER', message)
  }
}
export class OwnerMustTransferError extends DomainError {
  constructor(guid: string) {
    super('ERR_OWNER_MUST_TRANSFER', `the owner must transfer ownership of ${guid} before leaving`)
  }
}
export class GroupNotFoundError extends DomainError {
  constructor(guid: string) {
    super('ERR_GROUP_NOT_FOUND', `group ${guid} does not exist`)
  }
}
export class UserNotFoundError extends DomainError {
  constructor(uid: string) {
    super('ERR_USER_NOT_FOUND', `user ${uid} does not exist`)
  }
}
export class MembersNotFoundError extends DomainError {
  constructor() {
    super('ERR_MEMBERS_NOT_FOUND', 'none of the given uids is a member of this group')
  }
}
export class InsufficientScopeError extends DomainError {
  constructor(message: string) {
    super('ERR_INSUFFICIENT_SCOPE', message)
  }
}
export class WrongPasswordError extends DomainError {
  constructor() {
    super('ERR_WRONG_PASSWORD', 'wrong password')
  }
}
export class BannedError extends DomainError {
  constructor(guid: string, uid: string, place = 'group') {
    super('ERR_BANNED', `user ${uid} is banned from ${place} ${guid}`)
  }
}
export class ChatRoomNotFoundError extends DomainError {
  constructor(id: string) {
    super('ERR_CHAT_ROOM_NOT_FOUND', `chat room ${id} does not exist`)
  }
}
export class InvalidInputError extends DomainError {
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super('ERR_INVALID_INPUT', `${field}: ${problem}`)
  }
}
export class WebhookNotFoundError extends DomainError {
  constructor(what: string) {
    super('ERR_WEBHOOK_NOT_FOUND', `${what} does not exist`)
  }
}
/** The caller has used up its mutations for the current window; nothing was done. */
export class RateLimitedError extends DomainError {
  readonly retryAfterSeconds: number

  constructor(retryAfterSeconds: number) {
    const seconds = Math.max(1, Math.ceil(retryAfterSeconds))
    super('ERR_RATE_LIMITED', `too many mutations: try again in ${seconds} s`)
    this.retryAfterSeconds = seconds
  }
}
