/**
 * One tuning run's search context (`Search`): the held-out split, the models it trains on it (kept
 * and reused while the descent comes back to them), the per-shopper work shared across candidates,
 * the candidate count and the progress callback. Its three measurements are the stages' own: new-item
 * Recall@20 of priors (stage 1), the personal blend's descent (stage 2), and the exact figures of the
 * personal level as served. `tune.ts` runs the stages in order.
 */
import { K, personalFigures, Tally, type Holdout, type LevelFigures } from './holdout.js'
import { easeItemsOf, fitEase } from './ease.js'
import {
  binarySearch,
  QUANT_BITS,
  trainItemModel,
  withNeighbourParams,
  type ItemModel,
} from './item-model.js'
import { DEFAULT_ENGINE_PARAMS, type ItemModelParams, type PersonalParams } from './params.js'
import { neighbourScores, popularityPrior, repeatScores, sourceWeights } from './scoring.js'
import {
  blendCases,
  blendFigures,
  freshTop,
  neighboursOf,
  priorOrderOf,
  type Scratch,
  type Sources,
  type Sparse,
} from './tune.cases.js'
import { BLEND_ROUNDS, Descent, GRID, type PriorParams, type Stage1 } from './tune.grid.js'

/** A context for one tuning run: the held-out split and what its searches share. */
export class Search {
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
    private readonly onProgress: ((done: number, total: number) => void) | undefined,
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
      only !== undefined ? [only] : gridPriors(sourceTauDays, easeWeight)
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
  blend(
    choice: Stage1,
    start: PersonalParams,
  ): { params: PersonalParams; figures: LevelFigures; recalls: () => Float64Array } {
    const { h, guards } = this
    const model = this.modelFor(choice.item)
    const priorParams = { ...start, ...choice.prior }
    const sources = this.sources(model)
    const knn = this.knn(model, priorParams.sourceTauDays)
    const cases = blendCases(model, h, sources, knn, priorParams, this.hadMasks, this.scratch)
    const prior = popularityPrior(model, priorParams.popularityRecent)
    const figuresOf = (params: PersonalParams): LevelFigures => {
      const figures = blendFigures(model, cases, h.from, params, guards, prior)
      this.candidates++
      this.step()
      return figures
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
    const { params, figures } = found
    /** Each held-out shopper's Recall@20 under the blend found, from the same cases (`clearlyBetter`). */
    const recalls = (): Float64Array => {
      const tally = new Tally()
      blendFigures(model, cases, h.from, params, guards, prior, tally)
      return tally.recalls()
    }
    return { params, figures, recalls }
  }

  /** Exact figures of the personal level as served (`scorePersonal`). */
  personalExact(item: ItemModelParams, params: PersonalParams): LevelFigures {
    this.candidates++
    this.step()
    return personalFigures(this.modelFor(item), this.h, params, this.excluded)
  }
}

/** Stage 1's priors on the grid for one source decay and EASE share: TopPop first, then P's weights. */
function gridPriors(sourceTauDays: number, easeWeight: number): PriorParams[] {
  return [
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
}
