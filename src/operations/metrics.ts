// What GET /metrics reports (Prometheus text format). One registry per app instance, so two
// servers in one process (tests) count apart; the process_* and nodejs_* metrics describe the
// process, so they are collected once per process and registered in every instance's registry.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type Metric } from 'prom-client'
import { ExitType, WebhookDeliveryStatus } from '../generated/prisma/enums.js'
import type { Logger } from './logger.js'

export interface MetricsOptions {
  /** Deliveries of the webhook outbox per status, read at scrape time (the whole table, every instance's). */
  webhookDeliveryCounts(): Promise<Partial<Record<WebhookDeliveryStatus, number>>>
  log: Logger
}

/** What the app holds now, read at scrape time. */
export interface LiveCountsSource {
  (): { connections: number; subscriptions: number }
}

/** Commit to frame: from a few ms on one machine to seconds for a stalled or distant subscriber. */
const deliveryBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

export class AppMetrics {
  readonly registry = new Registry()
  private readonly exits: Counter<'exit_type'>
  private readonly delivery: Histogram
  private liveCounts: LiveCountsSource = () => ({ connections: 0, subscriptions: 0 })

  constructor(options: MetricsOptions) {
    const registers = [this.registry]
    const live = () => this.liveCounts()
    this.exits = new Counter({
      name: 'departures_member_exits_total',
      help: 'Exits (MemberLeftEvent rows) committed through this instance, by exit type.',
      labelNames: ['exit_type'],
      registers,
    })
    for (const exitType of Object.values(ExitType)) this.exits.inc({ exit_type: exitType }, 0)
    new Gauge({
      name: 'departures_ws_connections',
      help: 'Open graphql-ws connections on this instance.',
      registers,
      collect() {
        this.set(live().connections)
      },
    })
    new Gauge({
      name: 'departures_subscriptions',
      help: 'Live memberLeft subscriptions on this instance.',
      registers,
      collect() {
        this.set(live().subscriptions)
      },
    })
    this.delivery = new Histogram({
      name: 'departures_event_delivery_seconds',
      help: "Seconds from an exit's commit (its occurredAt, database time) to its frame written to the subscribers' sockets; once per event per group of identical subscriptions, live events only.",
      buckets: deliveryBuckets,
      registers,
    })
    new Gauge({
      name: 'departures_webhook_deliveries',
      help: 'Webhook deliveries in the outbox by status (the whole table: every instance reports the same).',
      labelNames: ['status'],
      registers,
      async collect() {
        let counts: Partial<Record<WebhookDeliveryStatus, number>>
        try {
          counts = await options.webhookDeliveryCounts()
        } catch (error) {
          // The other metrics are still worth serving; an absent series says the count failed.
          this.reset()
          options.log.warn({ err: error }, 'could not count webhook deliveries for /metrics')
          return
        }
        for (const status of Object.values(WebhookDeliveryStatus)) this.set({ status }, counts[status] ?? 0)
      },
    })
    // getMetricsAsArray() is typed as plain objects, but it returns the metrics themselves.
    for (const metric of processMetrics().getMetricsAsArray()) this.registry.registerMetric(metric as unknown as Metric)
  }

  /** After commit: the exits this instance committed. */
  countExits(events: readonly { exitType: string }[]): void {
    for (const event of events) this.exits.inc({ exit_type: event.exitType })
  }

  /** An event's frame was written to its subscribers' sockets now. */
  observeDelivery(occurredAt: Date, now = Date.now()): void {
    // The database's clock against ours: a skew must not produce negative latencies.
    this.delivery.observe(Math.max(0, now - occurredAt.getTime()) / 1000)
  }

  /** Where the connection and subscription gauges read from (the app, once it is built). */
  readLiveCountsFrom(source: LiveCountsSource): void {
    this.liveCounts = source
  }

  get contentType(): string {
    return this.registry.contentType
  }

  /** The text of a scrape. */
  scrape(): Promise<string> {
    return this.registry.metrics()
  }
}

let processRegistry: Registry | undefined

function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry()
    collectDefaultMetrics({ register: processRegistry })
  }
  return processRegistry
}
