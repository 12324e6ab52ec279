// The "Live exits" table: newest first, each event once (by id, whatever the stream replays).
import type { ExitRowFragment, ExitType } from '../generated/graphql.js'
import { formatDateTime, formatTime, h, personLabel, words } from './dom.js'

/** Rows kept on the page; older ones are dropped from the bottom. */
const MAX_ROWS = 500
/** Members listed in a row before the rest is folded away. */
const MEMBERS_SHOWN = 8

export class ExitsTable {
  private readonly seen = new Set<string>()
  private exitType: ExitType | '' = ''
  /** The id of the newest event shown: where a resumed subscription starts. */
  lastId: string | undefined

  constructor(
    private readonly body: HTMLTableSectionElement,
    private readonly empty: HTMLElement,
  ) {}

  /** Shows an event at the top; false when it was shown already. `arriving`: highlight it as new. */
  add(exit: ExitRowFragment, arriving = true): boolean {
    if (this.seen.has(exit.id)) return false
    this.seen.add(exit.id)
    this.lastId = exit.id
    const row = rowOf(exit)
    if (!arriving) row.classList.remove('fresh')
    row.hidden = this.exitType !== '' && exit.exitType !== this.exitType
    this.body.prepend(row)
    while (this.body.rows.length > MAX_ROWS) {
      const last = this.body.rows[this.body.rows.length - 1]
      this.seen.delete(last.dataset.eventId ?? '')
      last.remove()
    }
    this.updateEmpty()
    return true
  }

  clear(): void {
    this.seen.clear()
    this.lastId = undefined
    this.body.replaceChildren()
    this.updateEmpty()
  }

  showOnly(exitType: ExitType | ''): void {
    this.exitType = exitType
    for (const row of Array.from(this.body.rows)) row.hidden = exitType !== '' && row.dataset.exitType !== exitType
    this.updateEmpty()
  }

  private updateEmpty(): void {
    const visible = Array.from(this.body.rows).some((row) => !row.hidden)
    this.empty.hidden = visible
  }
}

function rowOf(exit: ExitRowFragment): HTMLTableRowElement {
  const at = new Date(exit.occurredAt)
  const row = h(
    'tr',
    { 'data-event-id': exit.id, 'data-exit-type': exit.exitType, class: 'fresh' },
    h('td', { class: 'event-id' }, exit.id),
    h('td', {}, h('time', { datetime: exit.occurredAt, title: formatDateTime(at) }, formatTime(at))),
    h('td', {}, h('span', { class: `badge exit-${exit.exitType.toLowerCase()}` }, words(exit.exitType))),
    h('td', { class: 'reason' }, exit.reason ? words(exit.reason) : '—'),
    h('td', {}, placeOf(exit)),
    h('td', {}, membersOf(exit.members)),
    h('td', {}, exit.operator ? personLabel(exit.operator) : h('span', { class: 'muted' }, 'system')),
  )
  return row
}

function placeOf(exit: ExitRowFragment): HTMLElement {
  if (exit.groupGuid) {
    return h('span', { class: 'place' }, h('span', { class: 'kind' }, 'group'), ' ', exit.group?.name ?? exit.groupGuid, ' ', h('code', {}, exit.groupGuid))
  }
  if (exit.chatRoomId) {
    return h('span', { class: 'place' }, h('span', { class: 'kind' }, 'room'), ' ', exit.chatRoom?.name ?? exit.chatRoomId, ' ', h('code', {}, exit.chatRoomId))
  }
  return h('span', { class: 'muted' }, '—')
}

function membersOf(members: ExitRowFragment['members']): HTMLElement {
  const item = (member: { uid: string; name: string }) => h('li', {}, member.name, ' ', h('code', {}, member.uid))
  const list = h('ul', { class: 'members' }, ...members.slice(0, MEMBERS_SHOWN).map(item))
  if (members.length <= MEMBERS_SHOWN) return list
  const rest = members.slice(MEMBERS_SHOWN)
  return h(
    'div',
    {},
    list,
    h('details', {}, h('summary', {}, `and ${rest.length} more`), h('ul', { class: 'members' }, ...rest.map(item))),
  )
}
