import type { GroupType, MemberLeftEvent, PrismaClient, WebhookDelivery } from '../generated/prisma/client.js'
import type { Clock } from '../domain/clock.js'
import { postWebhook, type WebhookRequest, type WebhookResponse } from './http-sender.js'
import { callbackUrl, memberExitCallback } from './member-exit-callback.js'
import type { SecretBox } from './secret-box.js'
import { webhookHeaders } from './signing.js'
import { fallbackLogger, type Logger } from '../operations/logger.js'

export interface WebhookDispatcherOptions {
  prisma: PrismaClient
  clock: Clock
  secretBox: Pick<SecretBox, 'open'>
  appId: string
  timeoutMs: number
  /** Seconds after each failed attempt; when they run out the delivery is DEAD. */
  retryDelaysSeconds: number[]
  allowPrivate: boolean
  /** How often due deliveries (retries) are looked for; new exits also nudge(). */
  pollMs?: number
  /** Sends in flight per endpoint on this dispatcher, so one slow endpoint cannot take every slot. */
  perEndpointConcurrency?: number
  /** How long a claimed delivery stays with this dispatcher (database time); a crash lets it lapse. */
  claimLeaseMs?: number
  /** Replaces the HTTP POST (benchmarks); defaults to postWebhook. */
  post?: (request: WebhookRequest) => Promise<WebhookResponse>
  onError?: (error: unknown) => void
  /** Where failures are logged when there is no onError. */
  log?: Logger
}

/** A claimed delivery with what sending it needs, read by the claim itself. */
interface Claimed extends WebhookDelivery {
  url: string
  sealedSecret: string
  event: MemberLeftEvent
  groupType: GroupType | null
}

interface ClaimedRow extends WebhookDelivery {
  url: string
  sealedSecret: string
  groupType: GroupType | null
  e_exitType: MemberLeftEvent['exitType']
  e_reason: MemberLeftEvent['reason']
  e_groupGuid: string | null
  e_chatRoomId: string | null
  e_memberUids: string[]
  e_operatorUid: string | null
  e_operatorSub: string | null
  e_occurredAt: Date
  e_txid: bigint
}

/** Up to ±10% on each retry delay, so failures that happened together do not retry together. */
const JITTER = 0.1
const MAX_ERROR_LENGTH = 500

/**
 * Sends the outbox. Each pass claims due deliveries per endpoint (row locks that skip locked
 * rows, then a lease, so several instances never hold one delivery at once), POSTs them with
 * their per-attempt signature, and records each result for the attempt it claimed. A crash
 * mid-send leaves the lease to lapse; the delivery is then claimed and sent again.
 */
export class WebhookDispatcher {
  private readonly pollMs: number
  private readonly perEndpoint: number
  private readonly claimLeaseMs: number
  private readonly post: (request: WebhookRequest) => Promise<WebhookResponse>
  private readonly onError: (error: unknown) => void
  private readonly inFlight = new Map<string, number>()
  private readonly sends = new Set<Promise<void>>()
  private timer: NodeJS.Timeout | undefined
  private passing: Promise<void> | null = null
  private again = false
  private running = false
  /** Aborted at stop()'s deadline: cuts the sends still waiting for their receiver. */
  private cut = new AbortController()

  constructor(private readonly options: WebhookDispatcherOptions) {
    this.pollMs = options.pollMs ?? 1000
    this.perEndpoint = options.perEndpointConcurrency ?? 8
    this.claimLeaseMs = options.claimLeaseMs ?? options.timeoutMs + 30_000
    this.onError = options.onError ?? ((error) => (options.log ?? fallbackLogger()).error({ err: error }, 'webhook dispatch failed'))
    this.post = options.post ?? ((request) => postWebhook(request, { timeoutMs: options.timeoutMs, allowPrivate: options.allowPrivate }))
  }

  start(): void {
    this.running = true
    if (this.cut.signal.aborted) this.cut = new AbortController()
    this.timer = setInterval(() => this.nudge(), this.pollMs)
    this.timer.unref()
    this.nudge()
  }

