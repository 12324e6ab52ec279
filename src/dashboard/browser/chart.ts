// "Exits per minute" over the last 60 minutes: exitStats' buckets as stacked bars (one colour
// per exit type), and the totals per exit type beside them. Live events are counted at once;
// the caller reads exitStats again soon after, which is what the bars settle on.
import { ExitType, type DashboardExitStatsQuery, type ExitRowFragment } from '../generated/graphql.js'
import { formatMinute, h, s, words } from './dom.js'

export const exitTypes = Object.values(ExitType)
export const BUCKET_MS = 60_000
export const BUCKETS = 60

interface Count {
  events: number
  members: number
}

interface Bucket extends Count {
  start: number
  byType: Map<ExitType, Count>
}

/** The 60 one-minute buckets that end with the current minute. */
export function windowAt(now: number): { from: Date; to: Date } {
  const currentMinute = Math.floor(now / BUCKET_MS) * BUCKET_MS
  return { from: new Date(currentMinute - (BUCKETS - 1) * BUCKET_MS), to: new Date(currentMinute + BUCKET_MS) }
}

const width = 640
const height = 200
const margin = { top: 10, right: 8, bottom: 22, left: 32 }

export class ExitsChart {
  private buckets: Bucket[] = []
  private from = 0
  private exitType: ExitType | '' = ''

  constructor(
    private readonly svg: SVGSVGElement,
    private readonly totalsBody: HTMLTableSectionElement,
    private readonly summary: HTMLElement,
  ) {
    svg.setAttribute('viewBox', `0 0 ${width} ${height}`)
  }

  /** Replaces the counts with exitStats' answer. */
  show(stats: DashboardExitStatsQuery['exitStats']): void {
    this.from = Date.parse(stats.from)
    this.buckets = stats.buckets.map((bucket) => ({
      start: Date.parse(bucket.start),
      events: bucket.events,
      members: bucket.members,
      byType: new Map(bucket.byExitType.map((c) => [c.exitType, { events: c.events, members: c.members }])),
    }))
    this.render()
  }

  /** Counts one event that arrived live (until the next exitStats answer replaces the counts). */
  count(exit: ExitRowFragment): void {
    const at = Date.parse(exit.occurredAt)
    const bucket = this.buckets[Math.floor((at - this.from) / BUCKET_MS)]
    if (!bucket || at < bucket.start) return
    const members = exit.members.length
    bucket.events += 1
    bucket.members += members
    const byType = bucket.byType.get(exit.exitType) ?? { events: 0, members: 0 }
    bucket.byType.set(exit.exitType, { events: byType.events + 1, members: byType.members + members })
    this.render()
  }

  showOnly(exitType: ExitType | ''): void {
    this.exitType = exitType
    this.render()
  }

  clear(): void {
    this.buckets = []
    this.render()
  }

  private countOf(bucket: Bucket): Count {
    if (this.exitType === '') return bucket
    return bucket.byType.get(this.exitType) ?? { events: 0, members: 0 }
  }

  private render(): void {
    const counts = this.buckets.map((bucket) => this.countOf(bucket))
    const peak = Math.max(0, ...counts.map((c) => c.events))
    const top = niceCeiling(peak)
    const plotWidth = width - margin.left - margin.right
    const plotHeight = height - margin.top - margin.bottom
    const slot = plotWidth / BUCKETS
    const y = (value: number) => margin.top + plotHeight - (value / top) * plotHeight
    const types = this.exitType === '' ? exitTypes : [this.exitType]

    const grid = [0, top / 2, top].map((value) =>
      s(
        'g',
        { class: 'grid' },
        s('line', { x1: margin.left, x2: width - margin.right, y1: y(value), y2: y(value) }),
        s('text', { x: margin.left - 6, y: y(value) + 4, 'text-anchor': 'end' }, formatCount(value)),
      ),
    )
    const bars = this.buckets.map((bucket, index) => {
      const count = counts[index]
      const x = margin.left + index * slot + slot * 0.14
      const barWidth = slot * 0.72
      let base = 0
      const segments = types.flatMap((type) => {
        const events = bucket.byType.get(type)?.events ?? 0
        if (events === 0) return []
        const segment = s('rect', { class: `exit-${type.toLowerCase()}`, x, width: barWidth, y: y(base + events), height: y(base) - y(base + events) })
        base += events
        return [segment]
      })
      const label = `${formatMinute(new Date(bucket.start))}: ${plural(count.events, 'exit')}, ${plural(count.members, 'member')}`
      return s(
        'g',
        { class: 'bar', 'data-start': new Date(bucket.start).toISOString(), 'data-count': count.events, 'data-members': count.members },
        s('title', {}, label),
        // The whole slot answers to the pointer, so empty minutes have a tooltip too.
        s('rect', { class: 'slot', x: margin.left + index * slot, width: slot, y: margin.top, height: plotHeight }),
        ...segments,
      )
    })
    const axis =
      this.buckets.length > 0
        ? [0, 15, 30, 45, BUCKETS - 1].map((index) =>
            s(
              'text',
              { class: 'axis', x: margin.left + index * slot + slot / 2, y: height - 6, 'text-anchor': index === 0 ? 'start' : index === BUCKETS - 1 ? 'end' : 'middle' },
              formatMinute(new Date(this.buckets[index]?.start ?? 0)),
            ),
          )
        : []
    this.svg.replaceChildren(...grid, ...bars, ...axis)

    const totals = new Map<ExitType, Count>()
    for (const bucket of this.buckets) {
      for (const [type, count] of bucket.byType) {
        const sum = totals.get(type) ?? { events: 0, members: 0 }
        totals.set(type, { events: sum.events + count.events, members: sum.members + count.members })
      }
    }
    this.totalsBody.replaceChildren(
      ...exitTypes.map((type) => {
        const count = totals.get(type) ?? { events: 0, members: 0 }
        return h(
          'tr',
          { 'data-exit-type': type, class: [count.events === 0 ? 'zero' : '', this.exitType === type ? 'selected' : ''].join(' ').trim() || null },
          h('th', { scope: 'row' }, h('span', { class: `swatch exit-${type.toLowerCase()}`, 'aria-hidden': 'true' }), words(type)),
          h('td', {}, count.events),
          h('td', {}, count.members),
        )
      }),
    )
    const all = counts.reduce((sum, c) => ({ events: sum.events + c.events, members: sum.members + c.members }), { events: 0, members: 0 })
    const busiest = counts.reduce((best, c, i) => (c.events > (counts[best]?.events ?? 0) ? i : best), 0)
    this.summary.textContent =
      all.events === 0
        ? 'No exits in the last 60 minutes.'
        : `${plural(all.events, 'exit')} (${plural(all.members, 'member')}) in the last 60 minutes; the busiest minute, ${formatMinute(new Date(this.buckets[busiest].start))}, had ${counts[busiest].events}.`
  }
}

function niceCeiling(value: number): number {
  if (value <= 4) return 4
  const magnitude = 10 ** Math.floor(Math.log10(value))
  for (const step of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (step * magnitude >= value) return step * magnitude
  return 10 * magnitude
}

function formatCount(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1)
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`
}
