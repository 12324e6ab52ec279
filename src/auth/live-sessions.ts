/** How the instances of the service tell each other about sign-outs (RedisChannel). */
export interface SignOutChannel {
  publish(message: string): void
  onMessage(listener: (message: string) => void): () => void
}

/** A connection as a sign-out closes it (a `ws` WebSocket is one). */
export interface SessionConnection {
  close(code: number, reason: string): void
}

/** The close code of a connection whose user was signed out, as the contract says. */
export const SIGNED_OUT_CLOSE_CODE = 4403

/** What closeRevoked needs to know of a user. */
export interface SessionUser {
  uid: string
  deactivatedAt: Date | null
  tokensValidAfter: Date | null
}

/**
 * The open graphql-ws connections of each user on this instance, so that signing a user out
 * (deactivation) also ends the streams it already holds, not only its next requests. With a
 * channel, a sign-out on any instance closes the user's connections on every instance.
 */
export class LiveSessions {
  /** Each user's open connections (usually one: an array, not a Map, per user). */
  private readonly byUid = new Map<string, Session[]>()

  constructor(private readonly channel?: SignOutChannel) {
    channel?.onMessage((message) => {
      const uids = parseUids(message)
      if (uids) this.closeLocally(uids)
    })
  }

  /** Registers an open connection (not a closure per connection: 10,000 of them add up); returns the function that forgets it. */
  add(uid: string, connection: SessionConnection, connectedAt = new Date()): () => void {
    const session: Session = { connection, connectedAtMs: connectedAt.getTime() }
    const sessions = this.byUid.get(uid)
    if (sessions) sessions.push(session)
    else this.byUid.set(uid, [session])
    return () => this.forget(uid, session)
  }

  /** Closes every open connection of the users, here and on the other instances. */
  signOut(uids: readonly string[]): void {
    this.closeLocally(uids)
    this.channel?.publish(JSON.stringify(uids))
  }

  /**
   * Closes the connections whose user has been deactivated, or whose tokens were revoked after
   * they connected: sign-outs this instance may have missed while the channel was down.
   */
  async closeRevoked(readUsers: (uids: string[]) => Promise<SessionUser[]>, batchSize = 1000): Promise<void> {
    const uids = [...this.byUid.keys()]
    for (let start = 0; start < uids.length; start += batchSize) {
      for (const user of await readUsers(uids.slice(start, start + batchSize))) {
        for (const session of [...(this.byUid.get(user.uid) ?? [])]) {
          if (user.deactivatedAt || (user.tokensValidAfter && user.tokensValidAfter.getTime() >= session.connectedAtMs)) {
            this.forget(user.uid, session)
            closeSignedOut(session)
          }
        }
      }
    }
  }

  count(uid: string): number {
    return this.byUid.get(uid)?.length ?? 0
  }

  private forget(uid: string, session: Session): void {
    const sessions = this.byUid.get(uid)
    const at = sessions?.indexOf(session) ?? -1
    if (at < 0) return
    sessions!.splice(at, 1)
    if (sessions!.length === 0) this.byUid.delete(uid)
  }

  private closeLocally(uids: readonly string[]): void {
    for (const uid of uids) {
      const sessions = this.byUid.get(uid)
      this.byUid.delete(uid)
      for (const session of sessions ?? []) closeSignedOut(session)
    }
  }
}

interface Session {
  connection: SessionConnection
  connectedAtMs: number
}

function closeSignedOut(session: Session): void {
  session.connection.close(SIGNED_OUT_CLOSE_CODE, 'Forbidden')
}

function parseUids(message: string): string[] | undefined {
  try {
    const value: unknown = JSON.parse(message)
    return Array.isArray(value) && value.every((uid) => typeof uid === 'string') ? value : undefined
  } catch {
    return undefined
  }
}
