/**
 * Reasons that mix: a row of six "You bought this before" in a row says less than a row whose
 * reasons alternate, but the ranking must not pay for it. So only near-ties move, and only within
 * the answer: the set of items is the one the scores chose (Recall@k of the answer is unchanged),
 * and an item moves ahead of a better-scored one only when its score is within `closeness` of it.
 */
import type { Recommendation } from './scoring.js'

export interface MixOptions {
  /** Longest run of one reason before a near-tie with another reason is taken instead. */
  readonly maxRun?: number
  /** Relative score gap that counts as a near-tie: b is taken before a when b >= (1 - closeness) a. */
  readonly closeness?: number
}

export const DEFAULT_MIX: Required<MixOptions> = Object.freeze({ maxRun: 2, closeness: 0.25 })

/**
 * `recs` (best first) reordered so that no more than `maxRun` items in a row share a reason where a
 * near-tie with another reason can break the run. Greedy: at each place the best remaining item is
 * taken, unless it would lengthen a run past `maxRun` and the best remaining item with another
 * reason scores within `closeness` of it. Returns a new array holding the same recommendations.
 *
 * @example
 * mixReasons(recs) // [buy_again 1.0, buy_again 0.99, bought_together 0.95, buy_again 0.98, ...]
 */
export function mixReasons(
  recs: readonly Recommendation[],
  options: MixOptions = {},
): Recommendation[] {
  const { maxRun, closeness } = { ...DEFAULT_MIX, ...options }
  const rest = [...recs]
  const out: Recommendation[] = []
  while (rest.length > 0) {
    let pick = 0
    const first = rest[0]!
    const run = out.slice(-maxRun)
    if (run.length === maxRun && run.every((r) => r.reason === first.reason)) {
      const other = rest.findIndex((r) => r.reason !== first.reason)
      if (other > 0 && rest[other]!.score >= (1 - closeness) * first.score) pick = other
    }
    out.push(rest.splice(pick, 1)[0]!)
  }
  return out
}
