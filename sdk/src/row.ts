import { rowHeadingFor } from './row-heading.js'
import type { Evidence, RecommendationResponse, RecommendedItem } from './types.js'

export interface RowOptions {
  /** The row's heading; by default one that says whether the row is personal. */
  heading?: string
  /** Where an item's title links to. Default: the item's `links.page` / `links.self`, else none. */
  href?: (item: RecommendedItem) => string | undefined
  /** "Not this" was pressed; the item has already left the row. */
  onNotThis?: (item: RecommendedItem, response: RecommendationResponse) => void | Promise<void>
  /** "Stop personalizing" was pressed. */
  onStopPersonalizing?: () => void | Promise<void>
  /** An item's title link was followed (before the browser leaves the page). */
  onPick?: (item: RecommendedItem, response: RecommendationResponse) => void
  /** A picture for an item, shown above its title (decorative: give it an empty `alt`). */
  picture?: (item: RecommendedItem) => Node | undefined
  /** More of an item under its reason: a price, an "Add to basket" button. */
  extra?: (item: RecommendedItem) => Node | undefined
  /**
   * Where "Why?" links to for more (the privacy center's `#why-<item>`), from the answer's `links.why`
   * (relative to Candor); set by the Candor instance to its endpoint. `false`: no link.
   */
  whyLink?: false | ((why: string) => string)
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag)
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value)
  node.append(...children)
  return node
}

/** One evidence entry in plain words, whatever shape the server gave it. */
export function describeEvidence(entry: Evidence): string {
  if (typeof entry === 'string') return entry
  // The document says `{id, title}`; other fields are read too, so an older or newer server still reads.
  const evidence = entry
  for (const key of ['text', 'sentence', 'description', 'label', 'title']) {
    const value = evidence[key]
    if (typeof value === 'string' && value !== '') {
      const at = evidence.at ?? evidence.timestamp
      return typeof at === 'string' ? `${value} (${at.slice(0, 10)})` : value
    }
  }
  return Object.entries(evidence)
    .filter(([, v]) => typeof v === 'string' || typeof v === 'number')
    .map(([k, v]) => `${k}: ${String(v)}`)
    .join(', ')
}

function defaultHref(item: RecommendedItem): string | undefined {
  // The document lists no page link yet; a server that sends one (`page`, `self` or `html`) is followed.
  const links = item.links
  if (links === undefined) return undefined
  const href = links.page ?? links.self ?? links.html
  return typeof href === 'string' ? href : undefined
}

let rowCount = 0

/** An item's "Why?": the reason, its evidence, and a link to the privacy center's explanation. */
function whyDetails(item: RecommendedItem, options: RowOptions): HTMLElement {
  const evidence = el('ul', { class: 'candor-evidence' })
  for (const entry of item.explanation.evidence)
    evidence.append(el('li', {}, describeEvidence(entry)))
  if (item.explanation.evidence.length === 0)
    evidence.append(el('li', {}, 'No personal data was used.'))
  const why = el(
    'details',
    { class: 'candor-why' },
    el('summary', {}, 'Why?'),
    el('p', {}, item.explanation.sentence),
    evidence,
  )
  const whyHref = item.links?.why
  if (options.whyLink !== false && typeof whyHref === 'string')
    why.append(
      el(
        'a',
        { href: options.whyLink?.(whyHref) ?? whyHref, class: 'candor-why-link' },
        'More in your privacy center',
      ),
    )
  return why
}

/**
 * Renders a recommendation row into `container`: each item with its explanation sentence, a "Why?"
 * disclosure listing the evidence and a "Not this" button, and, when the row is personal or from this
 * visit, one "Stop personalizing" button for the whole row (it turns personalization off everywhere, so
 * it belongs to no one item). Plain DOM, no framework; every string goes in as text, never as HTML.
 */
export function renderRow(
  container: Element,
  response: RecommendationResponse,
  options: RowOptions = {},
): HTMLElement {
  rowCount++
  const headingId = `candor-row-${rowCount}`
  // A personal level with only general reasons (a shopper we know little about yet) is not "for you".
  const heading = options.heading ?? rowHeadingFor(response) ?? 'Suggestions'
  const list = el('ul', { class: 'candor-items' })
  const section = el(
    'section',
    {
      class: 'candor-row',
      'aria-labelledby': headingId,
      'data-level': response.level,
      'data-recomm-id': response.recommId,
    },
    el('h2', { id: headingId, class: 'candor-heading' }, heading),
    list,
  )
  if (response.level !== 'off') {
    const stop = el('button', { type: 'button', class: 'candor-stop' }, 'Stop personalizing')
    stop.addEventListener('click', () => void options.onStopPersonalizing?.())
    section.append(
      el(
        'p',
        { class: 'candor-row-actions' },
        stop,
        el('span', { class: 'candor-stop-note' }, ' Suggestions become the same for everyone.'),
      ),
    )
  }
  if (response.items.length === 0)
    list.append(el('li', { class: 'candor-empty' }, 'Nothing to suggest yet.'))

  for (const item of response.items) {
    const href = (options.href ?? defaultHref)(item)
    const title = href === undefined ? el('span', {}, item.title) : el('a', { href }, item.title)
    title.addEventListener('click', () => options.onPick?.(item, response))
    const why = whyDetails(item, options)
    const notThis = el('button', { type: 'button', class: 'candor-not-this' }, 'Not this')
    const actions = el('div', { class: 'candor-actions' }, notThis)
    const picture = options.picture?.(item)
    const extra = options.extra?.(item)
    const li = el(
      'li',
      { class: 'candor-item', 'data-item': item.id, 'data-kind': item.explanation.kind },
      ...(picture === undefined ? [] : [picture]),
      el('h3', { class: 'candor-title' }, title),
      el('p', { class: 'candor-sentence' }, item.explanation.sentence),
      ...(extra === undefined ? [] : [extra]),
      why,
      actions,
    )
    notThis.setAttribute('aria-label', `Not this: ${item.title}`)
    notThis.addEventListener('click', () => {
      const next = li.nextElementSibling ?? li.previousElementSibling
      li.remove()
      const focusable = next?.querySelector<HTMLElement>('a, button')
      focusable?.focus()
      void options.onNotThis?.(item, response)
    })
    list.append(li)
  }

  container.replaceChildren(section)
  return section
}
