/**
 * Scoring at the three personalisation levels, with an explanation per item and the guards the
 * service needs (the `off` level lives in `off-level.ts`, the guards in `guards.ts` and the
 * per-model constants in `model-constants.ts`; all re-exported here). Everything here reads the
 * model and the arguments only: a subject's history is passed in, so a new event reaches the next
 * recommendation without retraining.
 */
import type { History } from './interactions.js'
import { easeScores, easeWeight } from './ease.js'
import { binarySearch, type ItemModel } from './item-model.js'
import { type Guards, isHidden, type ScoreOptions, skipMask } from './guards.js'
import { mixReasons } from './mix.js'
import { constantsOf, popularityPrior, scaleToMax } from './model-constants.js'
import type { PersonalParams, SessionParams } from './params.js'
import { selectTopK } from './top-k.js'

export type { PersonalParams, SessionParams } from './params.js'
export { DEFAULT_PERSONAL_PARAMS } from './params.js'
export { type Guards, isHidden, type ScoreOptions, skipMask } from './guards.js'
export { popularityPrior, scorePopular, scoreTrending, tieBreaks } from './model-constants.js'
export { type NonPersonalOptions, recommendNonPersonal, scoreNew } from './off-level.js'

const DAY_MS = 86_400_000

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

function usable(model: ItemModel, guards: Guards | undefined, i: number): boolean {
  return i >= 0 && i < model.nItems && guards?.excluded?.[i] !== 1
}

/** Adds `weight(i) * W_ij` for every neighbour j of every source item i. */
function accumulateNeighbours(
  model: ItemModel,
  sources: Int32Array,
  sourceWeights: Float64Array,
  out: Float64Array,
): void {
  const { ptr, cols, weights } = model.neighbours
  for (let k = 0; k < sources.length; k++) {
    const i = sources[k]!
    const h = sourceWeights[k]!
    for (let p = ptr[i]!; p < ptr[i + 1]!; p++) out[cols[p]!]! += h * weights[p]!
  }
}

