/**
 * Aggregated low ratings lower an item's weight for everyone (issue 21): the one rule, pure. An item's
 * recent ratings are shrunk towards the shop's mean rating (a Bayesian average with a prior worth
 * `PRIOR_RATINGS` ratings), and when that average falls below the shop's mean the item's score is
 * multiplied by their ratio, never below `MIN_RATING_FACTOR`. A few ratings barely move the average, so
 * the factor falls only as low ratings pile up: it grows with the evidence, not with one angry review.
 */

/** The window of ratings counted, in days. */
export const RATING_WINDOW_DAYS = 90
/**
 * Below this many ratings in the window an item is never down-weighted: five is the fewest at which a
 * "mostly low" majority (three of five) is more than one or two people, and a single shopper's low
 * rating already hides the item for that shopper.
 */
export const MIN_RATINGS = 5
/** The prior's weight, in ratings: the shop's mean counts as this many ratings of every item. */
export const PRIOR_RATINGS = 10
/** A rating at or below this is low (the same as the one that hides an item for its rater). */
export const LOW_RATING = 2
/** The most an item is down-weighted: its score keeps at least this share. */
export const MIN_RATING_FACTOR = 0.25

export interface ItemRatings {
  /** Ratings in the window. */
  count: number
  /** Their sum. */
  sum: number
  /** How many were low (at or below `LOW_RATING`). */
  low: number
}

/**
 * The factor (0 < factor <= 1) an item's recommendation score is multiplied by. 1 unless the item has at
 * least `MIN_RATINGS` ratings, mostly low (more than half), and a Bayesian average below the shop's mean.
 *
 * @example ratingFactor({ count: 20, sum: 24, low: 18 }, 4.2) // about 0.53: (10*4.2 + 24) / 30 / 4.2
 */
export function ratingFactor(item: ItemRatings, shopMean: number): number {
  if (item.count < MIN_RATINGS || item.low * 2 <= item.count || !(shopMean > 0)) return 1
  const bayesian = (PRIOR_RATINGS * shopMean + item.sum) / (PRIOR_RATINGS + item.count)
  if (bayesian >= shopMean) return 1
  return Math.max(MIN_RATING_FACTOR, bayesian / shopMean)
}
