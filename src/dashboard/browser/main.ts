// The dashboard page's script (bundled by src/dashboard/serve-dashboard.ts). One Session per
// connected token: the live subscription, the chart, the place filter and, for the app admin,
// the admin panels. Everything the API returns is put on the page as text (see dom.ts).
import './dashboard.css'
import {
  DashboardExitStatsDocument,
  DashboardLatestExitsDocument,
  DashboardPlaceDocument,
  DashboardRedeliverWebhookDocument,
  DashboardViewerDocument,
  DashboardWebhookEndpointsDocument,
  type DashboardExitStatsQuery,
  type DashboardPlaceQuery,
  type ExitRowFragment,
  type ExitType,
} from '../generated/graphql.js'
import { ApiError, httpApi, type Api } from './api.js'
import { renderTopPlaces, renderWebhookEndpoints } from './admin-panels.js'
import { ExitsChart, exitTypes, windowAt } from './chart.js'
import { byId, h, personLabel, words } from './dom.js'
import { ExitsTable } from './exits-table.js'
import { LiveExits, type LiveState, type Place } from './live.js'

/** sessionStorage only: the token lives as long as the tab, never in the URL or localStorage. */
const TOKEN_KEY = 'departures.dashboard.token'
/** Reading exitStats again after live events: at most this often. */
const STATS_SETTLE_MS = 500
const WEBHOOKS_POLL_MS = 5_000
const ROOM_POLL_MS = 10_000

const graphqlPath = document.querySelector<HTMLMetaElement>('meta[name="departures-graphql-path"]')?.content || '/graphql'
const endpoint = new URL(graphqlPath, location.href)
const wsUrl = endpoint.href.replace(/^http/, 'ws')

const ui = {
  tokenForm: byId<HTMLFormElement>('token-form'),
  token: byId<HTMLInputElement>('token'),
  connect: byId<HTMLButtonElement>('connect'),
  disconnect: byId<HTMLButtonElement>('disconnect'),
  status: byId('status'),
  message: byId('message'),
  intro: byId('intro'),
  board: byId('board'),
  who: byId('who'),
  exitType: byId<HTMLSelectElement>('exit-type'),
  placeForm: byId<HTMLFormElement>('place-form'),
  place: byId<HTMLInputElement>('place'),
  placeClear: byId<HTMLButtonElement>('place-clear'),
  placeInfo: byId('place-info'),
  topPlacesTemplate: byId<HTMLTemplateElement>('top-places-template'),
  webhooksTemplate: byId<HTMLTemplateElement>('webhooks-template'),
}

/** The app admin's panels, on the page only while an app admin's token is connected. */
interface AdminPanels {
  topPlaces: HTMLTableSectionElement
  topPlacesEmpty: HTMLElement
  webhooks: HTMLElement
  webhooksOutcome: HTMLElement
}

function mountAdminPanels(): AdminPanels {
  unmountAdminPanels()
  ui.topPlacesTemplate.after(ui.topPlacesTemplate.content.cloneNode(true))
  ui.webhooksTemplate.after(ui.webhooksTemplate.content.cloneNode(true))
  return {
    topPlaces: byId<HTMLTableSectionElement>('top-places'),
    topPlacesEmpty: byId('top-places-empty'),
    webhooks: byId('webhooks'),
    webhooksOutcome: byId('webhooks-outcome'),
  }
}

function unmountAdminPanels(): void {
  document.getElementById('top-places-panel')?.remove()
  document.getElementById('webhooks-panel')?.remove()
}

const table = new ExitsTable(byId<HTMLTableSectionElement>('exit-rows'), byId('exits-empty'))
const chart = new ExitsChart(byId('chart') as unknown as SVGSVGElement, byId<HTMLTableSectionElement>('totals'), byId('chart-summary'))

for (const type of exitTypes) ui.exitType.append(h('option', { value: type }, words(type)))

type Status = 'off' | LiveState | 'stopped'
const statusText: Record<Status, string> = { off: 'Not connected', live: 'Live', reconnecting: 'Reconnecting…', stopped: 'Stopped' }

function setStatus(status: Status): void {
  ui.status.textContent = statusText[status]
  ui.status.dataset.state = status
}

/** What the message says, so that a read that succeeds again can take back its own failure. */
let messageTopic: string | undefined

function showMessage(text: string | undefined, topic?: string): void {
  ui.message.textContent = text ?? ''
  ui.message.hidden = !text
  messageTopic = text ? topic : undefined
}

function clearMessage(topic: string): void {
  if (messageTopic === topic) showMessage(undefined)
}

interface PlaceDetails extends Place {
  name: string
}