export interface PersonalOptions extends ScoreOptions {
  /** Reference time (ms) for the repeat decay; usually now. */
  readonly now: number
  /** Overrides of the model's own `scoring.personal`. */
  readonly params?: Partial<PersonalParams>
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
 * What one shopper's history gives the personal level before any weighting, sparse: the repeat
 * score R of each history item (unscaled) and the neighbour score N of every item it reaches
 * (unscaled). Scoring (`scorePersonal`) and tuning (`tune.ts`) both start from these.
 */
export interface PersonalParts {
  readonly historyItems: Int32Array
  /** R per history item (same order), before scaling. */
  readonly repeat: Float64Array
  /** Per history item (same order): 1 when the shopper bought it (see `History.bought`). */
  readonly bought?: Uint8Array
  /** Items with N > 0, and N. */
  readonly neighbourItems: Int32Array
  readonly neighbourValues: Float64Array
}

/** The repeat score R of each distinct usable history item (unscaled), and those items in first-seen order. */
export function repeatScores(
  model: ItemModel,
  history: History,
  now: number,
  params: PersonalParams,
  guards: Guards | undefined,
): { items: Int32Array; repeat: Float64Array; last: Float64Array; bought: Uint8Array } {
  const boughtItems = new Set<number>()
  const lastDay = new Map<number, number>()
  const lastTime = new Map<number, number>()
  const sums = new Map<number, number>()
  const tau = params.repeatTauDays * DAY_MS
  const perEvent = params.repeatUnit === 'event'
  for (let p = 0; p < history.items.length; p++) {
    const i = history.items[p]!
    const t = history.times[p]!
    const w = Math.min(1, history.weights?.[p] ?? 1)
    if (!usable(model, guards, i) || !(t <= now) || !(w > 0)) continue
    if (!(t <= (lastTime.get(i) ?? -Infinity))) lastTime.set(i, t)
    if (history.bought === undefined || history.bought[p] === 1) boughtItems.add(i)
    const day = Math.floor(t / DAY_MS)
    const seen = lastDay.get(i)
    if (seen === day && !perEvent) continue
    lastDay.set(i, day)
    // A view counts less than a purchase: the event weight scales its repeat contribution.
    sums.set(i, (sums.get(i) ?? 0) + w * (tau > 0 ? Math.exp(-(now - t) / tau) : 1))
  }
  const items = Int32Array.from(sums.keys())
  const repeat = new Float64Array(items.length)
  const bought = Uint8Array.from(items, (i) => (boughtItems.has(i) ? 1 : 0))
  // A hidden reason drops the repeat score of the items it would explain; they stay neighbour sources.
  const hideBought = isHidden(guards, 'buy_again')
  const hideLooked = isHidden(guards, 'looked_at')
  items.forEach((i, a) => {
    if (bought[a] === 1 ? hideBought : hideLooked) return
    const c = model.itemSubjects[i]!
    const propensity = (model.repeatSubjects[i]! + 1) / (c + 5)
    const share = (model.recentSubjects[i]! + 1) / (c + 5)
    repeat[a] =
      sums.get(i)! *
      Math.pow(propensity, params.repeatPropensityExponent) *
      Math.pow(share, params.recentShareExponent)
  })
  return { items, repeat, last: Float64Array.from(items, (i) => lastTime.get(i)!), bought }
}

/**
 * The neighbour score N of the items reached from `sources` (each weighing 1), sparse and sorted by
 * item. `scratch` (zeros, length nItems) may be passed to save an allocation; it is left zeroed.
 */
export function neighbourScores(
  model: ItemModel,
  sources: Int32Array,
  sourceWeights?: Float64Array,
  scratch: Float64Array = new Float64Array(model.nItems),
): { items: Int32Array; values: Float64Array } {
  const { ptr, cols, weights } = model.neighbours
  const touched: number[] = []
  for (let k = 0; k < sources.length; k++) {
    const i = sources[k]!
    const h = sourceWeights?.[k] ?? 1
    for (let p = ptr[i]!; p < ptr[i + 1]!; p++) {
      const j = cols[p]!
      // Weights are above 0, so a touched item never reads 0 again.
      if (scratch[j] === 0) touched.push(j)
      scratch[j]! += h * weights[p]!
    }
  }
  const items = Int32Array.from(touched).sort()
  const values = Float64Array.from(items, (j) => scratch[j]!)
  for (const j of touched) scratch[j] = 0
  return { items, values }
}

/**
 * The neighbour score N of a shopper's history: the item neighbours' score, and with a share
 * `easeWeight` > 0 of a model that has an EASE component, (1 - easeWeight) x that score + easeWeight x
 * the EASE score, each scaled to a maximum of 1 first. Sparse, sorted by item, every value above 0.
 */
export function historyNeighbours(
  model: ItemModel,
  sources: Int32Array,
  sourceWeights: Float64Array | undefined,
  easeShare: number,
  scratch?: Float64Array,
  /** `neighbourScores` of the same sources, when known (tuning reuses it across candidates). */
  knn?: { items: Int32Array; values: Float64Array },
): { items: Int32Array; values: Float64Array } {
  const nb = knn ?? neighbourScores(model, sources, sourceWeights, scratch)
  if (!(easeShare > 0) || model.ease === undefined) return nb
  const e = easeScores(model.ease, sources, sourceWeights)
  let maxA = 0
  let maxB = 0
  for (const v of nb.values) if (v > maxA) maxA = v
  for (const v of e.values) if (v > maxB) maxB = v
  const wa = maxA > 0 ? (1 - easeShare) / maxA : 0
  const wb = maxB > 0 ? easeShare / maxB : 0
  // Merge of two sorted sparse vectors; entries that weigh 0 (easeShare 1) are left out.
  const items: number[] = []
  const values: number[] = []
  let a = 0
  let b = 0
  while (a < nb.items.length || b < e.items.length) {
    const ia = a < nb.items.length ? nb.items[a]! : Infinity
    const ib = b < e.items.length ? e.items[b]! : Infinity
    let v = 0
    const i = Math.min(ia, ib)
    if (ia === i) v += wa * nb.values[a++]!
    if (ib === i) v += wb * e.values[b++]!
    if (v > 0) {
      items.push(i)
      values.push(v)
    }
  }
  return { items: Int32Array.from(items), values: Float64Array.from(values) }
}

/**
 * How much each history item counts as a source of neighbours: exp(-age of its last event / tau),
 * or 1 each when tau is 0 (undefined then: every source weighs 1).
 */
export function sourceWeights(
  last: Float64Array,
  now: number,
  tauDays: number,
): Float64Array | undefined {
  if (!(tauDays > 0)) return undefined
  return Float64Array.from(last, (t) => Math.exp(-(now - t) / (tauDays * DAY_MS)))
}

/** A shopper's sparse personal evidence (see `PersonalParts`). */
export function personalParts(
  model: ItemModel,
  history: History,
  options: Omit<PersonalOptions, 'limit'>,
): PersonalParts {
  const params = { ...model.scoring.personal, ...options.params }
  const { items, repeat, last, bought } = repeatScores(
    model,
    history,
    options.now,
    params,
    options.guards,
  )
  const nb = historyNeighbours(
    model,
    items,
    sourceWeights(last, options.now, params.sourceTauDays),
    params.easeWeight,
  )
  return {
    historyItems: items,
    repeat,
    bought,
    neighbourItems: nb.items,
    neighbourValues: nb.values,
  }
}

/**
 * How a shopper's parts become scores under one parameter set: the scale factors of R, N and P.
 * Item i then scores `repeatOf(R_i) + neighbourOf(N_i) + popularityOf(i)`.
 */
export interface PersonalScale {
  readonly repeat: number
  readonly neighbour: number
  readonly popularity: number
  /** The popularity prior P, scaled to a maximum of 1 (shared, read-only). */
  readonly prior: Float64Array
}

/** The maxima that scale N and O for one shopper: they depend on the neighbour and prior weights only. */
export interface OtherMaxima {
  readonly neighbour: number
  readonly other: number
}

export function otherMaxima(
  model: ItemModel,
  parts: Pick<PersonalParts, 'neighbourItems' | 'neighbourValues'>,
  params: PersonalParams,
  guards: Guards | undefined,
): OtherMaxima {
  const prior = popularityPrior(model, params.popularityRecent)
  let maxN = 0
  if (!isHidden(guards, 'bought_together'))
    for (const v of parts.neighbourValues) if (v > maxN) maxN = v
  const nbw = maxN > 0 ? params.neighbourWeight / maxN : 0
  const pw = isHidden(guards, 'popular') ? 0 : params.popularityWeight
  // O's maximum: outside N's items O is pw * P <= pw (P's maximum is 1).
  let maxO = pw
  for (let k = 0; k < parts.neighbourItems.length; k++) {
    const o = nbw * parts.neighbourValues[k]! + pw * prior[parts.neighbourItems[k]!]!
    if (o > maxO) maxO = o
  }
  return { neighbour: maxN, other: maxO }
}

/** `maxima` may be passed when known (tuning reuses them across repeat parameters). */
export function personalScale(
  model: ItemModel,
  parts: PersonalParts,
  params: PersonalParams,
  guards: Guards | undefined,
  maxima: OtherMaxima = otherMaxima(model, parts, params, guards),
): PersonalScale {
  const prior = popularityPrior(model, params.popularityRecent)
  // Hidden repeat reasons are already 0 in R (see `repeatScores`).
  let maxR = 0
  for (const r of parts.repeat) if (r > maxR) maxR = r
  const nbw = maxima.neighbour > 0 ? params.neighbourWeight / maxima.neighbour : 0
  const pw = isHidden(guards, 'popular') ? 0 : params.popularityWeight
  const ow = maxima.other > 0 ? params.otherWeight / maxima.other : 0
  return {
    repeat: maxR > 0 ? params.repeatWeight / maxR : 0,
    neighbour: ow * nbw,
    popularity: ow * pw,
    prior,
  }
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
  for (let i = 0; i < n; i++) {
    popularity[i] = scale.popularity * scale.prior[i]!
    total[i] = repeat[i]! + neighbour[i]! + popularity[i]! + ties[i]!
  }
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
 * The up-to-3 source items with the largest W_ij into `j`, strongest first; when none links to `j`
 * and `ease` is set (the score came from EASE), those with the largest positive EASE weight B_ij.
 */
function neighbourEvidence(
  model: ItemModel,
  sources: Int32Array,
  j: number,
  ease = false,
): Int32Array {
  const { ptr, cols, weights } = model.neighbours
  const found: { i: number; w: number }[] = []
  for (const i of sources) {
    if (i === j) continue
    const p = binarySearch(cols, ptr[i]!, ptr[i + 1]!, j)
    if (p >= 0) found.push({ i, w: weights[p]! })
  }
  if (found.length === 0 && ease && model.ease !== undefined) {
    // Items others bought with j first (S_ij > 0); B_ij can be positive without that.
    const co = model.cooccurrence
    for (const i of sources) {
      const w = i === j ? 0 : easeWeight(model.ease, i, j)
      const together = binarySearch(co.cols, co.ptr[i]!, co.ptr[i + 1]!, j) >= 0
      if (w > 0) found.push({ i, w: together ? w + 1e9 : w })
    }
  }
  found.sort((a, b) => b.w - a.w || a.i - b.i)
  return Int32Array.from(found.slice(0, 3), (f) => f.i)
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

/** Session items with weights: the most recent distinct item weighs 1, each earlier one `decay` times less. */
function sessionSources(
  model: ItemModel,
  session: ArrayLike<number>,
  guards: Guards | undefined,
  decay: number,
): { items: Int32Array; weights: Float64Array } {
  const seen = new Set<number>()
  const items: number[] = []
  for (let k = session.length - 1; k >= 0; k--) {
    const i = session[k]!
    if (!usable(model, guards, i) || seen.has(i)) continue
    seen.add(i)
    items.push(i)
  }
  return {
    items: Int32Array.from(items),
    weights: Float64Array.from(items, (_, k) => Math.pow(decay, k)),
  }
}

/** How many of the `off` answer's items a session answer mixes in (by rank, see `SessionOptions.off`). */
export const SESSION_OFF_DEPTH = 100

export interface SessionOptions extends ScoreOptions {
  /** Overrides of the model's own `scoring.session`. */
  readonly params?: Partial<SessionParams>
  /**
   * The `off` answer for the same guards, best first (from `recommendNonPersonal`, at least
   * `SESSION_OFF_DEPTH` long where there are that many): its first `SESSION_OFF_DEPTH` items score
   * offWeight x (1 - rank / SESSION_OFF_DEPTH). Without it the off part is 0.
   */
  readonly off?: readonly Recommendation[]
}

/** The session score split in its two parts: neighbours of this visit's items, and the `off` answer. */
function sessionParts(
  model: ItemModel,
  session: ArrayLike<number>,
  options: Omit<SessionOptions, 'limit'>,
): { neighbour: Float64Array; off: Float64Array; sources: Int32Array } {
  const params = { ...model.scoring.session, ...options.params }
  const neighbour = new Float64Array(model.nItems)
  const off = new Float64Array(model.nItems)
  const src = sessionSources(model, session, options.guards, params.recencyDecay)
  if (!isHidden(options.guards, 'similar_to_viewed')) {
    accumulateNeighbours(model, src.items, src.weights, neighbour)
    scaleToMax(neighbour, params.neighbourWeight)
  }
  const list = options.off ?? []
  if (params.offWeight > 0)
    for (let rank = 0; rank < Math.min(list.length, SESSION_OFF_DEPTH); rank++)
      off[list[rank]!.item] = params.offWeight * (1 - rank / SESSION_OFF_DEPTH)
  return { neighbour, off, sources: src.items }
}

/**
 * Scores every item from this session's items only (oldest first) and the `off` answer, nothing else
 * about the visitor: neighbourWeight x scaled neighbours + offWeight x off rank score.
 */
export function scoreSession(
  model: ItemModel,
  session: ArrayLike<number>,
  options: Omit<SessionOptions, 'limit'> = {},
): Float64Array {
  const { neighbour, off } = sessionParts(model, session, options)
  for (let i = 0; i < neighbour.length; i++) neighbour[i]! += off[i]!
  return neighbour
}

/**
 * Recommendations at the `session` level: neighbours of the items touched in this visit
 * (`similar_to_viewed`, evidence: the session items linking to it) and, as far as the model's
 * training chose, the `off` answer's items with their own reasons; topped up with popular items.
 */
export function recommendSession(
  model: ItemModel,
  session: ArrayLike<number>,
  options: SessionOptions,
): Recommendation[] {
  const { neighbour, off, sources } = sessionParts(model, session, options)
  const skip = skipMask(model, options.guards)
  const total = new Float64Array(model.nItems)
  for (let i = 0; i < total.length; i++) total[i] = neighbour[i]! + off[i]!
  const offRecs = new Map((options.off ?? []).map((r) => [r.item, r]))
  const out = Array.from(
    selectTopK(total, options.limit, { skip, floor: 0 }),
    (j): Recommendation =>
      neighbour[j]! >= off[j]!
        ? {
            item: j,
            score: total[j]!,
            reason: 'similar_to_viewed',
            evidence: neighbourEvidence(model, sources, j),
          }
        : // The `off` answer's own explanation, evidence included (the page's item, say).
          { ...offRecs.get(j)!, score: total[j]! },
  )
  return fillWithPopular(model, mixReasons(out), options.limit, skip, options.guards)
}

function fillWithPopular(
  model: ItemModel,
  out: Recommendation[],
  limit: number,
  skip: Uint8Array,
  guards: Guards | undefined,
): Recommendation[] {
  if (out.length >= limit || isHidden(guards, 'popular')) return out
  const taken = new Set(out.map((r) => r.item))
  const { popularRank } = constantsOf(model)
  for (let r = 0; r < popularRank.length && out.length < limit; r++) {
    const j = popularRank[r]!
    if (skip[j] === 1 || taken.has(j)) continue
    const recent = model.recentSubjects[j]! > 0
    out.push({ item: j, score: 0, reason: 'popular', evidence: new Int32Array(0), recent })
  }
  return out
}
