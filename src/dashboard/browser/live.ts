// The memberLeft subscription over graphql-ws, kept alive across server restarts and network
// drops. graphql-ws retries and re-sends the subscription's payload on every reconnect; the
// payload's `after` is a getter, read when the message is serialized, so each (re)subscribe
// resumes from the last event the page showed: the server replays what came after it, then
// goes on live, and nothing is missed or shown twice.
import { createClient, type Client } from 'graphql-ws'
import { DashboardMemberLeftDocument, type ExitRowFragment } from '../generated/graphql.js'

export type LiveState = 'live' | 'reconnecting'

export interface Place {
  kind: 'group' | 'chatRoom'
  id: string
}

export interface LiveOptions {
  wsUrl: string
  token: string
  onState(state: LiveState): void
  /** After a lost connection came back: what was counted meanwhile may need reading again. */
  onReconnected(): void
  onExit(exit: ExitRowFragment): void
  /** The stream ended for good: an error for the operation, a refused token (4403), or the end of the place's stream. */
  onStopped(reason: string, tokenRefused: boolean): void
}

/** graphql-ws' close codes that retrying cannot fix. */
const FORBIDDEN = 4403
const KEEP_ALIVE_MS = 10_000
const PONG_TIMEOUT_MS = 5_000

export class LiveExits {
  private readonly client: Client
  private unsubscribe: (() => void) | undefined
  private generation = 0
  private wasLive = false
  private connected = false

  constructor(
    private readonly options: LiveOptions,
    /** The last event id shown: the resume cursor. */
    private readonly lastShownId: () => string | undefined,
  ) {
    let pongTimer: number | undefined
    let socket: WebSocket | undefined
    this.client = createClient({
      url: options.wsUrl,
      connectionParams: { authorization: `Bearer ${options.token}` },
      lazy: true,
      // Switching places unsubscribes and subscribes again: keep the socket meanwhile.
      lazyCloseTimeout: 3_000,
      retryAttempts: Infinity,
      // Quick at first (a restart is over in a second or two), then every 5 s at most.
      retryWait: (retries) => new Promise((resolve) => window.setTimeout(resolve, Math.min(5_000, 250 * 2 ** retries) + Math.random() * 250)),
      shouldRetry: (event) => !(isCloseEvent(event) && event.code === FORBIDDEN),
      // A dropped network shows no close event until TCP gives up: ping, and close when no pong comes.
      keepAlive: KEEP_ALIVE_MS,
      on: {
        connected: (connected) => {
          socket = connected as WebSocket
          this.connected = true
          if (this.wasLive) this.options.onReconnected()
          this.wasLive = true
          this.options.onState('live')
        },
        closed: () => {
          socket = undefined
          this.connected = false
          window.clearTimeout(pongTimer)
          if (this.unsubscribe) this.options.onState('reconnecting')
        },
        ping: (received) => {
          if (received) return
          pongTimer = window.setTimeout(() => {
            if (socket?.readyState === WebSocket.OPEN) socket.close(4408, 'Request Timeout')
          }, PONG_TIMEOUT_MS)
        },
        pong: (received) => {
          if (received) window.clearTimeout(pongTimer)
        },
      },
    })
  }

  /**
   * Follows a place's exits, or without one every exit the token sees: the app admin's every
   * exit, a user's `joined` ones (its groups', its chat rooms' and its own). Resumes after the
   * last shown id.
   */
  follow(place: Place | undefined, joined: boolean): void {
    this.stopFollowing()
    const generation = ++this.generation
    const lastShownId = this.lastShownId
    const variables = {
      guid: place?.kind === 'group' ? place.id : undefined,
      chatRoomId: place?.kind === 'chatRoom' ? place.id : undefined,
      joined: !place && joined ? true : undefined,
      get after() {
        return lastShownId()
      },
    }
    // On an open connection the new subscription is sent at once; otherwise 'connected' says when.
    this.options.onState(this.connected ? 'live' : 'reconnecting')
    this.unsubscribe = this.client.subscribe<{ memberLeft: ExitRowFragment }>(
      { query: String(DashboardMemberLeftDocument), variables },
      {
        next: (result) => {
          if (generation !== this.generation) return
          if (result.errors?.length) return this.stop(result.errors.map((e) => e.message).join('; '))
          if (result.data) this.options.onExit(result.data.memberLeft)
        },
        error: (error) => {
          if (generation !== this.generation) return
          this.stop(describeError(error), isCloseEvent(error) && error.code === FORBIDDEN)
        },
        complete: () => {
          if (generation !== this.generation) return
          this.stop(place ? 'The stream of this place has ended: the token’s user is no longer a member.' : 'The stream has ended.')
        },
      },
    )
  }

  dispose(): void {
    this.stopFollowing()
    this.generation++
    void this.client.dispose()
  }

  private stop(reason: string, tokenRefused = false): void {
    this.stopFollowing()
    this.options.onStopped(reason, tokenRefused)
  }

  private stopFollowing(): void {
    const unsubscribe = this.unsubscribe
    this.unsubscribe = undefined
    unsubscribe?.()
  }
}

function isCloseEvent(value: unknown): value is { code: number; reason: string } {
  return typeof value === 'object' && value !== null && 'code' in value && 'reason' in value
}

function describeError(error: unknown): string {
  if (Array.isArray(error)) return error.map((e: { message?: string }) => e.message ?? String(e)).join('; ')
  if (isCloseEvent(error)) {
    if (error.code === FORBIDDEN) return 'The server closed the live connection: the token is no longer accepted (4403).'
    return `The live connection closed with ${error.code}${error.reason ? ` ${error.reason}` : ''}.`
  }
  return error instanceof Error ? error.message : String(error)
}
