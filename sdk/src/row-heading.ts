/**
 * A recommendation row's default heading. No DOM here, so that the shop's pages and a unit test can use the
 * same rule as `renderRow`.
 */
import type { RecommendationResponse } from './types.js'

const LEVEL_HEADINGS: Record<string, string> = {
  personal: 'Picked for you',
  session: 'Based on this visit',
}

/** Reasons that say shoppers buy the item (`popular` may be all-time, so no heading says "right now"). */
const POPULAR_KINDS = ['popular', 'trending']
/** Reasons that are the same for everyone and say nothing of the page: popular, trending, new. */
const GENERAL_KINDS = Object.freeze([...POPULAR_KINDS, 'new'])

/**
 * A row's heading, true of every item's reason whatever the server answers: "Popular with shoppers" only
 * when every item is popular or trending, "New in the shop" when every one is new, "Popular and new" for a mix
 * of those; "Often bought with this product" when every item is `bought_with_item`; "Often bought with your
 * items" when every one is `bought_together`; otherwise by level ("Picked for you", "Based on this visit"), and
 * "Suggestions" for an `off` row of mixed reasons. `within` names the category every item is in, if any
 * ("Popular in Candles"). Undefined for an empty row.
 *
 * @example rowHeadingFor({ level: 'off', items }) // 'Popular and new'
 */
export function rowHeadingFor(
  response: Pick<RecommendationResponse, 'level' | 'items'>,
  within?: string,
): string | undefined {
  if (response.items.length === 0) return undefined
  const kinds = new Set(response.items.map((i) => i.explanation.kind))
  const only = (allowed: readonly string[]) => [...kinds].every((k) => allowed.includes(k))
  const where = within === undefined ? undefined : `in ${within}`
  if (only(POPULAR_KINDS)) return `Popular ${where ?? 'with shoppers'}`
  if (only(['new'])) return `New ${where ?? 'in the shop'}`
  if (only(GENERAL_KINDS))
    return where === undefined ? 'Popular and new' : `Popular and new ${where}`
  if (only(['bought_with_item'])) return 'Often bought with this product'
  if (only(['bought_together'])) return 'Often bought with your items'
  return LEVEL_HEADINGS[response.level] ?? 'Suggestions'
}
