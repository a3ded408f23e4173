/**
 * Self-tuning per shop: hold out the shop's most recent period, pick the engine's parameters by a
 * bounded search on it, then train on everything with what was chosen. (Work in progress: this
 * first version trains with the defaults and says so.)
 */
import type { Interactions } from './interactions.js'
import { trainItemModel, type ItemModel } from './item-model.js'
import { DEFAULT_ENGINE_PARAMS, type EngineParams } from './params.js'

export interface TuneOptions {
  /** Training time (ms): nothing after it is read. */
  readonly now: number
  /** Items that must never be model input (special categories): mask, 1 = excluded. */
  readonly excluded?: Uint8Array
  /** Share of the training span held out for validation (default 0.1). */
  readonly holdoutFraction?: number
  /** The held-out period is at least this many days (default 7). */
  readonly holdoutMinDays?: number
  /** false: no search, train with `params` (or the defaults). Default true. */
  readonly tune?: boolean
  /** Starting point of the search, or the parameters used when not tuning. */
  readonly params?: EngineParams
  /** When each item was first listed (ms, NaN unknown), for the `off` level's new arrivals. */
  readonly firstSeen?: Float64Array
  /** Called as candidates are evaluated. */
  readonly onProgress?: (done: number, total: number) => void
}

/** Ranking quality on the held-out period, averaged over its shoppers (BENCHMARKS.md's metrics). */
export interface LevelFigures {
  readonly recall20: number
  readonly ndcg10: number
  readonly newRecall20: number
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

/**
 * Tunes on the shop's own most recent period, then trains on all of `interactions`.
 *
 * @example
 * const { model, report } = trainShop(interactions, { now: Date.now(), excluded })
 */
export function trainShop(interactions: Interactions, options: TuneOptions): TrainedShop {
  const params = options.params ?? DEFAULT_ENGINE_PARAMS
  const model = trainItemModel(interactions, {
    now: options.now,
    params: params.item,
    ...(options.excluded === undefined ? {} : { excluded: options.excluded }),
  })
  return {
    model,
    report: { tuned: false, note: 'defaults: tuning not built yet', candidates: 0, params },
  }
}
