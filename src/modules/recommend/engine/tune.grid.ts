/**
 * The search space of self-tuning (`tune.ts`): the grid of each parameter, the bounds that keep the
 * search's cost fixed (EASE size, blend configurations and rounds), what a stage 1 choice is, and
 * the coordinate descent the stages share. No data is read here.
 */
import { better, type LevelFigures } from './holdout.js'
import type { ItemModelParams, PersonalParams } from './params.js'

/**
 * The smallest weight of the other items' score in the blend: the shopper's own items keep the order
 * of their repeat score (O can only break its near-ties), and everything after them is ranked by
 * stage 1's choice rather than by plain popularity.
 */
export const TAIL_WEIGHT = 0.001

/** Grids of the search (each small: coordinate descent visits one parameter at a time). */
export const GRID = {
  tauDays: [0, 30, 90, 240],
  alpha: [0, 0.25, 0.5, 0.75, 1],
  beta: [0, 0.25, 0.5, 0.75, 1],
  subjectExponent: [0, 0.5, 1],
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
export const EASE_MIN_ITEMS = 50

/** Neighbour configurations whose personal blend is searched in stage 2, at most. */
export const BLEND_CONFIGS = 5
/** Rounds of coordinate descent over the blend (a second one changed nothing measurable on UCI). */
export const BLEND_ROUNDS = 1
const BLEND_STEPS =
  BLEND_ROUNDS *
  (GRID.otherWeight.length +
    GRID.repeatTauDays.length +
    GRID.repeatUnit.length +
    GRID.repeatPropensityExponent.length +
    GRID.recentShareExponent.length +
    1)

/** The candidates a tuning run plans to evaluate: the progress total it reports. */
export function plannedCandidates(): number {
  return (
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
  )
}

/** The prior stage 1 mixes into the neighbour score, and the source decay and EASE share of N. */
export type PriorParams = Pick<
  PersonalParams,
  'neighbourWeight' | 'popularityWeight' | 'popularityRecent' | 'sourceTauDays' | 'easeWeight'
>

/** One stage 1 candidate: a neighbour configuration with a prior, and how it ranked new items. */
export interface Stage1 {
  readonly item: ItemModelParams
  readonly prior: PriorParams
  /** New-item Recall@20 on the held-out period. */
  readonly newRecall: number
}

/**
 * Coordinate descent: one parameter at a time over its grid, keeping a change only when it ranks the
 * held-out period better (Recall@20, then NDCG@10).
 */
export class Descent<P extends object> {
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