  /**
   * Stops claiming and waits for the sends in flight to finish and be recorded. At `deadline`
   * (epoch ms) the sends still waiting for their receiver are cut off and their claims released,
   * so that another instance sends them at once rather than when the lease lapses.
   */
  async stop(options: { deadline?: number } = {}): Promise<void> {
    this.running = false
    clearInterval(this.timer)
    const cut = this.cut
    const timer = options.deadline === undefined ? undefined : setTimeout(() => cut.abort(), Math.max(0, options.deadline - Date.now()))
    try {
      await this.passing
      while (this.sends.size > 0) await Promise.allSettled([...this.sends])
    } finally {
      clearTimeout(timer)
    }
  }

  /** Looks for due deliveries now (new exits committed, a redelivery asked for). */
  nudge(): void {
    if (!this.running) return
    if (this.passing) {
      this.again = true
      return
    }
    this.passing = this.claimAndSend()
      .then(() => undefined, this.onError)
      .finally(() => {
        this.passing = null
        if (this.again) {
          this.again = false
          this.nudge()
        }
      })
  }

  /**
   * One pass, then waits for the sends it started: for a dispatcher that was not started (tests).
   * Returns how many deliveries it claimed.
   */
  async dispatchOnce(): Promise<number> {
    const started = await this.claimAndSend()
    await Promise.allSettled(started)
    return started.length
  }

  private async claimAndSend(): Promise<Promise<void>[]> {
    const { prisma, clock } = this.options
    const now = clock.now()
    const due = await prisma.$queryRawUnsafe<{ endpointId: string }[]>(
      `SELECT DISTINCT d."endpointId" FROM "WebhookDelivery" d JOIN "WebhookEndpoint" e ON e.id = d."endpointId"
        WHERE e.enabled AND d.status = 'PENDING' AND d."nextAttemptAt" <= $1
          AND (d."claimedUntil" IS NULL OR d."claimedUntil" < now())`,
      now,
    )
    const started: Promise<void>[] = []
    for (const { endpointId } of due) {
      started.push(...(await this.fill(endpointId, now)))
    }
    return started
  }

  /** Claims up to the endpoint's free slots and starts sending them. */
  private async fill(endpointId: string, now: Date): Promise<Promise<void>[]> {
    const free = this.perEndpoint - (this.inFlight.get(endpointId) ?? 0)
    if (free <= 0) return []
    // The slots are taken before the claim, so two fills of one endpoint cannot both use them.
    this.adjustInFlight(endpointId, free)
    let claimed: Claimed[] = []
    try {
      claimed = await this.claim(endpointId, free, now)
    } finally {
      this.adjustInFlight(endpointId, claimed.length - free)
    }
    return claimed.map((delivery) => this.track(this.send(delivery)))
  }

  private adjustInFlight(endpointId: string, by: number): void {
    const count = (this.inFlight.get(endpointId) ?? 0) + by
    if (count > 0) this.inFlight.set(endpointId, count)
    else this.inFlight.delete(endpointId)
  }

  private async claim(endpointId: string, limit: number, now: Date): Promise<Claimed[]> {
    const rows = await this.options.prisma.$queryRawUnsafe<ClaimedRow[]>(
      `WITH picked AS (
         SELECT d.id FROM "WebhookDelivery" d
          WHERE d."endpointId" = $1 AND d.status = 'PENDING' AND d."nextAttemptAt" <= $2
            AND (d."claimedUntil" IS NULL OR d."claimedUntil" < now())
          ORDER BY d."nextAttemptAt", d.id
          LIMIT $3::int
            FOR UPDATE SKIP LOCKED)
       UPDATE "WebhookDelivery" d
          SET "claimedUntil" = now() + make_interval(secs => $4::float8), attempts = d.attempts + 1
         FROM picked, "WebhookEndpoint" e, "MemberLeftEvent" ev LEFT JOIN "Group" g ON g.guid = ev."groupGuid"
        WHERE d.id = picked.id AND e.id = d."endpointId" AND e.enabled AND ev.id = d."eventId"
      RETURNING d.*, e.url, e."sealedSecret", g.type AS "groupType",
                ev."exitType" AS "e_exitType", ev.reason AS "e_reason", ev."groupGuid" AS "e_groupGuid",
                ev."chatRoomId" AS "e_chatRoomId", ev."memberUids" AS "e_memberUids", ev."operatorUid" AS "e_operatorUid",
                ev."operatorSub" AS "e_operatorSub", ev."occurredAt" AS "e_occurredAt", ev.txid AS "e_txid"`,
      endpointId,
      now,
      limit,
      this.claimLeaseMs / 1000,
    )
    return rows.map((row) => ({
      ...row,
      event: {
        id: row.eventId,
        txid: row.e_txid,
        exitType: row.e_exitType,
        reason: row.e_reason,
        groupGuid: row.e_groupGuid,
        chatRoomId: row.e_chatRoomId,
        memberUids: row.e_memberUids,
        operatorUid: row.e_operatorUid,
        operatorSub: row.e_operatorSub,
        occurredAt: row.e_occurredAt,
      },
    }))
  }

