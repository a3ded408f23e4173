/**
 * Scoring at the three personalisation levels, with an explanation per item and the guards the
 * service needs. Everything here reads the model and the arguments only: a subject's history is
 * passed in, so a new event reaches the next recommendation without retraining.
 *
 * This file holds the reasons an item is shown and the `personal` level. The shopper's evidence and
 * its scaling are in `personal-parts.ts`, the `session` level in `session-level.ts`, the `off` level
 * in `off-level.ts`, the explanations and top-ups the levels share in `evidence.ts`, the guards in
 * `guards.ts` and the per-model constants in `model-constants.ts`; all re-exported here.
 */
import type { History } from './interactions.js'
import { fillWithPopular, neighbourEvidence } from './evidence.js'
import type { ItemModel } from './item-model.js'
import { type ScoreOptions, skipMask } from './guards.js'
import { mixReasons } from './mix.js'
import { constantsOf } from './model-constants.js'
import type { PersonalParams } from './params.js'
import { personalParts, personalScale } from './personal-parts.js'
import { selectTopK } from './top-k.js'

export type { PersonalParams, SessionParams } from './params.js'
export { DEFAULT_PERSONAL_PARAMS } from './params.js'
export { type Guards, isHidden, type ScoreOptions, skipMask } from './guards.js'
export { popularityPrior, scorePopular, scoreTrending, tieBreaks } from './model-constants.js'
export { type NonPersonalOptions, recommendNonPersonal, scoreNew } from './off-level.js'
export {
  historyNeighbours,
  neighbourScores,
  otherMaxima,
  personalParts,
  personalScale,
  repeatScores,
  sourceWeights,
  type OtherMaxima,
  type PersonalParts,
  type PersonalScale,
} from './personal-parts.js'
export {
  recommendSession,
  scoreSession,
  SESSION_OFF_DEPTH,
  type SessionOptions,
} from './session-level.js'

/**
 * Why an item is shown. Each one must be literally true of its evidence: `buy_again` only for items the
 * shopper bought, `looked_at` for items they only looked at (viewed or put in a basket),
 * `bought_together` and `similar_to_viewed` name items the shopper has, `bought_with_item` names the
 * product on the page, `new_in_category` names the shopper's items in the new item's category.
 */
export const REASON_KINDS = Object.freeze([
  'bought_together',
  'similar_to_viewed',
  'buy_again',
  'popular',
  'new',
  'trending',
  'looked_at',
  'bought_with_item',
  'new_in_category',
] as const)
export type ReasonKind = (typeof REASON_KINDS)[number]

export interface Recommendation {
  readonly item: number
  /** Comparable within one answer only. */
  readonly score: number
  readonly reason: ReasonKind
  /**
   * History or session items that contributed most (up to 3, strongest first); the page's item for
   * `bought_with_item`; empty for the other non-personal reasons.
   */
  readonly evidence: Int32Array
  /**
   * `popular` only: true when the popularity that chose it is the recent window's (the model's
   * `recentDays`) and the item had shoppers in it, so "right now" is true of it; false when it was
   * chosen by all-time popularity.
   */
  readonly recent?: boolean
}

export interface PersonalOptions extends ScoreOptions {
  /** Reference time (ms) for the repeat decay; usually now. */
  readonly now: number
  /** Overrides of the model's own `scoring.personal`. */
  readonly params?: Partial<PersonalParams>
  /** Per-item multipliers of the score (the rating weight, `rating-weight.ts`); absent items: 1. */
  readonly itemFactors?: ItemFactors
}

/** Sparse per-item multipliers: `factors[k]` for item `items[k]`, every other item 1. */
export interface ItemFactors {
  readonly items: Int32Array
  readonly factors: Float64Array
}

/** `ItemFactors` of [item, factor] pairs. */
export function itemFactorsFrom(pairs: readonly (readonly [number, number])[]): ItemFactors {
  return {
    items: Int32Array.from(pairs, ([i]) => i),
    factors: Float64Array.from(pairs, ([, f]) => f),
  }
}

/** Full score vectors of the personal level, for evaluation and for callers that rank themselves. */
export interface PersonalScores {
  /** Repeat component: repeatWeight x R (0 when hidden or no history). */
  readonly repeat: Float64Array
  /** Neighbour component of otherWeight x O. */
  readonly neighbour: Float64Array
  /** Popularity component of otherWeight x O. */
  readonly popularity: Float64Array
  /** repeat + neighbour + popularity, plus a tiny popularity term that breaks ties and fills the tail. */
  readonly total: Float64Array
  /** Distinct usable history items, in first-seen order. */
  readonly historyItems: Int32Array
  /** Per history item (same order): 1 when the shopper bought it, 0 when they only looked at it. */
  readonly historyBought: Uint8Array
}

