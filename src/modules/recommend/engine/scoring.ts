/**
 * Scoring at the three personalisation levels, with an explanation per item and the guards the
 * service needs. Everything here reads the model and the arguments only: a subject's history is
 * passed in, so a new event reaches the next recommendation without retraining.
 */
import type { History } from './interactions.js'
import { binarySearch, type ItemModel } from './item-model.js'
import { selectTopK } from './top-k.js'

const DAY_MS = 86_400_000

export const REASON_KINDS = Object.freeze([
  'bought_together',
  'similar_to_viewed',
  'buy_again',
  'popular',
  'new',
  'trending',
] as const)
export type ReasonKind = (typeof REASON_KINDS)[number]

export interface Recommendation {
  readonly item: number
  /** Comparable within one answer only. */
  readonly score: number
  readonly reason: ReasonKind
  /** History or session items that contributed most (up to 3, strongest first); empty for non-personal reasons. */
  readonly evidence: Int32Array
}

/** What may be used and shown. All masks have one byte per item; 1 means "applies". */
export interface Guards {
  /** Special-category items: never model input, never evidence (ignored in history and session). */
  readonly excluded?: Uint8Array
  /** Items never to recommend (out of stock, special category without consent, ...). */
  readonly blocked?: Uint8Array
  /** This subject's "not this" feedback. */
  readonly hiddenItems?: ArrayLike<number>
  /** Reason kinds this subject asked not to see; their score component is dropped. */
  readonly hiddenReasons?: readonly ReasonKind[]
  /** Items not to show in this answer (the product on the page, items in the cart). */
  readonly context?: ArrayLike<number>
}

export interface PersonalParams {
  /** Decay (days) of a repeat purchase's weight with its age. */
  readonly repeatTauDays: number
  /** Exponent on the item's repeat propensity (subjects who rebought it / subjects who bought it). */
  readonly repeatPropensityExponent: number
  /** Exponent on the item's recent share (subjects in the recent window / all its subjects). */
  readonly recentShareExponent: number
  /** Weight of the neighbour score against the repeat score, both scaled to a maximum of 1. */
  readonly neighbourWeight: number
}

export const DEFAULT_PERSONAL_PARAMS: PersonalParams = Object.freeze({
  repeatTauDays: 240,
  repeatPropensityExponent: 0.5,
  recentShareExponent: 0.5,
  neighbourWeight: 0.25,
})

export interface ScoreOptions {
  /** Number of items to return. */
  readonly limit: number
  readonly guards?: Guards
}

export interface PersonalOptions extends ScoreOptions {
  /** Reference time (ms) for the repeat decay; usually now. */
  readonly now: number
  readonly params?: Partial<PersonalParams>
}

/** Full score vectors of the personal level, for evaluation and for callers that rank themselves. */
export interface PersonalScores {
  /** Repeat component, scaled to a maximum of 1 (0 when hidden or no history). */
  readonly repeat: Float64Array
  /** Neighbour component, scaled to a maximum of `neighbourWeight`. */
  readonly neighbour: Float64Array
  /** repeat + neighbour, plus a tiny popularity term that breaks ties and fills the tail. */
  readonly total: Float64Array
  /** Distinct usable history items, in first-seen order. */
  readonly historyItems: Int32Array
}

function isHidden(guards: Guards | undefined, kind: ReasonKind): boolean {
  return guards?.hiddenReasons?.includes(kind) ?? false
}

/** Mask of items that may not be recommended in this answer. */
function skipMask(model: ItemModel, guards: Guards | undefined): Uint8Array {
  const skip = new Uint8Array(model.nItems)
  if (guards?.blocked) for (let i = 0; i < skip.length; i++) skip[i] = guards.blocked[i] ?? 0
  for (const list of [guards?.hiddenItems, guards?.context]) {
    if (!list) continue
    for (let k = 0; k < list.length; k++) {
      const i = list[k]!
      if (i >= 0 && i < skip.length) skip[i] = 1
    }
  }
  return skip
}

function usable(model: ItemModel, guards: Guards | undefined, i: number): boolean {
  return i >= 0 && i < model.nItems && guards?.excluded?.[i] !== 1
}

