/**
 * The trained item model: exact sufficient statistics plus the item-to-item neighbour lists
 * derived from them.
 *
 * Co-purchase strength between items i and j is a recency-weighted, subject-normalised
 * co-occurrence
 *
 *     S_ij = sum over subjects u holding both i and j of  v_ui * v_uj / |u|^gamma,
 *     v_ui = exp(-(trainedAt - lastTime_ui) / tau)
 *
 * and the neighbour weight is an RP3beta-style normalisation by item degrees (number of subjects
 * holding an item), W_ij = S_ij / (c_i^alpha * c_j^beta), keeping the `neighbours` largest per row.
 * See README.md for where these choices come from and what they were measured against.
 *
 * Each subject's contribution to S is rounded to an integer multiple of 2^-QUANT_BITS before it is
 * added, so every statistic is an exact integer in a float64. Adding and removing subjects is then
 * exact and order-independent, which is what makes erasure equal retraining bit for bit.
 *
 * This file holds the model's shape and its lifecycle (train, re-parameterise, erase); the
 * statistics are accumulated in `item-model.stats.ts`, the neighbour lists built and updated in
 * `item-model.neighbours.ts`, and erasure's subtraction is in `item-model.erase.ts`.
 */
import type { History, Interactions } from './interactions.js'
import { type EaseComponent, easeItemsOf, fitEase } from './ease.js'
import { subtractCooccurrence, subtractCounts } from './item-model.erase.js'
import { buildNeighbours, updateRows, type NeighbourRows } from './item-model.neighbours.js'
import {
  contributionOf,
  contributionsOf,
  cooccurrenceOf,
  countItems,
  QUANT,
  type SparseRows,
} from './item-model.stats.js'
import { binarySearch } from './top-k.js'
import { addRows, federatedRows, type FederatedPairs } from './federated.js'
export { binarySearch } from './top-k.js'
import {
  DEFAULT_ITEM_MODEL_PARAMS,
  DEFAULT_SCORING_PARAMS,
  type ItemModelParams,
  type ScoringParams,
} from './params.js'

export { QUANT_BITS, mirrorUpper, type SparseRows } from './item-model.stats.js'
export type { NeighbourRows } from './item-model.neighbours.js'
export type { ItemModelParams } from './params.js'
export { DEFAULT_ITEM_MODEL_PARAMS } from './params.js'

export interface ItemModel {
  readonly nItems: number
  readonly params: ItemModelParams
  /** How answers are scored from this model (chosen with it at training time). */
  readonly scoring: ScoringParams
  /** Reference time (ms) for decay and windows; events after it are ignored. */
  readonly trainedAt: number
  /** Subjects that contributed at least one item. */
  readonly subjects: number
  /** c_i: subjects holding item i (any time up to trainedAt). */
  readonly itemSubjects: Float64Array
  /** Subjects with item i in (trainedAt - recentDays, trainedAt]. */
  readonly recentSubjects: Float64Array
  /** Subjects with item i in (trainedAt - 2 * recentDays, trainedAt - recentDays]. */
  readonly earlierSubjects: Float64Array
  /** Subjects who had item i on at least two distinct (UTC) days: its repeat propensity. */
  readonly repeatSubjects: Float64Array
  /** Quantised S (integers; divide by 2^QUANT_BITS for the real value). */
  readonly cooccurrence: SparseRows
  /** The diagonal S would have: per item, the sum of its subjects' quantised v^2 / |u|^gamma. */
  readonly selfOccurrence: Float64Array
  readonly neighbours: NeighbourRows
  /** The EASE component (`ease.ts`), when `params.easeItems` > 0. */
  readonly ease?: EaseComponent
}

export interface TrainOptions {
  readonly now: number
  readonly params?: Partial<ItemModelParams>
  /** How answers are scored from the model (default `DEFAULT_SCORING_PARAMS`). */
  readonly scoring?: ScoringParams
  /** Items that must never be model input (special categories): mask, 1 = excluded. */
  readonly excluded?: Uint8Array
  /**
   * The items the EASE component models (sorted), when they were chosen before: erasure keeps a
   * model's choice until the next training. Default: the `params.easeItems` most held items.
   */
  readonly easeItems?: Int32Array
  /** Pair counts estimated from federated reports (`federated.ts`), added to the co-occurrence. */
  readonly federated?: FederatedPairs
}

function resolveParams(partial: Partial<ItemModelParams> | undefined): ItemModelParams {
  const p = { ...DEFAULT_ITEM_MODEL_PARAMS, ...partial }
  if (!(p.neighbours >= 1) || !Number.isInteger(p.neighbours)) {
    throw new RangeError('neighbours must be a positive integer')
  }
  if (!(p.tauDays >= 0) || !(p.recentDays > 0)) throw new RangeError('bad time parameters')
  if (!(p.easeItems >= 0) || !Number.isInteger(p.easeItems) || !(p.easeLambda > 0)) {
    throw new RangeError('easeItems must be a whole number >= 0 and easeLambda above 0')
  }
  return Object.freeze(p)
}

