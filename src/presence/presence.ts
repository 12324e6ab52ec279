/**
 * Who is online: a user holding at least one open, authenticated graphql-ws connection on any
 * instance. Each implementation keeps chat-room memberships' `offlineSince` in step with it
 * (see src/domain/chatrooms/presence-state.ts), because the kick-out rules read that column.
 */
export interface Presence {
  /** Records an open connection of `uid`; resolves to the function that records its close. */
  connect(uid: string): Promise<() => Promise<void>>
  /** Announces this instance, and starts the heartbeats that keep it counted as alive. */
  start(): Promise<void>
  /** Stops the heartbeats, waits for closes in flight, and takes what is left of this instance offline. */
  stop(): Promise<void>
}