function scaleToMax(a: Float64Array, to: number): void {
  let max = 0
  for (let i = 0; i < a.length; i++) if (a[i]! > max) max = a[i]!
  if (max > 0) for (let i = 0; i < a.length; i++) a[i] = (a[i]! / max) * to
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

/** Popularity used for tie-breaking and fallbacks: recent subjects, then all-time subjects. */
function popularityScore(model: ItemModel, i: number): number {
  return model.recentSubjects[i]! + model.itemSubjects[i]! / (model.subjects + 1)
}

/** Scores that depend on the model alone, and the items they rank (score > 0, best first). */
interface ModelConstants {
  readonly popular: Float64Array
  readonly popularRank: Int32Array
  readonly trending: Float64Array
  readonly trendingRank: Int32Array
}

/**
 * Memo of the per-model constants, computed on first use. Invisible to callers: a model is never
 * changed in place (`removeSubject` returns a new one), so a cached vector always equals a fresh one,
 * and the cache never hands out an array a caller could change.
 */
const CONSTANTS = new WeakMap<ItemModel, ModelConstants>()
const DEFAULT_MIN_RECENT = 3

function constantsOf(model: ItemModel): ModelConstants {
  let c = CONSTANTS.get(model)
  if (c === undefined) {
    const popular = computePopular(model)
    const trending = computeTrending(model, DEFAULT_MIN_RECENT)
    c = {
      popular,
      popularRank: rankPositive(popular),
      trending,
      trendingRank: rankPositive(trending),
    }
    CONSTANTS.set(model, c)
  }
  return c
}

function computePopular(model: ItemModel): Float64Array {
  const out = new Float64Array(model.nItems)
  for (let i = 0; i < out.length; i++) out[i] = popularityScore(model, i)
  return out
}

function computeTrending(model: ItemModel, minRecent: number): Float64Array {
  const out = new Float64Array(model.nItems)
  for (let i = 0; i < out.length; i++) {
    const r = model.recentSubjects[i]!
    const e = model.earlierSubjects[i]!
    out[i] = r >= minRecent && r > e ? (r - e) / Math.sqrt(r + e + 1) : 0
  }
  return out
}

/** Every item with a finite score above 0, in `selectTopK` order (higher first, then lower index). */
function rankPositive(scores: Float64Array): Int32Array {
  return selectTopK(scores, scores.length, { floor: 0 })
}

/** `selectTopK(scores, k, { skip, floor: 0 })` for scores whose `rankPositive` is known. */
function topFromRank(rank: Int32Array, k: number, skip: Uint8Array | undefined): Int32Array {
  const out: number[] = []
  for (let r = 0; r < rank.length && out.length < k; r++) {
    const i = rank[r]!
    if (skip?.[i] !== 1) out.push(i)
  }
  return Int32Array.from(out)
}

/**
 * Scores every item for one subject at the `personal` level: a repeat-purchase score (time-decayed
 * count of distinct purchase days, weighted by the item's repeat propensity and recent share)
 * blended with the item-to-item neighbour score of the subject's history.
 */
export function scorePersonal(
  model: ItemModel,
  history: History,
  options: Omit<PersonalOptions, 'limit'>,
): PersonalScores {
  const params = { ...DEFAULT_PERSONAL_PARAMS, ...options.params }
  const { guards, now } = options
  const n = model.nItems
  const repeat = new Float64Array(n)
  const neighbour = new Float64Array(n)
  const lastDay = new Float64Array(n).fill(Number.NaN)
  const distinct: number[] = []
  const tau = params.repeatTauDays * DAY_MS
  for (let p = 0; p < history.items.length; p++) {
    const i = history.items[p]!
    const t = history.times[p]!
    const w = Math.min(1, history.weights?.[p] ?? 1)
    if (!usable(model, guards, i) || !(t <= now) || !(w > 0)) continue
    const day = Math.floor(t / DAY_MS)
    if (Number.isNaN(lastDay[i]!)) distinct.push(i)
    else if (lastDay[i] === day) continue
    lastDay[i] = day
    // A view counts less than a purchase: the event weight scales its repeat contribution.
    repeat[i]! += w * (tau > 0 ? Math.exp(-(now - t) / tau) : 1)
  }
  const historyItems = Int32Array.from(distinct)
  if (isHidden(guards, 'buy_again')) repeat.fill(0)
  else {
    for (const i of historyItems) {
      const c = model.itemSubjects[i]!
      const propensity = (model.repeatSubjects[i]! + 1) / (c + 5)
      const share = (model.recentSubjects[i]! + 1) / (c + 5)
      repeat[i]! *=
        Math.pow(propensity, params.repeatPropensityExponent) *
        Math.pow(share, params.recentShareExponent)
    }
    scaleToMax(repeat, 1)
  }
  if (!isHidden(guards, 'bought_together')) {
    accumulateNeighbours(
      model,
      historyItems,
      new Float64Array(historyItems.length).fill(1),
      neighbour,
    )
    scaleToMax(neighbour, params.neighbourWeight)
  }
  const total = new Float64Array(n)
  const tie = 1e-9 / (model.subjects + 1)
  const { popular } = constantsOf(model)
  for (let i = 0; i < n; i++) total[i] = repeat[i]! + neighbour[i]! + tie * popular[i]!
  return { repeat, neighbour, total, historyItems }
}

/** The up-to-3 source items with the largest W_ij into `j`, strongest first. */
function neighbourEvidence(model: ItemModel, sources: Int32Array, j: number): Int32Array {
  const { ptr, cols, weights } = model.neighbours
  const found: { i: number; w: number }[] = []
  for (const i of sources) {
    if (i === j) continue
    const p = binarySearch(cols, ptr[i]!, ptr[i + 1]!, j)
    if (p >= 0) found.push({ i, w: weights[p]! })
  }
  found.sort((a, b) => b.w - a.w || a.i - b.i)
  return Int32Array.from(found.slice(0, 3), (f) => f.i)
}

/**
 * Recommendations at the `personal` level, explained: `buy_again` (evidence: the item itself) when
 * the repeat component dominates, else `bought_together` (evidence: the history items with the
 * strongest links to it). Tops up with popular items when the history gives too few.
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
  for (let i = 0; i < signal.length; i++) signal[i] = scores.repeat[i]! + scores.neighbour[i]!
  const top = selectTopK(signal, options.limit, { skip, floor: 0 })
  const out: Recommendation[] = []
  for (const j of top) {
    const fromRepeat = scores.repeat[j]! >= scores.neighbour[j]!
    out.push({
      item: j,
      score: scores.total[j]!,
      reason: fromRepeat ? 'buy_again' : 'bought_together',
      evidence: fromRepeat ? Int32Array.of(j) : neighbourEvidence(model, scores.historyItems, j),
    })
  }
  return fillWithPopular(model, out, options.limit, skip, options.guards)
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

export interface SessionOptions extends ScoreOptions {
  /** Weight ratio between consecutive distinct session items, most recent first (default 0.9). */
  readonly recencyDecay?: number
}