class Session {
  private readonly live: LiveExits
  private place: PlaceDetails | undefined
  private webhooksTimer: number | undefined
  private statsTimer: number | undefined
  private statsRunning = false
  private statsAgain = false
  private placeTimer: number | undefined
  private rolloverTimer: number | undefined
  private closed = false
  /** Where the stream starts when the table shows nothing yet (see followAfter). */
  private startAfter: string | undefined
  /** The first read and subscription; a place is followed only after it. */
  private started: Promise<void> = Promise.resolve()
  /** The latest place asked for: an older request answered later is dropped. */
  private following = 0

  constructor(
    private readonly api: Api,
    token: string,
    /** Present for an app admin's token. */
    private readonly admin: AdminPanels | undefined,
  ) {
    this.live = new LiveExits(
      {
        wsUrl,
        token,
        onState: (state) => !this.closed && setStatus(state),
        onReconnected: () => this.refreshStats(),
        onExit: (exit) => this.onExit(exit),
        onStopped: (reason, tokenRefused) => {
          if (this.closed) return
          if (tokenRefused) return disconnect(reason)
          setStatus('stopped')
          showMessage(reason)
        },
      },
      () => table.lastId ?? this.startAfter,
    )
    this.rollOverAtNextMinute()
    if (admin) {
      this.webhooksTimer = window.setInterval(() => void this.refreshWebhooks(), WEBHOOKS_POLL_MS)
    }
  }

  /** The chart's window moves on at each minute's start. */
  private rollOverAtNextMinute(): void {
    this.rolloverTimer = window.setTimeout(() => {
      this.refreshStats()
      if (!this.closed) this.rollOverAtNextMinute()
    }, 60_000 - (Date.now() % 60_000) + 50)
  }

  start(): void {
    this.refreshStats()
    this.started = this.openOnLatest()
  }

  /** The newest exits the token sees, then the live stream from just after them. */
  private async openOnLatest(): Promise<void> {
    let latest: ExitRowFragment[] | undefined
    try {
      latest = await this.latestOf(undefined)
    } catch (error) {
      if (!this.closed) showMessage(`Could not read the latest exits: ${messageOf(error)}`, 'latest')
    }
    if (!this.closed) this.followAfter(undefined, latest)
  }

  /** memberLeftEvents(last: 50): the newest exits of a place or of everything the token sees, oldest first. */
  private async latestOf(place: Place | undefined): Promise<ExitRowFragment[]> {
    const { memberLeftEvents } = await this.api.request(DashboardLatestExitsDocument, {
      guid: place?.kind === 'group' ? place.id : undefined,
      chatRoomId: place?.kind === 'chatRoom' ? place.id : undefined,
      joined: !place && !this.admin ? true : undefined,
    })
    return memberLeftEvents
  }

  /**
   * Shows the exits read and subscribes from the newest of them, so an exit committed between
   * the read and the subscription is replayed, not lost. Read and found none: from the log's
   * start, which then holds none this token sees but those committed since. Not read (the read
   * failed): from now.
   */
  private followAfter(place: Place | undefined, latest: ExitRowFragment[] | undefined): void {
    table.clear()
    for (const exit of latest ?? []) table.add(exit, false)
    this.startAfter = latest && latest.length === 0 ? '0' : undefined
    this.live.follow(place, !this.admin)
  }

  close(): void {
    this.closed = true
    this.live.dispose()
    window.clearInterval(this.webhooksTimer)
    window.clearTimeout(this.statsTimer)
    window.clearTimeout(this.placeTimer)
    window.clearTimeout(this.rolloverTimer)
  }

  private onExit(exit: ExitRowFragment): void {
    if (this.closed || !table.add(exit)) return
    chart.count(exit)
    this.scheduleStats()
    if (this.place) this.schedulePlace()
  }

  /** exitStats again soon: the counts settle on the server's, whatever arrived meanwhile. */
  private scheduleStats(): void {
    if (this.statsTimer !== undefined) return
    this.statsTimer = window.setTimeout(() => {
      this.statsTimer = undefined
      this.refreshStats()
    }, STATS_SETTLE_MS)
  }

  refreshStats(): void {
    // One read at a time; events during a read ask for one more after it.
    if (this.statsRunning) {
      this.statsAgain = true
      return
    }
    this.statsRunning = true
    void this.readStats().finally(() => {
      this.statsRunning = false
      if (this.statsAgain && !this.closed) {
        this.statsAgain = false
        this.refreshStats()
      }
    })
  }

  private async readStats(): Promise<void> {
    const place = this.place
    try {
      const stats = await this.statsOf(place)
      if (this.closed || this.place !== place) return
      clearMessage('stats')
      this.showStats(stats)
    } catch (error) {
      if (!this.closed && this.place === place) showMessage(`Could not read the exit counts: ${messageOf(error)}`, 'stats')
    }
  }

