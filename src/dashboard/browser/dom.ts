// The only way the page makes elements: text goes in as text nodes and attribute values through
// setAttribute, so a name like `<img src=x onerror=alert(1)>` from the API is shown, never parsed.

export type Child = Node | string | number | null | undefined | false

type Attributes = Record<string, string | number | boolean | null | undefined>

function fill<E extends Element>(element: E, attributes: Attributes, children: Child[]): E {
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue
    element.setAttribute(name, value === true ? '' : String(value))
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue
    element.append(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child)
  }
  return element
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  return fill(document.createElement(tag), attributes, children)
}

const svgNamespace = 'http://www.w3.org/2000/svg'

export function s<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: Child[]): SVGElementTagNameMap[K] {
  return fill(document.createElementNS(svgNamespace, tag) as SVGElementTagNameMap[K], attributes, children)
}

/** The element with this id; the page's HTML is ours, so a missing one is a bug worth failing on. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id)
  if (!element) throw new Error(`the dashboard page has no #${id}`)
  return element as T
}

/** "QUIT" → "quit", "LEFT_BY_OWN_CHOICE" → "left by own choice". */
export function words(value: string): string {
  return value.toLowerCase().replace(/_/g, ' ')
}

export function personLabel(person: { uid: string; name: string }): string {
  return `${person.name} (${person.uid})`
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false })
const minuteFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', hour12: false })
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' })

export const formatTime = (date: Date): string => timeFormat.format(date)
export const formatMinute = (date: Date): string => minuteFormat.format(date)
export const formatDateTime = (date: Date): string => dateTimeFormat.format(date)
