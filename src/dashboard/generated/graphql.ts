/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
export const ErrorCode = {
  ErrAlreadyMember: 'ERR_ALREADY_MEMBER',
  ErrBanned: 'ERR_BANNED',
  ErrChatRoomNotFound: 'ERR_CHAT_ROOM_NOT_FOUND',
  ErrGroupNotFound: 'ERR_GROUP_NOT_FOUND',
  ErrInsufficientScope: 'ERR_INSUFFICIENT_SCOPE',
  ErrInvalidInput: 'ERR_INVALID_INPUT',
  ErrMembersNotFound: 'ERR_MEMBERS_NOT_FOUND',
  ErrNotAMember: 'ERR_NOT_A_MEMBER',
  ErrOwnerMustTransfer: 'ERR_OWNER_MUST_TRANSFER',
  ErrRateLimited: 'ERR_RATE_LIMITED',
  ErrUserNotFound: 'ERR_USER_NOT_FOUND',
  ErrWebhookNotFound: 'ERR_WEBHOOK_NOT_FOUND',
  ErrWrongPassword: 'ERR_WRONG_PASSWORD'
} as const;

export type ErrorCode = typeof ErrorCode[keyof typeof ErrorCode];
/** How members left. Mirrors Tencent's ExitType Quit/Kicked, refined. */
export const ExitType = {
  Banned: 'BANNED',
  Deactivated: 'DEACTIVATED',
  Dissolved: 'DISSOLVED',
  Kicked: 'KICKED',
  OfflineKicked: 'OFFLINE_KICKED',
  Quit: 'QUIT'
} as const;

export type ExitType = typeof ExitType[keyof typeof ExitType];
export const GroupType = {
  Password: 'PASSWORD',
  Private: 'PRIVATE',
  Public: 'PUBLIC'
} as const;

export type GroupType = typeof GroupType[keyof typeof GroupType];
/** Why members left (Sendbird's reason values). */
export const LeaveReason = {
  AdminDeactivated: 'ADMIN_DEACTIVATED',
  AdminDeleted: 'ADMIN_DELETED',
  AdminRemoved: 'ADMIN_REMOVED',
  ChannelOperatorRemoved: 'CHANNEL_OPERATOR_REMOVED',
  LeftByOwnChoice: 'LEFT_BY_OWN_CHOICE'
} as const;

export type LeaveReason = typeof LeaveReason[keyof typeof LeaveReason];
export const WebhookDeliveryStatus = {
  Dead: 'DEAD',
  Pending: 'PENDING',
  Succeeded: 'SUCCEEDED'
} as const;

export type WebhookDeliveryStatus = typeof WebhookDeliveryStatus[keyof typeof WebhookDeliveryStatus];
export type ExitRowFragment = { id: string, occurredAt: string, exitType: ExitType, reason: LeaveReason | null, groupGuid: string | null, chatRoomId: string | null, group: { guid: string, name: string } | null, chatRoom: { id: string, name: string } | null, members: Array<{ uid: string, name: string }>, operator: { uid: string, name: string } | null };

export type DashboardViewerQueryVariables = Exact<{ [key: string]: never; }>;


export type DashboardViewerQuery = { me: { uid: string, name: string } | null };

export type DashboardPlaceQueryVariables = Exact<{
  id: string;
}>;


export type DashboardPlaceQuery = { group: { guid: string, name: string, type: GroupType, membersCount: number, dissolvedAt: string | null } | null, chatRoom: { id: string, name: string, membersCount: number, onlineMembersCount: number } | null };

export type DashboardExitStatsQueryVariables = Exact<{
  from: string;
  to: string;
  guid?: string | null | undefined;
  chatRoomId?: string | null | undefined;
  joined?: boolean | null | undefined;
  withTopPlaces: boolean;
}>;


export type DashboardExitStatsQuery = { exitStats: { from: string, to: string, buckets: Array<{ start: string, events: number, members: number, byExitType: Array<{ exitType: ExitType, events: number, members: number }> }>, totals: Array<{ exitType: ExitType, events: number, members: number }>, topPlaces?: Array<{ groupGuid: string | null, chatRoomId: string | null, events: number, members: number }> } };

export type DashboardWebhookEndpointsQueryVariables = Exact<{ [key: string]: never; }>;


export type DashboardWebhookEndpointsQuery = { webhookEndpoints: Array<{ id: string, url: string, enabled: boolean, deliveryCounts: { pending: number, succeeded: number, dead: number }, deliveries: { edges: Array<{ node: { id: string, attempts: number, lastStatusCode: number | null, lastError: string | null, event: { id: string, exitType: ExitType, occurredAt: string } } } | null> } }> };

export type DashboardRedeliverWebhookMutationVariables = Exact<{
  deliveryId: string;
}>;


export type DashboardRedeliverWebhookMutation = { redeliverWebhook:
    | { __typename: 'DomainError', code: ErrorCode, message: string }
    | { __typename: 'RedeliverWebhookPayload', delivery: { id: string, status: WebhookDeliveryStatus } }
   };

export type DashboardMemberLeftSubscriptionVariables = Exact<{
  after?: string | null | undefined;
  guid?: string | null | undefined;
  chatRoomId?: string | null | undefined;
  joined?: boolean | null | undefined;
}>;


