/**
 * Self-tuning per shop. Nothing about a shop is hard-wired: training holds out the shop's own most
 * recent period (by default the last 10% of the training events' time span, at least 7 days),
 * chooses the engine's parameters by a small, bounded search that ranks the held-out period best,
 * then trains on every event with what it chose. The search never reads anything after `now`, and
 * the held-out period is the end of the training data, never a later test period.
 *
 * The search, in three stages (coordinate descent over small grids, so its cost is bounded):
 * 1. What ranks items a shopper has not had: the neighbour model (decay, degree exponents, k, how
 *    much recent history items weigh) and the popularity prior mixed into it, by new-item
 *    Recall@20. TopPop is a point of this space (neighbour weight 0), so new-item quality is at
 *    least TopPop's. The held-out split and the metrics are in `holdout.ts`.
 * 2. The personal blend: the repeat score's decay, unit and exponents and its weight against
 *    stage 1's score, by Recall@20 (NDCG@10 breaks ties). TopPop and RepeatFreq are candidates too,
 *    so the chosen `personal` level is at least as good as both on the held-out period.
 * 3. The session level: recency decay and the weight of the `off` answer in it, by Recall@20; the
 *    `off` answer itself is a candidate, so `session` is at least as good as `off`.
 * With too little to validate (fewer than `MIN_VALIDATION_SHOPPERS` shoppers in the held-out
 * period), the documented defaults (`params.ts`) are used and the report says so.
 */
import {
  better,
  holdOut,
  K,
  offAnswer,
  offFigures,
  personalFigures,
  sessionFigures,
  Tally,
  type Holdout,
  type HoldoutOptions,
  type LevelFigures,
  type Shopper,
} from './holdout.js'
import type { Interactions } from './interactions.js'
import { easeItemsOf, fitEase } from './ease.js'
import {
  binarySearch,
  QUANT_BITS,
  trainItemModel,
  withNeighbourParams,
  withScoring,
  type ItemModel,
} from './item-model.js'
import {
  DEFAULT_ENGINE_PARAMS,
  type EngineParams,
  type ItemModelParams,
  type PersonalParams,
  type SessionParams,
} from './params.js'
import {
  historyNeighbours,
  neighbourScores,
  otherMaxima,
  personalScale,
  popularityPrior,
  repeatScores,
  sourceWeights,
  tieBreaks,
  type OtherMaxima,
} from './scoring.js'
import { selectTopK } from './top-k.js'

export { MIN_VALIDATION_SHOPPERS, type LevelFigures } from './holdout.js'

export interface TuneOptions extends HoldoutOptions {
  /** false: no search, train with `params` (or the defaults). Default true. */
  readonly tune?: boolean
  /** Starting point of the search, or the parameters used when not tuning. */
  readonly params?: EngineParams
  /** Called as candidates are evaluated. */
  readonly onProgress?: (done: number, total: number) => void
}

export interface TuningReport {
  /** Whether parameters were chosen on a held-out period (false: the defaults, see `note`). */
  readonly tuned: boolean
  readonly note?: string
  /** The held-out period (ms) and how much it held. */
  readonly validation?: {
    readonly from: number
    readonly until: number
    readonly shoppers: number
    readonly trainEvents: number
  }
  /** Parameter sets evaluated. */
  readonly candidates: number
  /** Figures on the held-out period: each level as chosen, and the trivial answers. */
  readonly figures?: {
    readonly personal: LevelFigures
    readonly session: LevelFigures
    readonly off: LevelFigures
    readonly topPop: LevelFigures
    readonly repeatFreq: LevelFigures
  }
  readonly params: EngineParams
}

export interface TrainedShop {
  readonly model: ItemModel
  readonly report: TuningReport
}

/** TopPop as a point of the personal space: the all-time popularity prior alone. */
export const TOP_POP: Partial<PersonalParams> = Object.freeze({
  repeatWeight: 0,
  otherWeight: 1,
  neighbourWeight: 0,
  popularityWeight: 1,
  popularityRecent: 0,
})

