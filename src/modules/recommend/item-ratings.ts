/**
 * The rating weight's copy (issue 21): per item, the factor (below 1) that aggregated low ratings of
 * the last `RATING_WINDOW_DAYS` put on its `personal` score (`ratingFactor`, engine/rating-weight.ts),
 * read from the voice module's stored ratings once and kept in memory. It stays while it is young
 * (`RATINGS_TTL_MS` on the clock) and this process recorded no rating meanwhile (`drop`, called by the
 * voice service after an item's rating), so another process's ratings count within the TTL and this
 * process's at once. The answers and the browser's serving model both scale by it.
 */
import { type Clock, DAY_MS } from '../../lib/clock.js'
import {
  type CatalogFacts,
  type ItemFactors,
  LOW_RATING,
  RATING_WINDOW_DAYS,
  itemFactorsFrom,
  ratingFactor,
} from './engine/index.js'
import { categoriesOf } from './masks.js'
import type { ModelState } from './model.js'
/** How long the copy answers before it is read again (ratings written by other processes). */
export const RATINGS_TTL_MS = 60_000

/** Where the ratings are: the voice module's aggregate (wired in compose). */
export interface ItemRatingSource {
  itemRatings(
    since: string,
    low: number,
  ): Promise<readonly { item: string; count: number; sum: number; low: number }[]>
}

/** The factors not 1, by item id. A new object whenever they were read again. */
export interface RatingWeights {
  readonly byId: ReadonlyMap<string, number>
}

/** The factors of these per-item summaries against the shop's mean rating (the mean of them all). */
export function ratingWeightsOf(
  rows: readonly { item: string; count: number; sum: number; low: number }[],
): RatingWeights {
  let count = 0
  let sum = 0
  for (const row of rows) [count, sum] = [count + row.count, sum + row.sum]
  const byId = new Map<string, number>()
  const mean = count > 0 ? sum / count : 0
  for (const row of rows) {
    const factor = ratingFactor(row, mean)
    if (factor < 1) byId.set(row.item, factor)
  }
  return { byId }
}

/** The factors of `weights` as the engine takes them, for the items of `byId` (model indices). */
export function itemFactorsOf(
  weights: RatingWeights | undefined,
  byId: ReadonlyMap<string, number>,
): ItemFactors | undefined {
  if (weights === undefined || weights.byId.size === 0) return undefined
  return itemFactorsFrom(
    [...weights.byId].flatMap(([id, f]) => {
      const i = byId.get(id)
      return i === undefined ? [] : [[i, f] as const]
    }),
  )
}

/**
 * What the one personal ranking (`answerPersonal`) takes beside the model and the history: the
 * catalog's facts of the model's state and the rating weight's factors. The server's answer and the
 * browser's serving model both take them from here, so the two rank alike.
 */
export function personalFacts(
  s: ModelState,
  weights: RatingWeights | undefined,
): { catalog: CatalogFacts; itemFactors?: ItemFactors } {
  const itemFactors = itemFactorsOf(weights, s.items.byId)
  return {
    catalog: { categoryOf: categoriesOf(s).of, firstSeen: s.firstSeen },
    ...(itemFactors === undefined ? {} : { itemFactors }),
  }
}

export function createRatingWeights(deps: { clock: Clock; source?: ItemRatingSource | undefined }) {
  let held: { at: number; weights: RatingWeights } | undefined
  let loading: { generation: number; promise: Promise<RatingWeights> } | undefined
  /** Moves on every `drop`: a read begun before it is neither kept nor shared after it. */
  let generation = 0

  async function load(now: number, at: number): Promise<RatingWeights> {
    const since = new Date(now - RATING_WINDOW_DAYS * DAY_MS).toISOString()
    const weights = ratingWeightsOf(await deps.source!.itemRatings(since, LOW_RATING))
    if (at === generation) held = { at: now, weights }
    return weights
  }

  return {
    /** The current weights (undefined: no source wired, nothing is weighted). */
    async current(): Promise<RatingWeights | undefined> {
      if (deps.source === undefined) return undefined
      const now = deps.clock.now().getTime()
      if (held !== undefined && now >= held.at && now - held.at < RATINGS_TTL_MS)
        return held.weights
      if (loading?.generation !== generation) {
        const at = generation
        const promise = load(now, at).finally(() => {
          if (loading?.promise === promise) loading = undefined
        })
        loading = { generation: at, promise }
      }
      return loading.promise
    },
    /** A rating was recorded here: the next answer reads the summary again. */
    drop(): void {
      held = undefined
      generation += 1
    },
  }
}

export type RatingWeightsCopy = ReturnType<typeof createRatingWeights>
