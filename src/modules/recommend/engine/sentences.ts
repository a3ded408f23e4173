/**
 * The sentence each reason says, written to be literally true of the evidence the engine gives (see
 * `REASON_KINDS`). Here, beside the engine, so that the server (`explanations.ts`) and the browser SDK
 * (the `on_device` level) say the same words.
 */
import type { Recommendation } from './scoring.js'

/** What a sentence may say besides the evidence titles. */
export interface SentenceContext {
  readonly rec: Recommendation
  /** The recommended item's own category path. */
  readonly category: readonly string[]
  /** The answer's `category` filter. */
  readonly within: string | undefined
}

export const SENTENCES: Record<
  Recommendation['reason'],
  (evidence: string[], context: SentenceContext) => string
> = {
  buy_again: () => 'You bought this before.',
  looked_at: () => 'You looked at this before.',
  bought_together: (e) => `Often bought together with ${list(e)}, which you bought or looked at.`,
  bought_with_item: (e) => `Often bought together with ${list(e)}.`,
  similar_to_viewed: (e) => `Similar to ${list(e)}, which you looked at during this visit.`,
  popular: (_, { rec, within }) => {
    const where = within === undefined ? 'with shoppers' : `in ${lastPart(within.split('/'))}`
    return `Popular ${where}${rec.recent === true ? ' right now' : ''}.`
  },
  trending: () => 'More people have been buying this lately.',
  new: () => 'New in the shop.',
  new_in_category: (e, { category }) =>
    `New in ${lastPart(category)}, where you bought or looked at ${list(e)}.`,
}

function lastPart(path: readonly string[]): string {
  return path.at(-1) ?? 'the shop'
}

function list(titles: string[]): string {
  if (titles.length === 0) return 'items'
  if (titles.length === 1) return titles[0]!
  return `${titles.slice(0, -1).join(', ')} and ${titles.at(-1)!}`
}