  /** exitStats over the chart's window, for a place or for everything the token may see. */
  private async statsOf(place: Place | undefined): Promise<DashboardExitStatsQuery['exitStats']> {
    const { from, to } = windowAt(Date.now())
    const { exitStats } = await this.api.request(DashboardExitStatsDocument, {
      from: from.toISOString(),
      to: to.toISOString(),
      guid: place?.kind === 'group' ? place.id : undefined,
      chatRoomId: place?.kind === 'chatRoom' ? place.id : undefined,
      joined: !place && !this.admin ? true : undefined,
      withTopPlaces: this.admin !== undefined,
    })
    return exitStats
  }

  private showStats(stats: DashboardExitStatsQuery['exitStats']): void {
    chart.show(stats)
    if (this.admin && stats.topPlaces) renderTopPlaces(this.admin.topPlaces, this.admin.topPlacesEmpty, stats.topPlaces, (id) => void this.follow(id))
  }

  async refreshWebhooks(): Promise<void> {
    const panels = this.admin
    if (!panels) return
    try {
      const { webhookEndpoints } = await this.api.request(DashboardWebhookEndpointsDocument, {})
      if (!this.closed) renderWebhookEndpoints(panels.webhooks, webhookEndpoints, (id) => void this.redeliver(panels, id))
    } catch (error) {
      if (!this.closed) panels.webhooksOutcome.textContent = `Could not read the webhook endpoints: ${messageOf(error)}`
    }
  }

  private async redeliver(panels: AdminPanels, deliveryId: string): Promise<void> {
    panels.webhooksOutcome.textContent = `Sending delivery ${deliveryId} again…`
    try {
      const { redeliverWebhook: result } = await this.api.request(DashboardRedeliverWebhookDocument, { deliveryId })
      panels.webhooksOutcome.textContent =
        result.__typename === 'RedeliverWebhookPayload'
          ? `Delivery ${deliveryId} is queued again (${words(result.delivery.status)}).`
          : `Delivery ${deliveryId} was not sent again: ${result.message}`
    } catch (error) {
      panels.webhooksOutcome.textContent = `Delivery ${deliveryId} was not sent again: ${messageOf(error)}`
    }
    await this.refreshWebhooks()
  }

  /** Follows one group or chat room (or, with an empty id, everything the token may see). */
  async follow(id: string): Promise<void> {
    id = id.trim()
    ui.place.value = id
    const following = ++this.following
    await this.started
    let place: PlaceDetails | undefined
    let found: DashboardPlaceQuery | undefined
    let stats: DashboardExitStatsQuery['exitStats']
    let latest: ExitRowFragment[]
    try {
      if (id !== '') {
        found = await this.api.request(DashboardPlaceDocument, { id })
        place = placeOf(id, found)
        if (!place) {
          showPlace(undefined, `No group or chat room “${id}” that this token may see.`)
          return
        }
      }
      // Read first: a place the token may not follow (not a member) is refused here, and the
      // page goes on following what it followed.
      ;[stats, latest] = await Promise.all([this.statsOf(place), this.latestOf(place)])
    } catch (error) {
      if (!this.closed && following === this.following) showPlace(undefined, `“${id}” cannot be followed with this token: ${messageOf(error)}`)
      return
    }
    if (this.closed || following !== this.following) return
    this.place = place
    if (found) showPlace(found)
    else ui.placeInfo.replaceChildren()
    ui.placeClear.hidden = place === undefined
    showMessage(undefined)
    window.clearTimeout(this.placeTimer)
    if (place?.kind === 'chatRoom') this.pollRoom()
    this.showStats(stats)
    // Another stream: the table starts again from the place's newest exits.
    this.followAfter(place, latest)
  }

  private schedulePlace(): void {
    window.clearTimeout(this.placeTimer)
    this.placeTimer = window.setTimeout(() => void this.readPlace(), STATS_SETTLE_MS)
  }

  /** Online members change without exits: a chat room's counts are read again now and then. */
  private pollRoom(): void {
    this.placeTimer = window.setTimeout(() => void this.readPlace(), ROOM_POLL_MS)
  }

  private async readPlace(): Promise<void> {
    const place = this.place
    if (!place) return
    try {
      const found = await this.api.request(DashboardPlaceDocument, { id: place.id })
      if (this.place === place && !this.closed) showPlace(found, undefined, place.kind)
    } catch {
      // The next exit or poll tries again.
    }
    if (this.place === place && place.kind === 'chatRoom' && !this.closed) this.pollRoom()
  }
}