/** Scores every item from this session's items only (oldest first), nothing else about the visitor. */
export function scoreSession(
  model: ItemModel,
  session: ArrayLike<number>,
  options: Omit<SessionOptions, 'limit'> = {},
): Float64Array {
  const scores = new Float64Array(model.nItems)
  if (isHidden(options.guards, 'similar_to_viewed')) return scores
  const src = sessionSources(model, session, options.guards, options.recencyDecay ?? 0.9)
  accumulateNeighbours(model, src.items, src.weights, scores)
  return scores
}

/**
 * Recommendations at the `session` level: neighbours of the items touched in this visit
 * (`similar_to_viewed`, evidence: the session items linking to it), topped up with popular items.
 */
export function recommendSession(
  model: ItemModel,
  session: ArrayLike<number>,
  options: SessionOptions,
): Recommendation[] {
  const scores = scoreSession(model, session, options)
  const skip = skipMask(model, options.guards)
  const src = sessionSources(model, session, options.guards, options.recencyDecay ?? 0.9)
  const out = Array.from(selectTopK(scores, options.limit, { skip, floor: 0 }), (j) => ({
    item: j,
    score: scores[j]!,
    reason: 'similar_to_viewed' as const,
    evidence: neighbourEvidence(model, src.items, j),
  }))
  return fillWithPopular(model, out, options.limit, skip, options.guards)
}

/** Recent popularity: subjects in the recent window, ties broken by all-time subjects. */
export function scorePopular(model: ItemModel): Float64Array {
  return constantsOf(model).popular.slice()
}

/**
 * Trending: how far the recent window's subject count rises above the window before it, as a
 * Poisson z-score (r - e) / sqrt(r + e + 1). Items not rising score 0.
 */
export function scoreTrending(model: ItemModel, minRecent = DEFAULT_MIN_RECENT): Float64Array {
  return minRecent === DEFAULT_MIN_RECENT
    ? constantsOf(model).trending.slice()
    : computeTrending(model, minRecent)
}

