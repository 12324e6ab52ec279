import type { GroupType, MemberLeftEvent } from '../generated/prisma/client.js'

/** Tencent Cloud IM's Group.CallbackAfterMemberExit, as the contract (webhooks.graphql) gives it. */
export const CALLBACK_COMMAND = 'Group.CallbackAfterMemberExit'

export interface MemberExitCallback {
  CallbackCommand: typeof CALLBACK_COMMAND
  GroupId: string
  Type: 'Public' | 'Private' | 'Password' | 'ChatRoom'
  ExitType: 'Quit' | 'Kicked'
  Operator_Account: string
  ExitMemberList: { Member_Account: string }[]
  EventTime: number
  EventId: string
  ExitDetail: MemberLeftEvent['exitType']
  Reason: MemberLeftEvent['reason']
}

const GROUP_TYPES: Record<GroupType, MemberExitCallback['Type']> = { PUBLIC: 'Public', PRIVATE: 'Private', PASSWORD: 'Password' }

/** The request body for one exit; `groupType` is null for a chat room's exit. */
export function memberExitCallback(event: MemberLeftEvent, groupType: GroupType | null): MemberExitCallback {
  return {
    CallbackCommand: CALLBACK_COMMAND,
    GroupId: event.groupGuid ?? event.chatRoomId ?? '',
    Type: event.chatRoomId !== null || groupType === null ? 'ChatRoom' : GROUP_TYPES[groupType],
    ExitType: event.exitType === 'QUIT' ? 'Quit' : 'Kicked',
    // The app admin acting without a user is named by its token's subject; system exits by "".
    Operator_Account: event.operatorUid ?? event.operatorSub ?? '',
    ExitMemberList: event.memberUids.map((uid) => ({ Member_Account: uid })),
    EventTime: event.occurredAt.getTime(),
    EventId: event.id.toString(),
    ExitDetail: event.exitType,
    Reason: event.reason,
  }
}

/** The endpoint URL with Tencent's query parameters added (existing ones are kept). */
export function callbackUrl(endpointUrl: string, appId: string): string {
  const url = new URL(endpointUrl)
  url.searchParams.set('SdkAppid', appId)
  url.searchParams.set('CallbackCommand', CALLBACK_COMMAND)
  url.searchParams.set('contenttype', 'json')
  // Tencent sends the IP of the client behind the request; exits here are not tied to one.
  url.searchParams.set('ClientIP', '')
  url.searchParams.set('OptPlatform', 'RESTAPI')
  return url.toString()
}
