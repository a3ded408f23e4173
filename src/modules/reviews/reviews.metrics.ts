/**
 * The fairness and bias measures, pure: they take recommendation lists and what is known of the
 * catalog and of what was bought, and return figures. Nothing here knows where the lists came from,
 * so the served answers, the engine on a validation split and any other recommender (a test's biased
 * one) are measured by the same code.
 */
import type { ExposureMetrics } from './reviews.js'

/** What the measures know of the catalog: items (id -> top category) and which are new. */
export interface CatalogView {
  /** Every active item and its top-level category. */
  categoryOf: ReadonlyMap<string, string>
  /** Items first seen within the "new item" window. */
  newItems: ReadonlySet<string>
  /** Items of categories that hold few items (see `smallCategoryItems`). */
  smallCategoryItems: ReadonlySet<string>
  /** Purchases per item over the window (its popularity); items missing count 0. */
  purchases: ReadonlyMap<string, number>
}

/** One list to measure, with the history it was made for (for calibration), when known. */
export interface MeasuredList {
  items: readonly string[]
  history?: readonly string[]
}

/** Shopper groups smaller than this are merged into `other` (as online quality does, `MIN_ANSWERS`). */
export const MIN_GROUP = 10
/** A category with fewer items than this is "small". */
export const SMALL_CATEGORY_ITEMS = 5
/** An item first seen within this many days is "new". */
export const NEW_ITEM_DAYS = 30
/** Steck 2018 mixes a little of the history into the list's distribution so KL stays finite. */
export const CALIBRATION_ALPHA = 0.01

/**
 * Gini coefficient of exposure over every catalog item (items never shown count 0): 0 when every item
 * is shown equally often, towards 1 when all impressions go to one item.
 * Source: the Gini index of item exposure as used for recommendation concentration by Fleder and
 * Hosanagar, "Blockbuster Culture's Next Rise or Fall" (Management Science 55(5), 2009), and
 * Gunawardana and Shani, "Evaluating Recommender Systems" (Recommender Systems Handbook, 2015):
 * G = sum_i (2i - n - 1) x_(i) / (n sum_i x_(i)), values sorted ascending, i from 1.
 */
