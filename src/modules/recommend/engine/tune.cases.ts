/**
 * What the tuning search (`tune.search.ts`) computes per held-out shopper and reuses across
 * candidates: the shopper's neighbour score N from their history items, stage 1's ranking of the
 * items they have not had (`freshTop`), and the sparse cases on which stage 2 scores a personal
 * blend with the serving formula (`blendFigures`). Pure functions over the model and scratch arrays.
 */
import { K, Tally, type Holdout, type LevelFigures, type Shopper } from './holdout.js'
import { binarySearch, type ItemModel } from './item-model.js'
import type { PersonalParams } from './params.js'
import {
  historyNeighbours,
  otherMaxima,
  personalScale,
  popularityPrior,
  repeatScores,
  sourceWeights,
  tieBreaks,
  type OtherMaxima,
} from './scoring.js'
import { selectTopK } from './top-k.js'

/** A sparse vector: items sorted, with their values. */
export type Sparse = { items: Int32Array; values: Float64Array }

/** Scratch arrays of length nItems, zeroed between uses. */
export interface Scratch {
  readonly values: Float64Array
  readonly marks: Uint8Array
}

/**
 * A shopper's history items as sources of N, and when each was last had: what `repeatScores` gives
 * for them whatever the model and repeat parameters (computed once per tuning run).
 */
export interface Sources {
  readonly items: Int32Array
  readonly last: Float64Array
}

/** Per shopper, what the personal blend search needs from a stage 1 choice (sparse, reused). */
export interface BlendCase {
  readonly shopper: Shopper
  readonly neighbourItems: Int32Array
  readonly neighbourValues: Float64Array
  readonly maxima: OtherMaxima
  /** Items the shopper has not had, best first by stage 1's score: the only ones that can reach the top K. */
  readonly fresh: Int32Array
  /** N of each `fresh` item (0 when none). */
  readonly freshN: Float64Array
}

/**
 * Stage 1's ranking of the items a shopper has not had, under prior weights (neighbourWeight,
 * popularityWeight, popularityRecent): the top K, from N's support and the prior's own order
 * (outside N's support the score is the prior's). Ties as everywhere: the tie-break, then index.
 */
export function freshTop(
  model: ItemModel,
  nbItems: Int32Array,
  nbValues: Float64Array,
  params: PersonalParams,
  priorOrder: Int32Array,
  hadMask: Uint8Array,
  scratch: Scratch,
): { items: Int32Array; n: Float64Array } {
  const prior = popularityPrior(model, params.popularityRecent)
  const ties = tieBreaks(model)
  const maxima = otherMaxima(
    model,
    { neighbourItems: nbItems, neighbourValues: nbValues },
    params,
    undefined,
  )
  const nbw = maxima.neighbour > 0 ? params.neighbourWeight / maxima.neighbour : 0
  const pw = params.popularityWeight
  const { values, marks } = scratch
  const pool: number[] = []
  for (let k = 0; k < nbItems.length; k++) {
    const j = nbItems[k]!
    marks[j] = 1
    if (hadMask[j] === 1) continue
    values[j] = nbw * nbValues[k]! + pw * prior[j]! + ties[j]!
    pool.push(j)
  }
  let added = 0
  for (let r = 0; r < priorOrder.length && added < K; r++) {
    const j = priorOrder[r]!
    if (hadMask[j] === 1 || marks[j] === 1) continue
    values[j] = pw * prior[j]! + ties[j]!
    pool.push(j)
    added++
  }
  const items = selectTopK(values, K, { candidates: pool })
  for (const j of pool) values[j] = 0
  for (const j of nbItems) marks[j] = 0
  const n = Float64Array.from(items, (j) => {
    const k = binarySearch(nbItems, 0, nbItems.length, j)
    return k < 0 ? 0 : nbValues[k]!
  })
  return { items, n }
}

/** `priorOrderOf` results per statistics (the item degrees they come from), by recent share and weight. */
const PRIOR_ORDERS = new WeakMap<Float64Array, Map<string, Int32Array>>()