/** RepeatFreq as a point of the personal space: the shopper's own event counts, no decay. */
export const REPEAT_FREQ: Partial<PersonalParams> = Object.freeze({
  repeatTauDays: 0,
  repeatUnit: 'event',
  repeatPropensityExponent: 0,
  recentShareExponent: 0,
  repeatWeight: 1,
  otherWeight: 0,
})

/**
 * Coordinate descent: one parameter at a time over its grid, keeping a change only when it ranks the
 * held-out period better (Recall@20, then NDCG@10).
 */
class Descent<P extends object> {
  figures: LevelFigures

  constructor(
    public params: P,
    private readonly evaluate: (params: P) => LevelFigures,
  ) {
    this.figures = evaluate(params)
  }

  /** Keeps `params` if they rank better than the best so far. */
  consider(params: P): void {
    const f = this.evaluate(params)
    if (better(f, this.figures)) {
      this.figures = f
      this.params = params
    }
  }

  vary<K extends keyof P>(key: K, values: readonly P[K][]): void {
    for (const v of values) this.consider({ ...this.params, [key]: v })
  }
}

/** Per shopper, what the personal blend search needs from a stage 1 choice (sparse, reused). */
interface BlendCase {
  readonly shopper: Shopper
  readonly neighbourItems: Int32Array
  readonly neighbourValues: Float64Array
  readonly maxima: OtherMaxima
  /** Items the shopper has not had, best first by stage 1's score: the only ones that can reach the top K. */
  readonly fresh: Int32Array
  /** N of each `fresh` item (0 when none). */
  readonly freshN: Float64Array
}

/** Scratch arrays of length nItems, zeroed between uses. */
interface Scratch {
  readonly values: Float64Array
  readonly marks: Uint8Array
}

/**
 * Stage 1's ranking of the items a shopper has not had, under prior weights (neighbourWeight,
 * popularityWeight, popularityRecent): the top K, from N's support and the prior's own order
 * (outside N's support the score is the prior's). Ties as everywhere: the tie-break, then index.
 */