export function gini(values: readonly number[]): number {
  const n = values.length
  if (n === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  let total = 0
  let weighted = 0
  sorted.forEach((x, k) => {
    total += x
    weighted += (2 * (k + 1) - n - 1) * x
  })
  return total === 0 ? 0 : weighted / (n * total)
}

/**
 * The popularity percentile of every item (0 = least bought, 1 = most bought; ties share the mean
 * rank), over the catalog. Used for popularity bias: the mean percentile of what is recommended against
 * the mean percentile of what shoppers buy, after Abdollahpouri, Mansoury, Burke and Mobasher, "The
 * Unfairness of Popularity Bias in Recommendation" (RMSE workshop, RecSys 2019), whose group average
 * popularity compares the popularity of recommended items with that of the profile.
 */
export function popularityPercentiles(catalog: CatalogView): Map<string, number> {
  const items = [...catalog.categoryOf.keys()]
  const count = (id: string) => catalog.purchases.get(id) ?? 0
  items.sort((a, b) => count(a) - count(b))
  const out = new Map<string, number>()
  const n = items.length
  let k = 0
  while (k < n) {
    let end = k
    while (end + 1 < n && count(items[end + 1]!) === count(items[k]!)) end++
    const rank = n === 1 ? 1 : (k + end) / 2 / (n - 1)
    for (let j = k; j <= end; j++) out.set(items[j]!, rank)
    k = end + 1
  }
  return out
}

/** The category mix of a list of items (shares summing to 1; empty for none in the catalog). */
export function categoryMix(items: readonly string[], catalog: CatalogView): Map<string, number> {
  const mix = new Map<string, number>()
  let n = 0
  for (const item of items) {
    const category = catalog.categoryOf.get(item)
    if (category === undefined) continue
    mix.set(category, (mix.get(category) ?? 0) + 1)
    n++
  }
  for (const [category, count] of mix) mix.set(category, count / n)
  return mix
}

/**
 * Calibration: KL(p || q~), p the category mix of the shopper's history, q the mix of their list, and
 * q~ = (1 - alpha) q + alpha p so that a category the list lacks costs much but not infinitely.
 * Source: Steck, "Calibrated Recommendations" (RecSys 2018), equation (2) and the smoothing after it
 * (alpha = 0.01). 0 is perfectly calibrated; larger is a list further from the shopper's interests.
 */
export function calibrationKl(history: Map<string, number>, list: Map<string, number>): number {
  let kl = 0
  for (const [category, p] of history) {
    if (p <= 0) continue
    const q = (1 - CALIBRATION_ALPHA) * (list.get(category) ?? 0) + CALIBRATION_ALPHA * p
    kl += p * Math.log(p / q)
  }
  return kl
}

/**
 * Recall@k of one list against the held-out items: the share of held-out items the top k holds.
 * Source: the standard top-N recall (Cremonesi, Koren and Turrin, "Performance of Recommender
 * Algorithms on Top-N Recommendation Tasks", RecSys 2010).
 */
export function recallAt(list: readonly string[], heldOut: ReadonlySet<string>, k = 20): number {
  if (heldOut.size === 0) return 0
  let hits = 0
  for (const item of list.slice(0, k)) if (heldOut.has(item)) hits++
  return hits / heldOut.size
}

const round = (x: number) => Math.round(x * 1e4) / 1e4

/**
 * Every item-side measure of a set of lists. Coverage is catalog coverage, the share of the catalog
 * recommended at least once (Ge, Delgado-Battenfeld and Jannach, "Beyond Accuracy: Evaluating
 * Recommender Systems by Coverage and Serendipity", RecSys 2010).
 */
export function exposureMetrics(
  lists: readonly MeasuredList[],
  catalog: CatalogView,
): ExposureMetrics {
  const impressionsOf = new Map<string, number>()
  let impressions = 0
  let onNew = 0
  let onSmall = 0
  const percentile = popularityPercentiles(catalog)
  let popularitySum = 0
  let klSum = 0
  let klLists = 0
  for (const list of lists) {
    for (const item of list.items) {
      if (!catalog.categoryOf.has(item)) continue
      impressions++
      impressionsOf.set(item, (impressionsOf.get(item) ?? 0) + 1)
      if (catalog.newItems.has(item)) onNew++
      if (catalog.smallCategoryItems.has(item)) onSmall++
      popularitySum += percentile.get(item) ?? 0
    }
    if (list.history !== undefined && list.history.length > 0) {
      const p = categoryMix(list.history, catalog)
      if (p.size > 0) {
        klSum += calibrationKl(p, categoryMix(list.items, catalog))
        klLists++
      }
    }
  }
  const catalogSize = catalog.categoryOf.size
  const exposure = [...catalog.categoryOf.keys()].map((id) => impressionsOf.get(id) ?? 0)
  let bought = 0
  let boughtPercentile = 0
  for (const [item, count] of catalog.purchases) {
    if (!catalog.categoryOf.has(item)) continue
    bought += count
    boughtPercentile += count * (percentile.get(item) ?? 0)
  }
  const share = (part: number, whole: number) => (whole === 0 ? 0 : round(part / whole))
  return {
    lists: lists.length,
    impressions,
    coverage: share(impressionsOf.size, catalogSize),
    gini: round(gini(exposure)),
    newItemShare: share(onNew, impressions),
    newItemCatalogShare: share(catalog.newItems.size, catalogSize),
    smallCategoryShare: share(onSmall, impressions),
    smallCategoryCatalogShare: share(catalog.smallCategoryItems.size, catalogSize),
    popularityRecommended: share(popularitySum, impressions),
    popularityBought: share(boughtPercentile, bought),
    calibrationKl: klLists === 0 ? null : round(klSum / klLists),
  }
}