  private track(send: Promise<void>): Promise<void> {
    const settled = send.catch(this.onError)
    this.sends.add(settled)
    void settled.finally(() => this.sends.delete(settled))
    return settled
  }

  private async send(delivery: Claimed): Promise<void> {
    const { clock, secretBox, appId } = this.options
    const { signal } = this.cut
    try {
      const body = JSON.stringify(memberExitCallback(delivery.event, delivery.groupType))
      const headers = webhookHeaders(secretBox.open(delivery.sealedSecret), { id: delivery.id, timestamp: clock.now(), body })
      const response = await this.post({ url: callbackUrl(delivery.url, appId), headers, body, signal })
      if (signal.aborted && !response.ok) await this.release(delivery)
      else await this.record(delivery, response)
    } catch (error) {
      if (signal.aborted) await this.release(delivery)
      else await this.record(delivery, { ok: false, statusCode: null, error: `could not send: ${(error as Error).message}`, body: '' })
    } finally {
      this.adjustInFlight(delivery.endpointId, -1)
      // The freed slot takes the endpoint's next due delivery, if any.
      if (this.running) void this.track(this.fill(delivery.endpointId, this.options.clock.now()).then(() => undefined))
    }
  }

  /**
   * Gives back a delivery whose send was cut off by stop(): due at once for any dispatcher. The
   * attempt still counts (the receiver may have got it), which also keeps the claim check of a
   * later record() by attempt number unambiguous.
   */
  private async release(delivery: Claimed): Promise<void> {
    await this.options.prisma.webhookDelivery.updateMany({
      where: { id: delivery.id, attempts: delivery.attempts, claimedUntil: { not: null } },
      data: { claimedUntil: null, lastError: 'cut off: the sending server stopped before the receiver answered' },
    })
  }

  /** Records the attempt's result, unless the delivery has been claimed again since (redelivered). */
  private async record(delivery: Claimed, response: WebhookResponse): Promise<void> {
    await this.options.prisma.webhookDelivery.updateMany({
      // This attempt's claim still stands: not claimed again since (attempts) nor redelivered
      // (redeliverWebhook clears claimedUntil).
      where: { id: delivery.id, attempts: delivery.attempts, claimedUntil: { not: null } },
      data: {
        lastStatusCode: response.statusCode,
        claimedUntil: null,
        ...afterAttempt(delivery.attempts, response, this.options.retryDelaysSeconds, this.options.clock.now()),
      },
    })
  }
}

/** Where a delivery stands after its attempt number `attempts`: done, DEAD, or due again after the next delay. */
function afterAttempt(attempts: number, response: WebhookResponse, delaysSeconds: number[], now: Date) {
  if (response.ok) return { status: 'SUCCEEDED' as const, lastError: null, deliveredAt: now, nextAttemptAt: null }
  const lastError = describeFailure(response)
  if (attempts > delaysSeconds.length) return { status: 'DEAD' as const, lastError, nextAttemptAt: null }
  const delayMs = delaysSeconds[attempts - 1] * 1000 * (1 + (Math.random() * 2 - 1) * JITTER)
  return { status: 'PENDING' as const, lastError, nextAttemptAt: new Date(now.getTime() + delayMs) }
}

function describeFailure(response: WebhookResponse): string {
  const detail = response.body ? `${response.error ?? 'failed'}: ${response.body}` : (response.error ?? 'failed')
  return detail.length > MAX_ERROR_LENGTH ? `${detail.slice(0, MAX_ERROR_LENGTH - 1)}…` : detail
}