function freshTop(
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
function priorOrderOf(model: ItemModel, recent: number, weight: number): Int32Array {
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

/**
 * A shopper's history items as sources of N, and when each was last had: what `repeatScores` gives
 * for them whatever the model and repeat parameters (computed once per tuning run).
 */
interface Sources {
  readonly items: Int32Array
  readonly last: Float64Array
}

/** A shopper's neighbour score N under `params.sourceTauDays`, as `personalParts` computes it. */
function neighboursOf(
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

type Sparse = { items: Int32Array; values: Float64Array }

/**
 * The smallest weight of the other items' score in the blend: the shopper's own items keep the order
 * of their repeat score (O can only break its near-ties), and everything after them is ranked by
 * stage 1's choice rather than by plain popularity.
 */
const TAIL_WEIGHT = 0.001

/** Grids of the search (each small: coordinate descent visits one parameter at a time). */
const GRID = {
  tauDays: [0, 30, 90, 240],
  alpha: [0, 0.25, 0.5, 0.75, 1],
  beta: [0, 0.25, 0.5, 0.75, 1],
  subjectExponent: [0.5, 1],
  neighbours: [50, 100, 200, 400],
  sourceTauDays: [0, 30, 90, 365],
  /** popularityWeight with neighbourWeight 1 (and TopPop, neighbourWeight 0). */
  popularityWeight: [0, 0.03, 0.1, 0.2, 0.5, 1],
  popularityRecent: [0, 1],
  repeatTauDays: [0, 30, 90, 240, 720],
  repeatUnit: ['day', 'event'] as const,
  repeatPropensityExponent: [0, 0.5, 1],
  recentShareExponent: [0, 0.5, 1],
  otherWeight: [TAIL_WEIGHT, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2, 5],
  recencyDecay: [0.5, 0.8, 0.9, 1],
  offWeight: [0, 0.05, 0.15, 0.5, 1.5],
  /** EASE's lambda, as a multiple of the mean diagonal of its Gram matrix. */
  easeLambda: [0.5, 2, 8, 32],
  /** EASE's share of the neighbour score (0, its absence, is the starting point). */
  easeWeight: [0.5, 1],
} as const

/**
 * Items the EASE candidate models at most: its dense inverse costs M^3 (about 0.3 s at 1,000 on one
 * core), paid once per lambda tried, once in the final training and once per erasure.
 */
export const EASE_MAX_ITEMS = 1000
/** Below this many held items EASE is not tried (the neighbour model sees the whole catalog). */
const EASE_MIN_ITEMS = 50

/** Neighbour configurations whose personal blend is searched in stage 2, at most. */
const BLEND_CONFIGS = 5
/** Rounds of coordinate descent over the blend (a second one changed nothing measurable on UCI). */
const BLEND_ROUNDS = 1
const BLEND_STEPS =
  BLEND_ROUNDS *
  (GRID.otherWeight.length +
    GRID.repeatTauDays.length +
    GRID.repeatUnit.length +
    GRID.repeatPropensityExponent.length +
    GRID.recentShareExponent.length +
    1)

type PriorParams = Pick<
  PersonalParams,
  'neighbourWeight' | 'popularityWeight' | 'popularityRecent' | 'sourceTauDays' | 'easeWeight'
>

interface Stage1 {
  readonly item: ItemModelParams
  readonly prior: PriorParams
  /** New-item Recall@20 on the held-out period. */
  readonly newRecall: number
}

/** A context for one tuning run: the held-out split and what its searches share. */
class Search {
  candidates = 0
  private done = 0
  private readonly stats = new Map<string, ItemModel>()
  private readonly nbModels = new Map<string, ItemModel>()
  private readonly eases = new Map<string, ItemModel>()
  readonly hadMasks: Uint8Array[]
  readonly scratch: Scratch
  readonly guards: { excluded: Uint8Array } | undefined
  private sourceList: Sources[] | undefined
  /** The item neighbours' part of N per shopper, for the last model and source decay asked. */
  private knnList: { model: ItemModel; sourceTauDays: number; list: Sparse[] } | undefined

  constructor(
    readonly h: Holdout,
    readonly nItems: number,
    readonly excluded: Uint8Array | undefined,
    private readonly planned: number,
    private readonly onProgress: TuneOptions['onProgress'],
  ) {
    this.hadMasks = h.shoppers.map((s) => {
      const m = new Uint8Array(nItems)
      for (const i of s.had) m[i] = 1
      return m
    })
    this.scratch = { values: new Float64Array(nItems), marks: new Uint8Array(nItems) }
    this.guards = excluded === undefined ? undefined : { excluded }
  }

  /** Every held-out shopper's `Sources`, in `h.shoppers` order. */
  sources(model: ItemModel): Sources[] {
    this.sourceList ??= this.h.shoppers.map((s) => {
      const { items, last } = repeatScores(
        model,
        s.history,
        this.h.from,
        DEFAULT_ENGINE_PARAMS.personal,
        this.guards,
      )
      return { items, last }
    })
    return this.sourceList
  }

  /**
   * The item neighbours' part of every shopper's N (`neighbourScores`), kept for the last model and
   * source decay: the EASE candidates, and the blend of a configuration stage 1 just scored, reuse it.
   */
  knn(model: ItemModel, sourceTauDays: number): Sparse[] {
    const k = this.knnList
    // A model with EASE shares its neighbour lists with the one without.
    if (
      k !== undefined &&
      k.model.neighbours === model.neighbours &&
      k.sourceTauDays === sourceTauDays
    )
      return k.list
    const list = this.sources(model).map((src) =>
      neighbourScores(
        model,
        src.items,
        sourceWeights(src.last, this.h.from, sourceTauDays),
        this.scratch.values,
      ),
    )
    this.knnList = { model, sourceTauDays, list }
    return list
  }

  step(): void {
    this.onProgress?.(Math.min(++this.done, this.planned), this.planned)
  }

  finish(): void {
    this.onProgress?.(this.planned, this.planned)
  }

  /** The held-out model with these parameters; co-occurrences are recounted only when decay or normalisation change. */
  modelFor(p: ItemModelParams): ItemModel {
    const key = `${p.tauDays}|${p.subjectExponent}|${p.recentDays}`
    let m = this.stats.get(key)
    if (m === undefined) {
      m = trainItemModel(this.h.train, {
        now: this.h.from,
        params: { ...p, easeItems: 0 },
        ...(this.excluded === undefined ? {} : { excluded: this.excluded }),
      })
      // The last two statistics are kept: the descent comes back to its best one.
      if (this.stats.size >= 2) this.stats.delete(this.stats.keys().next().value!)
      this.stats.set(key, m)
    }
    // Neighbour lists of the last few configurations: the search comes back to them (the priors,
    // the source decay and EASE are tried on one configuration; the blends and the exact figures
    // read the chosen ones again).
    const nbKey = `${key}|${p.alpha}|${p.beta}|${p.neighbours}`
    let model = this.nbModels.get(nbKey)
    if (model === undefined || model.cooccurrence !== m.cooccurrence) {
      const same =
        m.params.alpha === p.alpha &&
        m.params.beta === p.beta &&
        m.params.neighbours === p.neighbours
      model = same
        ? m
        : withNeighbourParams(m, { alpha: p.alpha, beta: p.beta, neighbours: p.neighbours })
      if (this.nbModels.size >= 4) this.nbModels.delete(this.nbModels.keys().next().value!)
    } else this.nbModels.delete(nbKey)
    this.nbModels.set(nbKey, model)
    if (!(p.easeItems > 0)) return model
    // The EASE fit, as `trainItemModel` makes it, kept per configuration and parameters.
    const easeKey = `${nbKey}|${p.easeItems}|${p.easeLambda}`
    let withEase = this.eases.get(easeKey)
    if (withEase === undefined || withEase.cooccurrence !== m.cooccurrence) {
      const items = easeItemsOf(m.itemSubjects, p.easeItems)
      const ease = fitEase(m.cooccurrence, m.selfOccurrence, items, p.easeLambda, 2 ** QUANT_BITS)
      withEase = { ...model, params: { ...model.params, ...p }, ease }
      if (this.eases.size >= 4) this.eases.delete(this.eases.keys().next().value!)
      this.eases.set(easeKey, withEase)
    }
    return withEase
  }

  /**
   * New-item Recall@20 of priors for one neighbour configuration (all of the grid's, or `only`),
   * best first. The source decay is `only`'s (or `current`'s) for all of them.
   */
  priors(
    item: ItemModelParams,
    current: PriorParams,
    start: PersonalParams,
    only?: PriorParams,
  ): Stage1[] {
    const { h } = this
    const model = this.modelFor(item)
    const { sourceTauDays, easeWeight } = only ?? current
    const knn = this.knn(model, sourceTauDays)
    const nbs = this.sources(model).map((src, k) =>
      neighboursOf(
        model,
        src,
        h.from,
        { ...start, sourceTauDays, easeWeight },
        this.scratch.values,
        knn[k],
      ),
    )
    const priors: PriorParams[] =
      only !== undefined
        ? [only]
        : [
            {
              neighbourWeight: 0,
              popularityWeight: 1,
              popularityRecent: 0,
              sourceTauDays,
              easeWeight,
            },
            ...GRID.popularityRecent.flatMap((popularityRecent) =>
              GRID.popularityWeight.map((popularityWeight) => ({
                neighbourWeight: 1,
                popularityWeight,
                popularityRecent,
                sourceTauDays,
                easeWeight,
              })),
            ),
          ]
    const out: Stage1[] = []
    for (const prior of priors) {
      const params = { ...start, ...prior }
      const order = priorOrderOf(model, prior.popularityRecent, prior.popularityWeight)
      let sum = 0
      let n = 0
      h.shoppers.forEach((s, k) => {
        if (s.newTargets === 0) return
        const nb = nbs[k]!
        const fresh = freshTop(
          model,
          nb.items,
          nb.values,
          params,
          order,
          this.hadMasks[k]!,
          this.scratch,
        )
        let hits = 0
        for (const i of fresh.items)
          if (binarySearch(s.targets, 0, s.targets.length, i) >= 0) hits++
        sum += hits / Math.min(K, s.newTargets)
        n++
      })
      this.candidates++
      out.push({ item, prior, newRecall: n > 0 ? sum / n : 0 })
    }
    this.step()
    return out.sort((a, b) => b.newRecall - a.newRecall)
  }

  /**
   * Stage 2 for one stage 1 choice: the personal blend by Recall@20 then NDCG@10, evaluated on sparse
   * per-shopper cases (the shopper's history items and stage 1's top K of the rest).
   */
  blend(choice: Stage1, start: PersonalParams): { params: PersonalParams; figures: LevelFigures } {
    const { h, guards } = this
    const model = this.modelFor(choice.item)
    const priorParams = { ...start, ...choice.prior }
    const order = priorOrderOf(model, priorParams.popularityRecent, priorParams.popularityWeight)
    const sources = this.sources(model)
    const knn = this.knn(model, priorParams.sourceTauDays)
    const cases: BlendCase[] = h.shoppers.map((s, k) => {
      const nb = neighboursOf(model, sources[k]!, h.from, priorParams, this.scratch.values, knn[k])
      const parts = { neighbourItems: nb.items, neighbourValues: nb.values }
      const fresh = freshTop(
        model,
        nb.items,
        nb.values,
        priorParams,
        order,
        this.hadMasks[k]!,
        this.scratch,
      )
      return {
        shopper: s,
        ...parts,
        maxima: otherMaxima(model, parts, priorParams, undefined),
        fresh: fresh.items,
        freshN: fresh.n,
      }
    })
    const prior = popularityPrior(model, priorParams.popularityRecent)
    const ties = tieBreaks(model)
    const figuresOf = (params: PersonalParams): LevelFigures => {
      const tally = new Tally()
      for (const c of cases) {
        const rep = repeatScores(model, c.shopper.history, h.from, params, guards)
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
      this.candidates++
      this.step()
      return tally.figures()
    }
    const found = new Descent(priorParams, figuresOf)
    for (let round = 0; round < BLEND_ROUNDS; round++) {
      found.vary('otherWeight', GRID.otherWeight)
      found.vary('repeatTauDays', GRID.repeatTauDays)
      found.vary('repeatUnit', GRID.repeatUnit)
      found.vary('repeatPropensityExponent', GRID.repeatPropensityExponent)
      found.vary('recentShareExponent', GRID.recentShareExponent)
      // Stage 1's score alone (no repeat score) is a point too.
      found.consider({ ...found.params, repeatWeight: 0, otherWeight: 1 })
    }
    return { params: found.params, figures: found.figures }
  }

  /** Exact figures of the personal level as served (`scorePersonal`). */
  personalExact(item: ItemModelParams, params: PersonalParams): LevelFigures {
    this.candidates++
    this.step()
    return personalFigures(this.modelFor(item), this.h, params, this.excluded)
  }
}

/**
 * Tunes on the shop's own most recent period, then trains on all of `interactions` with the chosen
 * parameters. Deterministic for the same input.
 *
 * @example
 * const { model, report } = trainShop(interactions, { now: Date.now(), excluded })
 */
export function trainShop(interactions: Interactions, options: TuneOptions): TrainedShop {
  const start = options.params ?? DEFAULT_ENGINE_PARAMS
  const excluded = options.excluded
  const finalModel = (params: EngineParams): ItemModel =>
    trainItemModel(interactions, {
      now: options.now,
      params: params.item,
      scoring: { personal: params.personal, session: params.session },
      ...(excluded === undefined ? {} : { excluded }),
    })
  if (options.tune === false) {
    return {
      model: finalModel(start),
      report: {
        tuned: false,
        note: 'tuning turned off: the given parameters',
        candidates: 0,
        params: start,
      },
    }
  }
  const h = holdOut(interactions, options)
  if (typeof h === 'string') {
    return {
      model: finalModel(start),
      report: {
        tuned: false,
        note: `${h}; the documented defaults are used`,
        candidates: 0,
        params: start,
      },
    }
  }
  const planned =
    GRID.tauDays.length +
    GRID.subjectExponent.length +
    GRID.alpha.length +
    GRID.beta.length +
    GRID.neighbours.length +
    GRID.sourceTauDays.length +
    2 -
    6 +
    GRID.easeLambda.length * GRID.easeWeight.length +
    BLEND_CONFIGS * (BLEND_STEPS + 1) +
    4 +
    1 +
    GRID.recencyDecay.length +
    GRID.offWeight.length
  const search = new Search(h, interactions.nItems, excluded, planned, options.onProgress)

  // Stage 1: the neighbour model and the prior, by new-item Recall@20. The priors are searched for
  // the starting configuration, the neighbour parameters one at a time under the best prior so far
  // (coordinate descent), then the priors again for the best configuration.
  const startPrior: PriorParams = {
    neighbourWeight: start.personal.neighbourWeight,
    popularityWeight: start.personal.popularityWeight,
    popularityRecent: start.personal.popularityRecent,
    sourceTauDays: start.personal.sourceTauDays,
    easeWeight: start.personal.easeWeight,
  }
  const startFound = search.priors(start.item, startPrior, start.personal)
  const startBest = startFound[0]!
  // The descent compares neighbour configurations under the best prior that uses neighbours: under
  // TopPop (neighbourWeight 0) they would all score the same. TopPop stays a candidate throughout.
  const usesNeighbours = (f: Stage1): boolean => f.prior.neighbourWeight > 0
  let current = startBest
  let currentNb = startFound.find(usesNeighbours)!
  // The best configuration with EASE in it, whether or not it ranks new items best.
  let bestEase: Stage1 | undefined
  const keep = (found: Stage1[]): void => {
    for (const f of found) {
      if (f.newRecall > current.newRecall) current = f
      if (usesNeighbours(f) && f.newRecall > currentNb.newRecall) currentNb = f
      const ease = usesNeighbours(f) && f.prior.easeWeight > 0
      if (ease && (bestEase === undefined || f.newRecall > bestEase.newRecall)) bestEase = f
    }
  }
  const descend = <P extends keyof ItemModelParams>(
    key: P,
    values: readonly ItemModelParams[P][],
  ): void => {
    const from = currentNb
    for (const v of values)
      if (v !== from.item[key])
        keep(search.priors({ ...from.item, [key]: v }, from.prior, start.personal, from.prior))
  }
  descend('tauDays', GRID.tauDays)
  descend('subjectExponent', GRID.subjectExponent)
  descend('alpha', GRID.alpha)
  descend('beta', GRID.beta)
  descend('neighbours', GRID.neighbours)
  {
    const from = currentNb
    for (const sourceTauDays of GRID.sourceTauDays)
      if (sourceTauDays !== from.prior.sourceTauDays) {
        const prior = { ...from.prior, sourceTauDays }
        keep(search.priors(from.item, prior, start.personal, prior))
      }
  }
  {
    // EASE on the most held items, as a share of the neighbour score, for the best configuration.
    const from = currentNb
    let held = 0
    for (const c of search.modelFor(from.item).itemSubjects) if (c > 0) held++
    const easeItems = Math.min(EASE_MAX_ITEMS, held)
    for (const easeLambda of GRID.easeLambda)
      for (const easeWeight of GRID.easeWeight) {
        if (easeItems < EASE_MIN_ITEMS) {
          search.step()
          continue
        }
        const prior = { ...from.prior, easeWeight }
        keep(search.priors({ ...from.item, easeItems, easeLambda }, prior, start.personal, prior))
      }
  }
  keep(search.priors(currentNb.item, currentNb.prior, start.personal))
  // Stage 2 searches the blend for stage 1's choice, for the starting configuration with its best
  // prior and as it is, and for the best one with EASE: what ranks new items best is not always what
  // ranks everything best.
  const sameChoice = (a: Stage1, b: Stage1): boolean =>
    JSON.stringify([a.item, a.prior]) === JSON.stringify([b.item, b.prior])
  const configs: Stage1[] = []
  for (const c of [
    current,
    currentNb,
    startBest,
    { item: start.item, prior: startPrior, newRecall: 0 },
    ...(bestEase === undefined ? [] : [bestEase]),
  ])
    if (!configs.some((k) => sameChoice(k, c))) configs.push(c)
  let best: { item: ItemModelParams; params: PersonalParams; figures: LevelFigures } | undefined
  for (const c of configs) {
    const found = search.blend(c, start.personal)
    if (best === undefined || better(found.figures, best.figures)) best = { item: c.item, ...found }
  }
  // The served scoring, exactly, for the chosen blend and the trivial answers; the best of them wins.
  const chosenItem = best!.item
  const chosen = { params: best!.params, figures: search.personalExact(chosenItem, best!.params) }
  const topPopParams = { ...chosen.params, ...TOP_POP }
  const topPop = { params: topPopParams, figures: search.personalExact(chosenItem, topPopParams) }
  // RepeatFreq with stage 1's ranking after the shopper's own items: never worse on new items.
  const repeatFreqTail = { ...chosen.params, ...REPEAT_FREQ, otherWeight: TAIL_WEIGHT }
  const withTail = {
    params: repeatFreqTail,
    figures: search.personalExact(chosenItem, repeatFreqTail),
  }
  const repeatFreqParams = { ...chosen.params, ...REPEAT_FREQ }
  const repeatFreq = {
    params: repeatFreqParams,
    figures: search.personalExact(chosenItem, repeatFreqParams),
  }
  let pick = chosen
  for (const c of [withTail, topPop, repeatFreq]) if (better(c.figures, pick.figures)) pick = c

  // Stage 3: the session level against the `off` answer, by Recall@20 then NDCG@10.
  const scored = withScoring(search.modelFor(chosenItem), {
    personal: pick.params,
    session: start.session,
  })
  const off = offAnswer(scored, h, excluded)
  const offF = offFigures(off, h)
  const sessionOf = (params: SessionParams): LevelFigures => {
    search.candidates++
    search.step()
    return sessionFigures(scored, h, params, off, excluded)
  }
  const sessions = new Descent(start.session, sessionOf)
  sessions.vary('recencyDecay', GRID.recencyDecay)
  sessions.vary('offWeight', GRID.offWeight)
  sessions.consider({ ...sessions.params, neighbourWeight: 0, offWeight: 1 })
  const session = sessions.params
  const bestS = sessions.figures
  search.finish()

  // An EASE component the chosen scoring does not use is not trained (nor refitted at each erasure).
  const item =
    pick.params.easeWeight > 0
      ? chosenItem
      : { ...chosenItem, easeItems: 0, easeLambda: DEFAULT_ENGINE_PARAMS.item.easeLambda }
  const params: EngineParams = { item, personal: pick.params, session }
  return {
    model: finalModel(params),
    report: {
      tuned: true,
      validation: {
        from: h.from,
        until: h.until,
        shoppers: h.shoppers.length,
        trainEvents: h.trainEvents,
      },
      candidates: search.candidates,
      figures: {
        personal: pick.figures,
        session: bestS,
        off: offF,
        topPop: topPop.figures,
        repeatFreq: repeatFreq.figures,
      },
      params,
    },
  }
}
