// The app admin's panels: the places most members left in the last hour, and the webhook
// endpoints with their delivery counts and dead deliveries (each with a Redeliver button).
import type { DashboardExitStatsQuery, DashboardWebhookEndpointsQuery } from '../generated/graphql.js'
import { formatDateTime, formatTime, h, words } from './dom.js'

type TopPlaces = NonNullable<DashboardExitStatsQuery['exitStats']['topPlaces']>
type Endpoints = DashboardWebhookEndpointsQuery['webhookEndpoints']

export function renderTopPlaces(body: HTMLTableSectionElement, empty: HTMLElement, places: TopPlaces, follow: (id: string) => void): void {
  body.replaceChildren(
    ...places.map((place) => {
      const id = place.groupGuid ?? place.chatRoomId ?? ''
      return h(
        'tr',
        {},
        h('td', {}, h('span', { class: 'kind' }, place.groupGuid ? 'group' : 'room'), ' ', h('code', {}, id)),
        h('td', { class: 'number' }, place.members),
        h('td', { class: 'number' }, place.events),
        h('td', {}, followButton(id, follow)),
      )
    }),
  )
  empty.hidden = places.length > 0
}

function followButton(id: string, follow: (id: string) => void): HTMLButtonElement {
  const button = h('button', { type: 'button', class: 'link', 'aria-label': `Follow ${id}` }, 'Follow')
  button.addEventListener('click', () => follow(id))
  return button
}

/** `redeliver` sends one again and reads the endpoints anew (which re-renders this panel). */
export function renderWebhookEndpoints(container: HTMLElement, endpoints: Endpoints, redeliver: (deliveryId: string) => void): void {
  if (endpoints.length === 0) {
    container.replaceChildren(h('p', { class: 'muted' }, 'No webhook endpoints.'))
    return
  }
  container.replaceChildren(
    ...endpoints.map((endpoint) => {
      const dead = endpoint.deliveries.edges.flatMap((edge) => (edge ? [edge.node] : []))
      return h(
        'article',
        { class: 'endpoint', 'data-endpoint-id': endpoint.id },
        h(
          'header',
          {},
          h('code', { class: 'url' }, endpoint.url),
          h('span', { class: endpoint.enabled ? 'pill on' : 'pill off' }, endpoint.enabled ? 'enabled' : 'disabled'),
        ),
        h(
          'dl',
          { class: 'counts' },
          h('div', {}, h('dt', {}, 'pending'), h('dd', {}, endpoint.deliveryCounts.pending)),
          h('div', {}, h('dt', {}, 'succeeded'), h('dd', {}, endpoint.deliveryCounts.succeeded)),
          h('div', { class: endpoint.deliveryCounts.dead > 0 ? 'alarm' : null }, h('dt', {}, 'dead'), h('dd', {}, endpoint.deliveryCounts.dead)),
        ),
        dead.length === 0
          ? null
          : h(
              'table',
              { class: 'dead', 'aria-label': `Dead deliveries to ${endpoint.url}` },
              h(
                'thead',
                {},
                h('tr', {}, h('th', { scope: 'col' }, 'Delivery'), h('th', { scope: 'col' }, 'Event'), h('th', { scope: 'col' }, 'Attempts'), h('th', { scope: 'col' }, 'Last error'), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Action'))),
              ),
              h(
                'tbody',
                {},
                ...dead.map((delivery) => {
                  const at = new Date(delivery.event.occurredAt)
                  const button = h('button', { type: 'button', 'data-delivery-id': delivery.id }, 'Redeliver')
                  button.addEventListener('click', () => {
                    button.disabled = true
                    redeliver(delivery.id)
                  })
                  return h(
                    'tr',
                    { 'data-delivery-id': delivery.id },
                    h('td', {}, h('code', {}, delivery.id)),
                    h(
                      'td',
                      {},
                      h('code', {}, delivery.event.id),
                      ' ',
                      words(delivery.event.exitType),
                      ' ',
                      h('time', { datetime: delivery.event.occurredAt, title: formatDateTime(at) }, formatTime(at)),
                    ),
                    h('td', { class: 'number' }, delivery.attempts),
                    h('td', { class: 'error-text' }, delivery.lastError ?? (delivery.lastStatusCode ? `HTTP ${delivery.lastStatusCode}` : '—')),
                    h('td', {}, button),
                  )
                }),
              ),
            ),
      )
    }),
  )
}
