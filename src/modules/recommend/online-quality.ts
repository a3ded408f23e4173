/**
 * Online quality: what shoppers did with the answers they were shown. Every answer has a `recommId`; a
 * later view, cart or purchase event, or a "not this", that cites it and names one of that answer's
 * items counts for it. Figures are answers, never shoppers: an answer counts once per kind of action,
 * however often it is cited.
 *
 * A group (level x placement) with fewer than `MIN_ANSWERS` answers could let someone who knows who was
 * shown them learn what one person did, so such groups are merged into one `other` group; if that is
 * still too small its figures are withheld, and left out of the total too (so the total minus the shown
 * groups reveals nothing).
 */

import type { OnlineGroup, OnlineQuality } from './recommend.js'

export const MIN_ANSWERS = 10

/** What the log holds of one answer. */
export interface LoggedAnswer {
  level: string
  placement: string
  items: readonly string[]
}

/** Something that cites an answer: an event (view, cart, purchase) or "not this" feedback. */
export interface Citation {
  recommId: string
  action: 'view' | 'cart' | 'purchase' | 'not_interested'
  item: string
}

const ACTIONS = ['view', 'cart', 'purchase', 'not_interested'] as const
const FIELD = {
  view: 'viewed',
  cart: 'carted',
  purchase: 'purchased',
  not_interested: 'notInterested',
} as const

type Counts = Pick<OnlineGroup, 'answers' | 'viewed' | 'carted' | 'purchased' | 'notInterested'>

function emptyCounts(): Counts {
  return { answers: 0, viewed: 0, carted: 0, purchased: 0, notInterested: 0 }
}

function add(into: Counts, from: Counts): void {
  into.answers += from.answers
  for (const action of ACTIONS) into[FIELD[action]] += from[FIELD[action]]
}

function group(level: string, placement: string, counts: Counts): OnlineGroup {
  const rate = (n: number) =>
    counts.answers === 0 ? 0 : Math.round((n / counts.answers) * 1e4) / 1e4
  return {
    level,
    placement,
    ...counts,
    viewRate: rate(counts.viewed),
    cartRate: rate(counts.carted),
    purchaseRate: rate(counts.purchased),
    notInterestedRate: rate(counts.notInterested),
  }
}

/** An action taken on an answer: counted once per answer and kind of action. */
export interface AttributedAction {
  recommId: string
  action: Citation['action']
}

/**
 * The rule of attribution, in one place: a citation counts for the answer it names when the answer
 * showed the cited item, once per answer and kind of action. Citations of answers not in `cited` (out
 * of the window, or never logged) count for nothing.
 */
export function attribute(
  cited: ReadonlyMap<string, LoggedAnswer>,
  citations: readonly Citation[],
): { action: AttributedAction; answer: LoggedAnswer }[] {
  const out: { action: AttributedAction; answer: LoggedAnswer }[] = []
  const marked = new Set<string>()
  for (const citation of citations) {
    const answer = cited.get(citation.recommId)
    if (answer === undefined || !answer.items.includes(citation.item)) continue
    const mark = `${citation.action}\u0000${citation.recommId}`
    if (marked.has(mark)) continue
    marked.add(mark)
    out.push({ action: { recommId: citation.recommId, action: citation.action }, answer })
  }
  return out
}

/**
 * `answerCounts`: answers served in the window per level and placement; `cited`: the answers that
 * citations name (those outside the window are absent and their citations ignored).
 */
export function onlineQuality(input: {
  since: string
  until: string
  answerCounts: readonly { level: string; placement: string; answers: number }[]
  cited: ReadonlyMap<string, LoggedAnswer>
  citations: readonly Citation[]
  minAnswers?: number
}): OnlineQuality {
  const minAnswers = input.minAnswers ?? MIN_ANSWERS
  const key = (level: string, placement: string) => `${level}\u0000${placement}`
  const byGroup = new Map<string, Counts & { level: string; placement: string }>()
  for (const row of input.answerCounts) {
    const k = key(row.level, row.placement)
    const found = byGroup.get(k) ?? { level: row.level, placement: row.placement, ...emptyCounts() }
    found.answers += row.answers
    byGroup.set(k, found)
  }
  for (const { action, answer } of attribute(input.cited, input.citations)) {
    const counts = byGroup.get(key(answer.level, answer.placement))
    if (counts !== undefined) counts[FIELD[action.action]] += 1
  }

  const shown: OnlineGroup[] = []
  const other = emptyCounts()
  let merged = 0
  for (const counts of byGroup.values()) {
    if (counts.answers >= minAnswers) shown.push(group(counts.level, counts.placement, counts))
    else {
      add(other, counts)
      merged += 1
    }
  }
  shown.sort((a, b) => b.answers - a.answers || a.level.localeCompare(b.level))
  const withheld = { groups: 0, answers: 0 }
  if (merged > 0 && other.answers >= minAnswers) shown.push(group('other', 'other', other))
  else if (merged > 0) {
    withheld.groups = merged
    withheld.answers = other.answers
  }
  const total = emptyCounts()
  for (const g of shown) add(total, g)
  return {
    since: input.since,
    until: input.until,
    minAnswers,
    groups: shown,
    total: group('all', 'all', total),
    withheld,
  }
}