/** Items by weight x the prior under `recent`, ties by the tie-break, then index (read-only). */
export function priorOrderOf(model: ItemModel, recent: number, weight: number): Int32Array {
  let orders = PRIOR_ORDERS.get(model.itemSubjects)
  if (orders === undefined)
    PRIOR_ORDERS.set(model.itemSubjects, (orders = new Map<string, Int32Array>()))
  const memo = `${recent}|${weight}`
  let order = orders.get(memo)
  if (order === undefined) {
    const prior = popularityPrior(model, recent)
    const ties = tieBreaks(model)
    const key = new Float64Array(model.nItems)
    for (let i = 0; i < key.length; i++) key[i] = weight * prior[i]! + ties[i]!
    // A native sort of (key, index) pairs: the same order as `selectTopK(key, nItems)`.
    order = Int32Array.from(key.keys()).sort((a, b) => key[b]! - key[a]! || a - b)
    orders.set(memo, order)
  }
  return order
}

/** A shopper's neighbour score N under `params.sourceTauDays`, as `personalParts` computes it. */
export function neighboursOf(
  model: ItemModel,
  sources: Sources,
  now: number,
  params: PersonalParams,
  scratch: Float64Array,
  knn?: Sparse,
): Sparse {
  const { items, last } = sources
  return historyNeighbours(
    model,
    items,
    sourceWeights(last, now, params.sourceTauDays),
    params.easeWeight,
    scratch,
    knn,
  )
}

/**
 * Every held-out shopper's `BlendCase` for one stage 1 choice (`priorParams`): their N, its maxima,
 * and stage 1's top K of the items they have not had.
 */
export function blendCases(
  model: ItemModel,
  h: Holdout,
  sources: readonly Sources[],
  knn: readonly Sparse[],
  priorParams: PersonalParams,
  hadMasks: readonly Uint8Array[],
  scratch: Scratch,
): BlendCase[] {
  const order = priorOrderOf(model, priorParams.popularityRecent, priorParams.popularityWeight)
  return h.shoppers.map((s, k) => {
    const nb = neighboursOf(model, sources[k]!, h.from, priorParams, scratch.values, knn[k])
    const parts = { neighbourItems: nb.items, neighbourValues: nb.values }
    const fresh = freshTop(model, nb.items, nb.values, priorParams, order, hadMasks[k]!, scratch)
    return {
      shopper: s,
      ...parts,
      maxima: otherMaxima(model, parts, priorParams, undefined),
      fresh: fresh.items,
      freshN: fresh.n,
    }
  })
}

/**
 * Figures of one personal blend on the sparse cases: each shopper's history items and `fresh`
 * items, totalled with the same arithmetic as `scorePersonal`'s total, ranked, tallied. `prior` is
 * the popularity prior of the cases' stage 1 choice.
 */
export function blendFigures(
  model: ItemModel,
  cases: readonly BlendCase[],
  now: number,
  params: PersonalParams,
  guards: { excluded: Uint8Array } | undefined,
  prior: Float64Array,
  /** Where the shoppers' results go (given: to read each shopper's recall afterwards). */
  tally = new Tally(),
): LevelFigures {
  const ties = tieBreaks(model)
  for (const c of cases) {
    const rep = repeatScores(model, c.shopper.history, now, params, guards)
    const scale = personalScale(
      model,
      {
        historyItems: rep.items,
        repeat: rep.repeat,
        neighbourItems: c.neighbourItems,
        neighbourValues: c.neighbourValues,
      },
      params,
      guards,
      c.maxima,
    )
    const ids: number[] = []
    const totals: number[] = []
    // The same arithmetic as `scorePersonal`'s total.
    rep.items.forEach((i, a) => {
      const k = binarySearch(c.neighbourItems, 0, c.neighbourItems.length, i)
      const n = k < 0 ? 0 : c.neighbourValues[k]!
      ids.push(i)
      totals.push(
        scale.repeat * rep.repeat[a]! +
          scale.neighbour * n +
          scale.popularity * prior[i]! +
          ties[i]!,
      )
    })
    c.fresh.forEach((j, k) => {
      ids.push(j)
      totals.push(0 + scale.neighbour * c.freshN[k]! + scale.popularity * prior[j]! + ties[j]!)
    })
    const ranked = Array.from(ids.keys())
      .sort((a, b) => totals[b]! - totals[a]! || ids[a]! - ids[b]!)
      .slice(0, K)
    tally.add(
      c.shopper,
      ranked.map((k) => ids[k]!),
    )
  }
  return tally.figures()
}
