/**
 * The personal level's evidence for one shopper, before any weighting, and how a parameter set
 * scales it: the repeat score R of each history item (`repeatScores`), the neighbour score N of the
 * items the history reaches (`neighbourScores`, blended with EASE in `historyNeighbours`), and the
 * scale factors of R, N and the popularity prior P (`personalScale`). `scorePersonal` (`scoring.ts`)
 * and tuning (`tune.cases.ts`) both start from these, so they rank with the same arithmetic.
 */
import type { History } from './interactions.js'
import { easeScores } from './ease.js'
import { type Guards, isHidden, usable } from './guards.js'
import type { ItemModel } from './item-model.js'
import { popularityPrior } from './model-constants.js'
import type { PersonalParams } from './params.js'
import type { PersonalOptions } from './scoring.js'

const DAY_MS = 86_400_000

/**
 * What one shopper's history gives the personal level before any weighting, sparse: the repeat
 * score R of each history item (unscaled) and the neighbour score N of every item it reaches
 * (unscaled). Scoring (`scorePersonal`) and tuning (`tune.cases.ts`) both start from these.
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
