/**
 * Scores that depend on the model alone (popularity, trending, the popularity prior, tie-breaks),
 * memoised per model. Shared by the levels in `scoring.ts` and `off-level.ts`.
 */
import type { ItemModel } from './item-model.js'
import { selectTopK } from './top-k.js'

/** Scales `a` in place to a maximum of `to` (unchanged when all are 0). */
export function scaleToMax(a: Float64Array, to: number): void {
  let max = 0
  for (let i = 0; i < a.length; i++) if (a[i]! > max) max = a[i]!
  if (max > 0) for (let i = 0; i < a.length; i++) a[i] = (a[i]! / max) * to
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
  /** Popularity priors by their recent share (`popularityPrior`), built on first use. */
  readonly priors: Map<number, Float64Array>
  /** `tieBreak` of every item. */
  readonly ties: Float64Array
}

/**
 * Memo of the per-model constants, computed on first use. Invisible to callers: a model is never
 * changed in place (`removeSubject` returns a new one), so a cached vector always equals a fresh one,
 * and the cache never hands out an array a caller could change.
 */
const CONSTANTS = new WeakMap<ItemModel, ModelConstants>()
export const DEFAULT_MIN_RECENT = 3

export function constantsOf(model: ItemModel): ModelConstants {
  let c = CONSTANTS.get(model)
  if (c === undefined) {
    const popular = computePopular(model)
    const trending = computeTrending(model, DEFAULT_MIN_RECENT)
    c = {
      popular,
      popularRank: rankPositive(popular),
      trending,
      trendingRank: rankPositive(trending),
      priors: new Map(),
      ties: Float64Array.from(popular, (p) => (1e-9 / (model.subjects + 1)) * p),
    }
    CONSTANTS.set(model, c)
  }
  return c
}

/**
 * The personal level's popularity prior P, scaled to a maximum of 1: (1 - recent) x all-time subjects
 * per item / their maximum + recent x recent-window subjects / their maximum. Shared and read-only.
 */
export function popularityPrior(model: ItemModel, recent: number): Float64Array {
  const { priors } = constantsOf(model)
  let prior = priors.get(recent)
  if (prior === undefined) {
    prior = new Float64Array(model.nItems)
    let maxAll = 0
    let maxRecent = 0
    for (let i = 0; i < prior.length; i++) {
      maxAll = Math.max(maxAll, model.itemSubjects[i]!)
      maxRecent = Math.max(maxRecent, model.recentSubjects[i]!)
    }
    for (let i = 0; i < prior.length; i++) {
      prior[i] =
        (maxAll > 0 ? ((1 - recent) * model.itemSubjects[i]!) / maxAll : 0) +
        (maxRecent > 0 ? (recent * model.recentSubjects[i]!) / maxRecent : 0)
    }
    scaleToMax(prior, 1)
    if (priors.size >= 8) priors.clear()
    priors.set(recent, prior)
  }
  return prior
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
export function topFromRank(rank: Int32Array, k: number, skip: Uint8Array | undefined): Int32Array {
  const out: number[] = []
  for (let r = 0; r < rank.length && out.length < k; r++) {
    const i = rank[r]!
    if (skip?.[i] !== 1) out.push(i)
  }
  return Int32Array.from(out)
}

/** The tiny popularity term of a total that breaks ties and orders the tail, per item (read-only). */
export function tieBreaks(model: ItemModel): Float64Array {
  return constantsOf(model).ties
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