/**
 * New arrivals: items first listed within `days` of `now`, newest first. `firstSeen[i]` is the
 * first time (ms) item i was listed or seen (NaN when unknown); the catalog is the natural source,
 * `firstSeenTimes` derives it from events.
 */
export function scoreNew(
  model: ItemModel,
  firstSeen: Float64Array,
  now: number,
  days = 30,
): Float64Array {
  const out = new Float64Array(model.nItems)
  const candidates = newCandidates(model, firstSeen, now, days)
  for (let k = 0; k < candidates.length; k++) {
    const i = candidates[k]!
    out[i] = newScore(model, firstSeen[i]!, now, days, i)
  }
  return out
}

function newScore(model: ItemModel, t: number, now: number, days: number, i: number): number {
  const from = now - days * DAY_MS
  // Newer first; popularity only orders items listed at the same time.
  return 1 + (t - from) / (days * DAY_MS) + 1e-9 * constantsOf(model).popular[i]!
}

/** Items first seen in (now - days, now], by index. */
function newCandidates(
  model: ItemModel,
  firstSeen: Float64Array,
  now: number,
  days: number,
): Int32Array {
  const from = now - days * DAY_MS
  const found: number[] = []
  for (let i = 0; i < model.nItems; i++) {
    const t = firstSeen[i] ?? Number.NaN
    if (t > from && t <= now) found.push(i)
  }
  return Int32Array.from(found)
}

export interface NonPersonalOptions extends ScoreOptions {
  /** Input of `scoreNew`; without it there are no `new` items. */
  readonly firstSeen?: Float64Array
  readonly now?: number
  readonly newDays?: number
  /** Slots per reason in each round of interleaving (default 3 popular, 1 trending, 1 new). */
  readonly mix?: Partial<Record<'popular' | 'trending' | 'new', number>>
}

/**
 * Recommendations at the `off` level: nothing about the visitor is used. Interleaves popular,
 * trending and new items by `mix`, each item once, under the item guards.
 */
export function recommendNonPersonal(
  model: ItemModel,
  options: NonPersonalOptions,
): Recommendation[] {
  const { guards, limit } = options
  const skip = skipMask(model, guards)
  const mix = { popular: 3, trending: 1, new: 1, ...options.mix }
  const lists: { kind: 'popular' | 'trending' | 'new'; items: Int32Array; scores: Float64Array }[] =
    []
  const c = constantsOf(model)
  const wanted = (kind: 'popular' | 'trending' | 'new') => mix[kind] > 0 && !isHidden(guards, kind)
  // Read-only below: the cached vectors are only indexed, never handed out.
  if (wanted('popular')) {
    lists.push({
      kind: 'popular',
      scores: c.popular,
      items: topFromRank(c.popularRank, limit, skip),
    })
  }
  if (wanted('trending')) {
    lists.push({
      kind: 'trending',
      scores: c.trending,
      items: topFromRank(c.trendingRank, limit, skip),
    })
  }
  if (wanted('new') && options.firstSeen !== undefined && options.now !== undefined) {
    const days = options.newDays ?? 30
    const candidates = newCandidates(model, options.firstSeen, options.now, days)
    const scores = new Float64Array(model.nItems)
    for (let k = 0; k < candidates.length; k++) {
      const i = candidates[k]!
      scores[i] = newScore(model, options.firstSeen[i]!, options.now, days, i)
    }
    lists.push({
      kind: 'new',
      scores,
      items: selectTopK(scores, limit, { candidates, skip, floor: 0 }),
    })
  }
  const out: Recommendation[] = []
  const taken = new Set<number>()
  const pos = lists.map(() => 0)
  let progressed = true
  while (out.length < limit && progressed) {
    progressed = false
    lists.forEach((list, l) => {
      for (let slot = 0; slot < mix[list.kind] && out.length < limit; slot++) {
        while (pos[l]! < list.items.length && taken.has(list.items[pos[l]!]!)) pos[l]!++
        if (pos[l]! >= list.items.length) return
        const j = list.items[pos[l]!++]!
        taken.add(j)
        out.push({
          item: j,
          score: list.scores[j]!,
          reason: list.kind,
          evidence: new Int32Array(0),
        })
        progressed = true
      }
    })
  }
  return out
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
    out.push({ item: j, score: 0, reason: 'popular', evidence: new Int32Array(0) })
  }
  return out
}