export type DashboardMemberLeftSubscription = { memberLeft: { id: string, occurredAt: string, exitType: ExitType, reason: LeaveReason | null, groupGuid: string | null, chatRoomId: string | null, group: { guid: string, name: string } | null, chatRoom: { id: string, name: string } | null, members: Array<{ uid: string, name: string }>, operator: { uid: string, name: string } | null } };

export type DashboardLatestExitsQueryVariables = Exact<{
  guid?: string | null | undefined;
  chatRoomId?: string | null | undefined;
  joined?: boolean | null | undefined;
}>;


export type DashboardLatestExitsQuery = { memberLeftEvents: Array<{ id: string, occurredAt: string, exitType: ExitType, reason: LeaveReason | null, groupGuid: string | null, chatRoomId: string | null, group: { guid: string, name: string } | null, chatRoom: { id: string, name: string } | null, members: Array<{ uid: string, name: string }>, operator: { uid: string, name: string } | null }> };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}
export const ExitRowFragmentDoc = new TypedDocumentString(`
    fragment ExitRow on MemberLeftEvent {
  id
  occurredAt
  exitType
  reason
  groupGuid
  chatRoomId
  group {
    guid
    name
  }
  chatRoom {
    id
    name
  }
  members {
    uid
    name
  }
  operator {
    uid
    name
  }
}
    `, {"fragmentName":"ExitRow"}) as unknown as TypedDocumentString<ExitRowFragment, unknown>;
export const DashboardViewerDocument = new TypedDocumentString(`
    query DashboardViewer {
  me {
    uid
    name
  }
}
    `) as unknown as TypedDocumentString<DashboardViewerQuery, DashboardViewerQueryVariables>;
export const DashboardPlaceDocument = new TypedDocumentString(`
    query DashboardPlace($id: ID!) {
  group(guid: $id) {
    guid
    name
    type
    membersCount
    dissolvedAt
  }
  chatRoom(id: $id) {
    id
    name
    membersCount
    onlineMembersCount
  }
}
    `) as unknown as TypedDocumentString<DashboardPlaceQuery, DashboardPlaceQueryVariables>;
export const DashboardExitStatsDocument = new TypedDocumentString(`
    query DashboardExitStats($from: DateTime!, $to: DateTime!, $guid: ID, $chatRoomId: ID, $joined: Boolean, $withTopPlaces: Boolean!) {
  exitStats(
    from: $from
    to: $to
    bucketSeconds: 60
    guid: $guid
    chatRoomId: $chatRoomId
    joined: $joined
  ) {
    from
    to
    buckets {
      start
      events
      members
      byExitType {
        exitType
        events
        members
      }
    }
    totals {
      exitType
      events
      members
    }
    topPlaces(first: 10) @include(if: $withTopPlaces) {
      groupGuid
      chatRoomId
      events
      members
    }
  }
}
    `) as unknown as TypedDocumentString<DashboardExitStatsQuery, DashboardExitStatsQueryVariables>;
export const DashboardWebhookEndpointsDocument = new TypedDocumentString(`
    query DashboardWebhookEndpoints {
  webhookEndpoints {
    id
    url
    enabled
    deliveryCounts {
      pending
      succeeded
      dead
    }
    deliveries(status: DEAD, first: 20) {
      edges {
        node {
          id
          attempts
          lastStatusCode
          lastError
          event {
            id
            exitType
            occurredAt
          }
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<DashboardWebhookEndpointsQuery, DashboardWebhookEndpointsQueryVariables>;
export const DashboardRedeliverWebhookDocument = new TypedDocumentString(`
    mutation DashboardRedeliverWebhook($deliveryId: ID!) {
  redeliverWebhook(deliveryId: $deliveryId) {
    __typename
    ... on RedeliverWebhookPayload {
      delivery {
        id
        status
      }
    }
    ... on Error {
      code
      message
    }
  }
}
    `) as unknown as TypedDocumentString<DashboardRedeliverWebhookMutation, DashboardRedeliverWebhookMutationVariables>;
export const DashboardMemberLeftDocument = new TypedDocumentString(`
    subscription DashboardMemberLeft($after: ID, $guid: ID, $chatRoomId: ID, $joined: Boolean) {
  memberLeft(after: $after, guid: $guid, chatRoomId: $chatRoomId, joined: $joined) {
    ...ExitRow
  }
}
    fragment ExitRow on MemberLeftEvent {
  id
  occurredAt
  exitType
  reason
  groupGuid
  chatRoomId
  group {
    guid
    name
  }
  chatRoom {
    id
    name
  }
  members {
    uid
    name
  }
  operator {
    uid
    name
  }
}`) as unknown as TypedDocumentString<DashboardMemberLeftSubscription, DashboardMemberLeftSubscriptionVariables>;
export const DashboardLatestExitsDocument = new TypedDocumentString(`
    query DashboardLatestExits($guid: ID, $chatRoomId: ID, $joined: Boolean) {
  memberLeftEvents(
    last: 50
    guid: $guid
    chatRoomId: $chatRoomId
    joined: $joined
  ) {
    ...ExitRow
  }
}
    fragment ExitRow on MemberLeftEvent {
  id
  occurredAt
  exitType
  reason
  groupGuid
  chatRoomId
  group {
    guid
    name
  }
  chatRoom {
    id
    name
  }
  members {
    uid
    name
  }
  operator {
    uid
    name
  }
}`) as unknown as TypedDocumentString<DashboardLatestExitsQuery, DashboardLatestExitsQueryVariables>;