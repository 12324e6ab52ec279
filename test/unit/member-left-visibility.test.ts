import { describe, expect, test } from 'vitest'
import type { MemberLeftEvent } from '../../src/generated/prisma/client.js'
import { parseMemberLeftCursor } from '../../src/domain/exits/member-left-cursor.js'
import { memberLeftView, validateMemberLeftScope } from '../../src/domain/exits/member-left-visibility.js'
import { InvalidInputError } from '../../src/domain/errors.js'

function event(id: number, fields: Partial<MemberLeftEvent>): MemberLeftEvent {
  return {
    id: BigInt(id),
    txid: BigInt(id),
    exitType: 'QUIT',
    reason: null,
    groupGuid: null,
    chatRoomId: null,
    memberUids: [],
    operatorUid: null,
    operatorSub: null,
    occurredAt: new Date(0),
    ...fields,
  }
}

describe('memberLeftView', () => {
  test('a member following a group gets its exits and the stream ends with its own', () => {
    const { decide, where } = memberLeftView({ kind: 'place', place: { groupGuid: 'g1' }, leaverUid: 'ann', until: null })
    expect(where).toEqual({ groupGuid: 'g1' })
    expect(decide(event(1, { groupGuid: 'g2', memberUids: ['bob'] }))).toBe('skip')
    expect(decide(event(2, { groupGuid: 'g1', memberUids: ['bob'] }))).toBe('deliver')
    expect(decide(event(3, { groupGuid: 'g1', memberUids: ['bob', 'ann'] }))).toBe('deliver-and-complete')
  })

  test('the app admin following a group never completes', () => {
    const { decide } = memberLeftView({ kind: 'place', place: { groupGuid: 'g1' }, leaverUid: null, until: null })
    expect(decide(event(3, { groupGuid: 'g1', memberUids: ['admin'] }))).toBe('deliver')
  })

  test('a former member sees the group only up to its own exit', () => {
    const { decide, where } = memberLeftView({ kind: 'place', place: { groupGuid: 'g1' }, leaverUid: 'ann', until: { txid: 7n, id: 7n } })
    expect(where).toEqual({ groupGuid: 'g1', txid: { lte: 7n }, OR: [{ txid: { lt: 7n } }, { id: { lte: 7n } }] })
    expect(decide(event(7, { groupGuid: 'g1', memberUids: ['ann'] }))).toBe('deliver-and-complete')
    expect(decide(event(8, { groupGuid: 'g1', memberUids: ['bob'] }))).toBe('skip')
  })

  test('a user without guid or chatRoomId gets only the exits that include itself', () => {
    const { decide, where } = memberLeftView({ kind: 'own', uid: 'ann' })
    expect(where).toEqual({ memberUids: { has: 'ann' } })
    expect(decide(event(1, { groupGuid: 'g1', memberUids: ['bob'] }))).toBe('skip')
    expect(decide(event(2, { groupGuid: 'g2', memberUids: ['ann'] }))).toBe('deliver')
  })

  test('a chat room member gets every exit of the room until its own; the app admin all of them', () => {
    const member = memberLeftView({ kind: 'place', place: { chatRoomId: 'r1' }, leaverUid: 'ann', until: null })
    expect(member.where).toEqual({ chatRoomId: 'r1' })
    expect(member.decide(event(1, { chatRoomId: 'r1', memberUids: ['bob'] }))).toBe('deliver')
    expect(member.decide(event(2, { chatRoomId: 'r2', memberUids: ['bob'] }))).toBe('skip')
    expect(member.decide(event(3, { groupGuid: 'r1', memberUids: ['bob'] }))).toBe('skip')
    expect(member.decide(event(4, { chatRoomId: 'r1', memberUids: ['ann'] }))).toBe('deliver-and-complete')
    const admin = memberLeftView({ kind: 'place', place: { chatRoomId: 'r1' }, leaverUid: null, until: null })
    expect(admin.decide(event(1, { chatRoomId: 'r1', memberUids: ['bob'] }))).toBe('deliver')
    expect(admin.where).toEqual({ chatRoomId: 'r1' })
  })

  test('the app admin without guid or chatRoomId gets everything', () => {
    expect(memberLeftView({ kind: 'all' }).decide(event(1, { groupGuid: 'g' }))).toBe('deliver')
  })
})

describe('validateMemberLeftScope', () => {
  test('guid and chatRoomId together are refused', () => {
    expect(() => validateMemberLeftScope({ guid: 'g', chatRoomId: 'r' })).toThrow(InvalidInputError)
  })

  test('a malformed guid is refused', () => {
    expect(() => validateMemberLeftScope({ guid: '' })).toThrow(/guid/)
    expect(() => validateMemberLeftScope({ guid: 'a b' })).toThrow(/guid/)
  })
})

describe('parseMemberLeftCursor', () => {
  test('a cursor is a decimal event id', () => {
    expect(parseMemberLeftCursor('0')).toBe(0n)
    expect(parseMemberLeftCursor('9223372036854775807')).toBe(9223372036854775807n)
    expect(parseMemberLeftCursor(null)).toBeUndefined()
    expect(parseMemberLeftCursor(undefined)).toBeUndefined()
  })

  test.each(['', '-1', '1.5', 'abc', ' 1', '0x10', '9223372036854775808', '99999999999999999999'])(
    'the cursor %j is refused as ERR_INVALID_INPUT on after',
    (value) => {
      try {
        parseMemberLeftCursor(value)
        expect.fail('accepted')
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidInputError)
        expect(error).toMatchObject({ code: 'ERR_INVALID_INPUT', field: 'after' })
      }
    },
  )
})