/**
 * Trains the item model from all subjects' histories. Deterministic: the result depends only on
 * the set of (subject history) inputs, not on subject order.
 *
 * @example
 * const model = trainItemModel(interactions, { now: Date.now(), excluded: specialCategoryMask })
 */
export function trainItemModel(interactions: Interactions, options: TrainOptions): ItemModel {
  const params = resolveParams(options.params)
  const n = interactions.nItems
  const now = options.now
  const contributions = contributionsOf(interactions, now, params, options.excluded)
  const counts = countItems(contributions, n)
  const counted = cooccurrenceOf(contributions, n)
  const { selfOccurrence } = counted
  const federated = options.federated
  const cooccurrence =
    federated === undefined || federated.counts.length === 0
      ? counted.cooccurrence
      : addRows(
          counted.cooccurrence,
          federatedRows({ ...federated, unit: federated.unit ?? 2 ** -params.subjectExponent }, n),
        )
  return {
    nItems: n,
    params,
    scoring: options.scoring ?? DEFAULT_SCORING_PARAMS,
    trainedAt: now,
    subjects: contributions.length,
    ...counts,
    cooccurrence,
    selfOccurrence,
    neighbours: buildNeighbours(cooccurrence, counts.itemSubjects, params),
    ...easePart(cooccurrence, selfOccurrence, counts.itemSubjects, params, options.easeItems),
  }
}

/** The EASE component of these statistics, as a property to spread (none when easeItems is 0). */
function easePart(
  co: SparseRows,
  self: Float64Array,
  itemSubjects: Float64Array,
  params: ItemModelParams,
  items: Int32Array | undefined,
): { ease?: EaseComponent } {
  if (!(params.easeItems > 0)) return {}
  const chosen = items ?? easeItemsOf(itemSubjects, params.easeItems)
  return { ease: fitEase(co, self, chosen, params.easeLambda, QUANT) }
}

/**
 * The same statistics with other EASE parameters: the component is refitted (or dropped, easeItems
 * 0), nothing else changes. Equals `trainItemModel` run with those parameters.
 */
export function withEaseParams(
  model: ItemModel,
  params: Pick<ItemModelParams, 'easeItems' | 'easeLambda'>,
): ItemModel {
  const next = resolveParams({ ...model.params, ...params })
  const { ease: _old, ...rest } = model
  return {
    ...rest,
    params: next,
    ...easePart(model.cooccurrence, model.selfOccurrence, model.itemSubjects, next, undefined),
  }
}

/**
 * The same statistics with other neighbour parameters (alpha, beta, neighbours): only the neighbour
 * lists are rebuilt, so tuning can try them without recounting co-occurrences. Equals
 * `trainItemModel` run with those parameters.
 */
export function withNeighbourParams(
  model: ItemModel,
  params: Pick<Partial<ItemModelParams>, 'alpha' | 'beta' | 'neighbours'>,
): ItemModel {
  const next = resolveParams({ ...model.params, ...params })
  return {
    ...model,
    params: next,
    neighbours: buildNeighbours(model.cooccurrence, model.itemSubjects, next),
  }
}

/** The same model scored with other parameters (nothing is recomputed). */
export function withScoring(model: ItemModel, scoring: ScoringParams): ItemModel {
  return { ...model, scoring }
}

/**
 * Removes one subject's contribution (erasure). `history` must be the subject's events as training
 * saw them (events after `model.trainedAt` are ignored here as they were there), and `excluded`
 * the same mask. The result equals, array for array, `trainItemModel` run without this subject.
 * Returns a new model; the input is not changed.
 */
export function removeSubject(
  model: ItemModel,
  history: History,
  options: { excluded?: Uint8Array } = {},
): ItemModel {
  const n = model.nItems
  const { params } = model
  const lastSeen = new Float64Array(n).fill(Number.NEGATIVE_INFINITY)
  const maxWeight = new Float64Array(n)
  const c = contributionOf(
    history,
    n,
    model.trainedAt,
    params,
    options.excluded,
    lastSeen,
    maxWeight,
  )
  if (c.items.length === 0) return model
  const counts = subtractCounts(model, c)
  const { cooccurrence, selfOccurrence } = subtractCooccurrence(
    n,
    model.cooccurrence,
    model.selfOccurrence,
    c,
  )
  const neighbours = updateRows(
    model.neighbours,
    cooccurrence,
    counts.itemSubjects,
    params,
    c.items,
  )
  // EASE is refitted from the updated statistics on the same items (when the subject held one of
  // them; otherwise its Gram matrix, and so B, did not change).
  const ease = model.ease
  const touches =
    ease !== undefined &&
    c.items.some((i) => binarySearch(ease.items, 0, ease.items.length, i) >= 0)
  return {
    ...model,
    subjects: model.subjects - 1,
    ...counts,
    cooccurrence,
    selfOccurrence,
    neighbours,
    ...(touches
      ? easePart(cooccurrence, selfOccurrence, counts.itemSubjects, params, ease.items)
      : {}),
  }
}
