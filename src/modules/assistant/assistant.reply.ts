/**
 * The assistant's answer from its parts, as pure functions: the catalog's hits ranked with the
 * recommender's suggestions at the shopper's level, each item's explanation, and the reply's sentences
 * (what was found, and what was used, which differs between levels only where consent allows).
 */
import type { Item } from '../catalog/index.js'
import type { PersonalizationLevel } from '../consent/index.js'
import type { Budget, ParsedRequest } from './assistant.parse.js'
import type { SearchHit } from './assistant.search.js'
import type { AssistantItem } from './assistant.js'

/** One of the recommender's suggestions at the answer's level, best first. */
export interface Suggestion {
  readonly id: string
  readonly explanation: AssistantItem['explanation']
}

/**
 * How much the recommender's order counts against relevance: the best suggestion adds half of the
 * best match's relevance, so a suggestion lifts an item among the matches but never brings in one
 * that does not match.
 */
export const SUGGESTION_WEIGHT = 0.5

const SYMBOLS: Record<string, string> = { GBP: '£', EUR: '€', USD: '$' }

/** A price as the shop shows it: its currency's sign when known, two decimals. */
export function money(value: number, currency: string | undefined): string {
  const sign = SYMBOLS[currency ?? 'GBP']
  return sign === undefined ? `${value.toFixed(2)} ${currency}` : `${sign}${value.toFixed(2)}`
}

/** "under £20", "between £5.00 and £10.00", "over £30.00". */
function budgetPhrase(budget: Budget, currency: string | undefined): string {
  const m = (v: number) => money(v, currency)
  if (budget.min !== undefined && budget.max !== undefined)
    return `between ${m(budget.min)} and ${m(budget.max)}`
  if (budget.max !== undefined) return `up to ${m(budget.max)}`
  return `from ${m(budget.min!)}`
}

/**
 * The hits in the order shown: relevance (scaled to the best hit) plus `SUGGESTION_WEIGHT` times the
 * item's place among the suggestions (1 for the first, towards 0 for the last, 0 when absent). At `off`
 * the suggestions are the shop's popular, trending and new items (nothing about the shopper), at
 * `session` this visit's, at `personal` the shopper's history's: the only place the level enters.
 */
export function rankHits(
  hits: readonly SearchHit<Item>[],
  suggestions: readonly Suggestion[],
  limit: number,
): { hit: SearchHit<Item>; suggestion: Suggestion | undefined }[] {
  const best = Math.max(0, ...hits.map((h) => h.score))
  const place = new Map(suggestions.map((s, i) => [s.id, i]))
  return hits
    .map((hit, order) => {
      const i = place.get(hit.item.id)
      const lift = i === undefined ? 0 : 1 - i / suggestions.length
      const relevance = best > 0 ? hit.score / best : 0
      return {
        hit,
        order,
        score: relevance + SUGGESTION_WEIGHT * lift,
        suggestion: i === undefined ? undefined : suggestions[i],
      }
    })
    .sort((a, b) => b.score - a.score || a.order - b.order)
    .slice(0, limit)
    .map(({ hit, suggestion }) => ({ hit, suggestion }))
}

/** An item as the answer shows it: the recommender's explanation, or what of the request it matches. */
export function itemOf(
  hit: SearchHit<Item>,
  suggestion: Suggestion | undefined,
  request: ParsedRequest,
): AssistantItem {
  const { item } = hit
  const words = hit.matched.length > 0 ? `matches “${hit.matched.join('”, “')}”` : undefined
  const within =
    request.budget === undefined || item.price === undefined
      ? undefined
      : `is ${money(item.price, item.currency)}, ${budgetPhrase(request.budget, item.currency)}`
  const match = [words, within].filter((p) => p !== undefined).join(' and ')
  return {
    id: item.id,
    title: item.title,
    price: item.price ?? null,
    category: item.category,
    explanation: suggestion?.explanation ?? {
      kind: 'matches_request',
      sentence: `It ${match === '' ? 'fits what you asked for' : match}.`,
      evidence: [],
    },
    match: match === '' ? 'fits what you asked for' : `It ${match}.`,
  }
}

/**
 * What the ranking used, in plain words, with why (the level's reason): "only what you searched for"
 * at `off`, this visit at `session`, "your past orders" only at `personal`.
 */
export function usedSentence(level: PersonalizationLevel, levelReason: string): string {
  const why = levelReason.replace(/^[a-z_]+: /, '')
  if (level === 'personal')
    return `I used what you asked for and your past orders and views here (${why}).`
  if (level === 'session')
    return `I used what you asked for and what you looked at during this visit, nothing from before it (${why}).`
  return `I used only what you searched for and what sells well in the shop, nothing about you (${why}).`
}

/** The reply: what was found (or that nothing was), then what was used. */
export function replyText(
  request: ParsedRequest,
  items: readonly AssistantItem[],
  currency: string | undefined,
  used: string,
): string {
  const forWhom = request.recipient === undefined ? '' : ` for ${article(request.recipient)}`
  const occasion =
    request.occasion === undefined || request.occasion === 'gift' ? '' : ` ${request.occasion}`
  const within = request.budget === undefined ? '' : ` ${budgetPhrase(request.budget, currency)}`
  const kind =
    request.occasion === undefined
      ? 'ideas'
      : `${occasion.trim() === '' ? '' : `${occasion.trim()} `}gift ideas`
  if (items.length === 0) {
    const words = request.terms.length === 0 ? '' : ` matching “${request.terms.join(' ')}”`
    return `I found nothing in the shop${words}${within}. Try other words or a wider budget. ${used}`
  }
  const listed = items
    .map((i) => (i.price === null ? i.title : `${i.title} (${money(i.price, currency)})`))
    .join('; ')
  return `Here ${items.length === 1 ? 'is one' : `are ${items.length}`} ${items.length === 1 ? kind.replace(/s$/, '') : kind}${forWhom}${within}: ${listed}. ${used}`
}

/** "a tea lover", "an apple fan", "your mum". */
function article(recipient: string): string {
  if (
    !/ (lover|lovers|fan|fans|addict|enthusiast|enthusiasts|fanatic|nut|drinker|drinkers|maker|makers)$/.test(
      recipient,
    )
  )
    return `your ${recipient}`
  return `${/^[aeiou]/.test(recipient) ? 'an' : 'a'} ${recipient}`
}
