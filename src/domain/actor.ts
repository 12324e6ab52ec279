/** Who is calling a domain operation, as established by authentication. */
export interface Actor {
  /** The caller's user, when there is one (an app admin's token may name no user). */
  uid: string | null
  /** The token's subject, kept for webhooks even when it is not a user. */
  sub: string
  isAppAdmin: boolean
}

export const systemActor: Actor = { uid: null, sub: '', isAppAdmin: true }