function placeOf(id: string, found: DashboardPlaceQuery): PlaceDetails | undefined {
  // An id may name a group and a room at once; the group wins, as the Place field says.
  if (found.group) return { kind: 'group', id, name: found.group.name }
  if (found.chatRoom) return { kind: 'chatRoom', id, name: found.chatRoom.name }
  return undefined
}

function showPlace(found: DashboardPlaceQuery | undefined, problem?: string, kind?: Place['kind']): void {
  if (!found) {
    ui.placeInfo.replaceChildren(h('p', { class: 'problem' }, problem ?? ''))
    return
  }
  const fact = (label: string, value: string | number) => h('div', {}, h('dt', {}, label), h('dd', {}, value))
  if (found.group && kind !== 'chatRoom') {
    const group = found.group
    ui.placeInfo.replaceChildren(
      h('p', { class: 'place-name' }, h('span', { class: 'kind' }, 'group'), ' ', group.name, ' ', h('code', {}, group.guid)),
      h('dl', { class: 'facts' }, fact('Members', group.membersCount), fact('Type', words(group.type)), group.dissolvedAt ? fact('Dissolved', new Date(group.dissolvedAt).toLocaleString()) : null),
    )
  } else if (found.chatRoom) {
    const room = found.chatRoom
    ui.placeInfo.replaceChildren(
      h('p', { class: 'place-name' }, h('span', { class: 'kind' }, 'chat room'), ' ', room.name, ' ', h('code', {}, room.id)),
      h('dl', { class: 'facts' }, fact('Members', room.membersCount), fact('Online', room.onlineMembersCount)),
    )
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

let session: Session | undefined

async function connect(rawToken: string): Promise<void> {
  const token = rawToken.trim().replace(/^Bearer\s+/i, '')
  if (token === '') {
    showMessage('Paste an access token first.')
    return
  }
  session?.close()
  session = undefined
  ui.connect.disabled = true
  showMessage(undefined)
  const api = httpApi(endpoint, token)
  try {
    const { me } = await api.request(DashboardViewerDocument, {})
    // webhookEndpoints is the app admin's only: a FORBIDDEN answer says this is a user's token.
    let admin = true
    try {
      await api.request(DashboardWebhookEndpointsDocument, {})
    } catch (error) {
      if (!(error instanceof ApiError && error.code === 'FORBIDDEN')) throw error
      admin = false
    }
    sessionStorage.setItem(TOKEN_KEY, token)
    ui.token.value = token
    ui.who.replaceChildren(
      admin ? h('span', { class: 'pill admin-pill' }, 'app admin') : h('span', { class: 'pill' }, 'user'),
      ' ',
      me ? `Signed in as ${personLabel(me)}` : 'Signed in with an app admin token that names no user',
      ' · ',
      admin ? 'following every exit' : 'following the exits of its groups and chat rooms, and its own',
    )
    const panels = admin ? mountAdminPanels() : undefined
    if (!admin) unmountAdminPanels()
    ui.intro.hidden = true
    ui.board.hidden = false
    ui.disconnect.hidden = false
    session = new Session(api, token, panels)
    table.clear()
    chart.clear()
    ui.place.value = ''
    ui.placeInfo.replaceChildren()
    ui.placeClear.hidden = true
    session.start()
    if (admin) void session.refreshWebhooks()
  } catch (error) {
    sessionStorage.removeItem(TOKEN_KEY)
    setStatus('off')
    showMessage(
      error instanceof ApiError && error.code === 'UNAUTHENTICATED'
        ? `This token was refused: ${error.message}. Make one for this server with npm run token -- <uid> [--admin].`
        : `Could not connect: ${messageOf(error)}`,
    )
  } finally {
    ui.connect.disabled = false
  }
}

function disconnect(reason?: string): void {
  session?.close()
  session = undefined
  sessionStorage.removeItem(TOKEN_KEY)
  ui.token.value = ''
  table.clear()
  chart.clear()
  ui.board.hidden = true
  ui.intro.hidden = false
  ui.disconnect.hidden = true
  unmountAdminPanels()
  setStatus('off')
  showMessage(reason)
}

ui.tokenForm.addEventListener('submit', (event) => {
  event.preventDefault()
  void connect(ui.token.value)
})
ui.disconnect.addEventListener('click', () => disconnect())
ui.exitType.addEventListener('change', () => {
  const type = ui.exitType.value as ExitType | ''
  table.showOnly(type)
  chart.showOnly(type)
})
ui.placeForm.addEventListener('submit', (event) => {
  event.preventDefault()
  void session?.follow(ui.place.value)
})
ui.placeClear.addEventListener('click', () => void session?.follow(''))

const kept = sessionStorage.getItem(TOKEN_KEY)
if (kept) void connect(kept)
