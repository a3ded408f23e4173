/**
 * Cold start through the catalog: an item nobody's history holds yet has no neighbours, so the
 * history-based levels could never show it. It may still take a bounded place in the answer of a
 * shopper whose own items are in its category, explained by those items ("New in Candles, where
 * you looked at Candle holder"). Bounded twice: only items with no shoppers in the model (listed in
 * the last `newDays`), and at most `newInCategorySlots(limit)` places, at the end of the answer.
 * Benchmarks pass no categories, so their figures cannot move.
 */
import type { ItemModel } from './item-model.js'
import { type Guards, isHidden, skipMask } from './guards.js'
import type { Recommendation } from './scoring.js'

const DAY_MS = 86_400_000

/** How recently an item must have been listed to count as new, in days (`newDays`' default). */
export const NEW_IN_CATEGORY_DAYS = 30

export interface NewInCategoryOptions {
  /** Category per item (-1: none), numbered as the caller likes (the service: the full category path). */
  readonly categoryOf: Int32Array
  /** When each item was listed (ms; NaN: unknown), as for `scoreNew`. */
  readonly firstSeen: Float64Array
  readonly now: number
  /** How recently listed an item must be (default 30 days). */
  readonly newDays?: number
  readonly limit: number
  readonly guards?: Guards
}

/** Places for new items in an answer of `limit`: none below 3, then one per 5 items (at least one). */
export function newInCategorySlots(limit: number): number {
  return limit < 3 ? 0 : Math.max(1, Math.floor(limit / 5))
}

/**
 * `recs` with up to `newInCategorySlots(limit)` of its last places given to new items (no shoppers
 * in the model, listed within `newDays`) in the categories of the shopper's own `sources` (history or
 * visit items, oldest first), newest first, as `new_in_category` with the shopper's most recent items
 * of that category as evidence (up to 3). Excluded sources never count.
 *
 * @example
 * addNewInCategory(model, recommendPersonal(model, history, opts), history.items, { categoryOf, firstSeen, now, limit })
 */
export function addNewInCategory(
  model: ItemModel,
  recs: readonly Recommendation[],
  sources: ArrayLike<number>,
  options: NewInCategoryOptions,
): Recommendation[] {
  const { categoryOf, firstSeen, now, limit, guards } = options
  const slots = newInCategorySlots(limit)
  if (slots === 0 || isHidden(guards, 'new_in_category')) return [...recs]
  // The shopper's items per category, most recent first.
  const mine = new Map<number, number[]>()
  for (let k = sources.length - 1; k >= 0; k--) {
    const i = sources[k]!
    if (i < 0 || i >= model.nItems || guards?.excluded?.[i] === 1) continue
    const c = categoryOf[i] ?? -1
    if (c < 0) continue
    const list = mine.get(c) ?? []
    if (!list.includes(i)) list.push(i)
    mine.set(c, list)
  }
  if (mine.size === 0) return [...recs]
  const skip = skipMask(model, guards)
  const taken = new Set(recs.map((r) => r.item))
  const from = now - (options.newDays ?? NEW_IN_CATEGORY_DAYS) * DAY_MS
  const candidates: number[] = []
  for (let i = 0; i < model.nItems; i++) {
    const t = firstSeen[i] ?? Number.NaN
    if (model.itemSubjects[i] !== 0 || !(t > from && t <= now)) continue
    if (skip[i] === 1 || guards?.excluded?.[i] === 1 || taken.has(i)) continue
    if (mine.has(categoryOf[i] ?? -1)) candidates.push(i)
  }
  candidates.sort((a, b) => firstSeen[b]! - firstSeen[a]! || a - b)
  const cold = candidates.slice(0, slots)
  const keep = Math.min(recs.length, limit - cold.length)
  return [
    ...recs.slice(0, keep),
    ...cold.map((i) => ({
      item: i,
      score: 0,
      reason: 'new_in_category' as const,
      evidence: Int32Array.from(mine.get(categoryOf[i]!)!.slice(0, 3)),
    })),
  ]
}
