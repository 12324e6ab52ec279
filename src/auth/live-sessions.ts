/**
 * The open graphql-ws connections of each user on this instance, so that signing a user out
 * (deactivation) also ends the streams it already holds, not only its next requests.
 */
export class LiveSessions {
  private readonly byUid = new Map<string, Set<() => void>>()

  /** Registers a connection's closer; returns the function that forgets it. */
  add(uid: string, close: () => void): () => void {
    let closers = this.byUid.get(uid)
    if (!closers) this.byUid.set(uid, (closers = new Set()))
    closers.add(close)
    return () => {
      closers.delete(close)
      if (closers.size === 0 && this.byUid.get(uid) === closers) this.byUid.delete(uid)
    }
  }

  /** Closes every open connection of the users. */
  signOut(uids: readonly string[]): void {
    for (const uid of uids) {
      const closers = this.byUid.get(uid)
      this.byUid.delete(uid)
      closers?.forEach((close) => close())
    }
  }

  count(uid: string): number {
    return this.byUid.get(uid)?.size ?? 0
  }
}
