/**
 * What a recommendation row of the demo shop is called. Pure (no DOM), so that a unit test can hold it to
 * its promise: a heading says only what every item in the row is.
 */
import type { RecommendationResponse } from '../../sdk/src/types.js'
import type { Product } from './api.js'

/** Reasons that are the same for everyone. */
const GENERAL = new Set(['popular', 'new', 'trending'])

/** What the page is about, which the row is asked for and named after. */
export interface RowContext {
  placement: 'home' | 'category' | 'product' | 'cart'
  /** The product on the page. */
  product?: Product
  /** The category on the page: its title, which is its path in Candor's catalog. */
  category?: string
  /** Items not to suggest (the basket). */
  exclude?: readonly string[]
}

/**
 * The row's heading, from the reasons its items actually carry, so that it stays true whatever the server
 * answers: "Bought together with ..." only when every item was, "Popular in ..." only when every item is a
 * general pick from that category; otherwise by level (the SDK's headings).
 */
export function rowHeading(
  answer: Pick<RecommendationResponse, 'level' | 'items'>,
  context: RowContext,
): string | undefined {
  const kinds = new Set(answer.items.map((i) => i.explanation.kind))
  if (answer.items.length === 0) return undefined
  if (kinds.size === 1 && kinds.has('bought_together'))
    return context.product === undefined
      ? 'Bought together with what you chose'
      : 'Bought together with this product'
  const general = [...kinds].every((k) => GENERAL.has(k))
  if (general && context.category !== undefined) {
    const inCategory = answer.items.every(
      (i) =>
        Array.isArray(i.category) && (i.category as unknown[]).some((c) => c === context.category),
    )
    if (inCategory) return `Popular in ${context.category}`
  }
  if (general) return 'Popular right now'
  if (answer.level === 'session') return 'Based on this visit'
  if (answer.level === 'personal') return 'Picked for you'
  // Not personal, yet not all popular either (some bought together with the product, say).
  return context.product === undefined ? 'Suggestions' : 'Suggestions for this product'
}
