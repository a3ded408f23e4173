/**
 * Every tunable number of the engine, in one place, with the defaults a shop gets before it has
 * enough history to tune its own (`tune.ts` learns them per shop from its most recent period).
 * Plain data: a model carries the parameters it was trained and is scored with, and they are
 * stored with each training run.
 */

/** How the neighbour model's statistics are built (`trainItemModel`). */
export interface ItemModelParams {
  /** Recency decay (days) of a subject's items in the co-occurrence. 0 disables decay. */
  readonly tauDays: number
  /** Exponent gamma of the per-subject normalisation 1 / |u|^gamma. */
  readonly subjectExponent: number
  /** Exponent on the degree of the source item (row). */
  readonly alpha: number
  /** Exponent on the degree of the recommended item (column): the popularity penalty. */
  readonly beta: number
  /** Neighbours kept per item. */
  readonly neighbours: number
  /** Window (days) for recent popularity and, doubled, for trending. */
  readonly recentDays: number
  /**
   * Items the EASE component models (the most held ones, `ease.ts`); 0: no EASE component. Its
   * score joins the neighbour score N by `PersonalParams.easeWeight`.
   */
  readonly easeItems: number
  /** EASE's ridge lambda, as a multiple of the mean diagonal of the modelled items' Gram matrix. */
  readonly easeLambda: number
}

/**
 * The `personal` level's score of item i for one shopper:
 *
 *     total_i = repeatWeight * R_i + otherWeight * O_i
 *     O_i     = scaled(neighbourWeight * N_i + popularityWeight * P_i)
 *
 * R is the repeat score (scaled to a maximum of 1), N the neighbour score of the shopper's history
 * (scaled to 1), P the popularity prior (scaled to 1), and `scaled` scales to a maximum of 1. The
 * trivial answers are points of this space: TopPop is repeatWeight 0, neighbourWeight 0;
 * RepeatFreq is otherWeight 0, repeatTauDays 0, repeatUnit 'event', both exponents 0.
 */
export interface PersonalParams {
  /** Decay (days) of a repeat purchase's weight with its age; 0 disables decay. */
  readonly repeatTauDays: number
  /** What one repeat counts: each distinct day the item was had, or each event. */
  readonly repeatUnit: 'day' | 'event'
  /** Exponent on the item's repeat propensity (subjects who rebought it / subjects who bought it). */
  readonly repeatPropensityExponent: number
  /** Exponent on the item's recent share (subjects in the recent window / all its subjects). */
  readonly recentShareExponent: number
  /** Weight of the repeat score R. */
  readonly repeatWeight: number
  /** Weight of the other items' score O (neighbours and popularity) against R. */
  readonly otherWeight: number
  /**
   * How much each history item counts as a source of N: exp(-age of its last event / this many
   * days); 0 counts every history item once.
   */
  readonly sourceTauDays: number
  /** Weight of the neighbour score N within O. */
  readonly neighbourWeight: number
  /**
   * Share of the EASE score in N (0: item neighbours only, 1: EASE only), each part scaled to a
   * maximum of 1 first; used only when the model has an EASE component.
   */
  readonly easeWeight: number
  /** Weight of the popularity prior P within O. */
  readonly popularityWeight: number
  /** Share of recent-window popularity in P (0: all-time subjects per item, 1: recent subjects only). */
  readonly popularityRecent: number
}

/**
 * The `session` level's score: neighbourWeight * scaled(neighbours of this visit's items) +
 * offWeight * (the `off` ranking as a score in [0, 1]). neighbourWeight 0 is exactly the `off` answer.
 */
export interface SessionParams {
  /** Weight ratio between consecutive distinct session items, most recent first. */
  readonly recencyDecay: number
  readonly neighbourWeight: number
  readonly offWeight: number
}

/** How a model scores: stored with it, so serving uses what training chose. */
export interface ScoringParams {
  readonly personal: PersonalParams
  readonly session: SessionParams
}

export interface EngineParams extends ScoringParams {
  readonly item: ItemModelParams
}

export const DEFAULT_ITEM_MODEL_PARAMS: ItemModelParams = Object.freeze({
  tauDays: 60,
  subjectExponent: 1,
  alpha: 0.5,
  beta: 0.5,
  neighbours: 200,
  recentDays: 30,
  easeItems: 0,
  easeLambda: 1,
})

export const DEFAULT_PERSONAL_PARAMS: PersonalParams = Object.freeze({
  repeatTauDays: 240,
  repeatUnit: 'day',
  repeatPropensityExponent: 0.5,
  recentShareExponent: 0.5,
  repeatWeight: 1,
  otherWeight: 0.25,
  sourceTauDays: 0,
  neighbourWeight: 1,
  easeWeight: 0,
  popularityWeight: 0,
  popularityRecent: 1,
})

export const DEFAULT_SESSION_PARAMS: SessionParams = Object.freeze({
  recencyDecay: 0.9,
  neighbourWeight: 1,
  offWeight: 0,
})

export const DEFAULT_SCORING_PARAMS: ScoringParams = Object.freeze({
  personal: DEFAULT_PERSONAL_PARAMS,
  session: DEFAULT_SESSION_PARAMS,
})

export const DEFAULT_ENGINE_PARAMS: EngineParams = Object.freeze({
  item: DEFAULT_ITEM_MODEL_PARAMS,
  ...DEFAULT_SCORING_PARAMS,
})