/**
 * Scores every item for one subject at the `personal` level (see `PersonalParams` for the formula):
 * a repeat-purchase score, the item-to-item neighbour score of the subject's history and a
 * popularity prior, weighted as the model's training chose.
 */
export function scorePersonal(
  model: ItemModel,
  history: History,
  options: Omit<PersonalOptions, 'limit'>,
): PersonalScores {
  const params = { ...model.scoring.personal, ...options.params }
  const parts = personalParts(model, history, options)
  const scale = personalScale(model, parts, params, options.guards)
  const n = model.nItems
  const repeat = new Float64Array(n)
  const neighbour = new Float64Array(n)
  const popularity = new Float64Array(n)
  parts.historyItems.forEach((i, a) => (repeat[i] = scale.repeat * parts.repeat[a]!))
  parts.neighbourItems.forEach(
    (j, k) => (neighbour[j] = scale.neighbour * parts.neighbourValues[k]!),
  )
  const total = new Float64Array(n)
  const { ties } = constantsOf(model)
  for (let i = 0; i < n; i++) popularity[i] = scale.popularity * scale.prior[i]!
  // The rating weight scales every part alike, so an item's reason stays the one its parts give.
  const f = options.itemFactors
  f?.items.forEach((i, k) => {
    repeat[i]! *= f.factors[k]!
    neighbour[i]! *= f.factors[k]!
    popularity[i]! *= f.factors[k]!
  })
  for (let i = 0; i < n; i++) total[i] = repeat[i]! + neighbour[i]! + popularity[i]! + ties[i]!
  return {
    repeat,
    neighbour,
    popularity,
    total,
    historyItems: parts.historyItems,
    historyBought: parts.bought ?? new Uint8Array(parts.historyItems.length).fill(1),
  }
}

/**
 * Recommendations at the `personal` level, explained by the component that gives an item most of
 * its score: `buy_again` when the shopper bought it and `looked_at` when they only looked at it
 * (evidence: the item itself), `bought_together` (evidence: the history items with the strongest
 * links to it) or `popular`. Near-ties are ordered so that reasons mix (`mixReasons`). Tops up with
 * popular items when the history gives too few.
 *
 * @example
 * recommendPersonal(model, history, { now: Date.now(), limit: 10, guards: { excluded, blocked } })
 */
export function recommendPersonal(
  model: ItemModel,
  history: History,
  options: PersonalOptions,
): Recommendation[] {
  const scores = scorePersonal(model, history, options)
  const skip = skipMask(model, options.guards)
  const signal = new Float64Array(model.nItems)
  for (let i = 0; i < signal.length; i++)
    signal[i] = scores.repeat[i]! + scores.neighbour[i]! + scores.popularity[i]!
  const top = selectTopK(signal, options.limit, { skip, floor: 0 })
  const bought = new Set<number>()
  scores.historyItems.forEach((i, a) => {
    if (scores.historyBought[a] === 1) bought.add(i)
  })
  const params = { ...model.scoring.personal, ...options.params }
  // "Right now" is true of a popular item only when recent popularity weighs most in the prior.
  const recentPrior = params.popularityRecent >= 0.5
  const out: Recommendation[] = []
  for (const j of top) {
    const r = scores.repeat[j]!
    const nb = scores.neighbour[j]!
    const score = scores.total[j]!
    if (r >= nb && r >= scores.popularity[j]!) {
      // R > 0 only for history items: the shopper bought this, or at least looked at it.
      const reason = bought.has(j) ? 'buy_again' : 'looked_at'
      out.push({ item: j, score, reason, evidence: Int32Array.of(j) })
    } else if (nb >= scores.popularity[j]!) {
      const evidence = neighbourEvidence(model, scores.historyItems, j, params.easeWeight > 0)
      out.push({ item: j, score, reason: 'bought_together', evidence })
    } else {
      const recent = recentPrior && model.recentSubjects[j]! > 0
      out.push({ item: j, score, reason: 'popular', evidence: new Int32Array(0), recent })
    }
  }
  return fillWithPopular(model, mixReasons(out), options.limit, skip, options.guards)
}
