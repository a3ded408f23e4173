/**
 * The browser's serving model (`GET /v1/models/current`, the `on_device` level): the engine's
 * `toServingModel` of the very model the `personal` level serves, without special-category items,
 * encoded once per model version and size, and gzipped once. Its ETag is a hash of its bytes, so two
 * processes serving the same version answer the same ETag, and an erasure (which changes the model)
 * changes it.
 */
import { gzipSync } from 'node:zlib'
import { sha256Hex } from '../../lib/crypto.js'
import {
  encodeServingModel,
  type ItemModel,
  type ServingPrecision,
  toServingModel,
} from './engine/index.js'
import type { ModelHolder } from './model.js'
import { type RatingWeights, type RatingWeightsCopy, personalFacts } from './item-ratings.js'

export interface ServingQuery {
  neighbours?: number | undefined
  precision?: ServingPrecision | undefined
}

/**
 * What a browser gets unless it asks otherwise: the size `npm run bench:model-size` chose on UCI (see
 * README, "On-device level"): 690 KB gzipped on UCI (budget 1 MB), Recall@20 0.3634 against the server
 * model's 0.3650, new-item Recall@20 0.1595 against 0.1545.
 */
export const DEFAULT_SERVING: {
  readonly neighbours: number
  readonly precision: ServingPrecision
} = Object.freeze({
  neighbours: 100,
  precision: 'u8',
})

export interface ServedModel {
  /** The strong ETag, quoted: `"<32 hex digits>"`. */
  etag: string
  bytes: Uint8Array
  gzipped: Uint8Array
  /** The items it holds and its neighbours per item, for the answer's headers. */
  items: number
  neighbours: number
  precision: ServingPrecision
  trainedAt: number
}

/** Encodings kept per model (a few sizes at most: the default, and what benchmarks or tests ask). */
const MAX_VARIANTS = 4

export function createServingModels(deps: {
  model: Pick<ModelHolder, 'fresh'>
  ratings: Pick<RatingWeightsCopy, 'current'>
}) {
  const built = new WeakMap<
    ItemModel,
    { excluded: Uint8Array; ratings: RatingWeights | undefined; variants: Map<string, ServedModel> }
  >()
  return {
    /** The serving model of the model in use now, at the size asked (defaults: `DEFAULT_SERVING`). */
    async current(query: ServingQuery = {}): Promise<ServedModel> {
      const s = await deps.model.fresh()
      // Not cut to the model's neighbours: the same number keeps EASE weights, up to 999 per item.
      const neighbours = query.neighbours ?? DEFAULT_SERVING.neighbours
      const precision = query.precision ?? DEFAULT_SERVING.precision
      const ratings = await deps.ratings.current()
      let entry = built.get(s.model)
      // A catalog change may mark more items special-category, and ratings move the rating weight:
      // the model stays, its encodings do not.
      if (entry === undefined || entry.excluded !== s.excluded || entry.ratings !== ratings) {
        entry = { excluded: s.excluded, ratings, variants: new Map() }
        built.set(s.model, entry)
      }
      const key = `${neighbours}|${precision}`
      let served = entry.variants.get(key)
      if (served === undefined) {
        const model = toServingModel(s.model, s.items.ids, {
          neighbours,
          precision,
          excluded: s.excluded,
          ...personalFacts(s, ratings),
        })
        const bytes = encodeServingModel(model)
        served = {
          etag: `"${sha256Hex(bytes).slice(0, 32)}"`,
          bytes,
          gzipped: gzipSync(bytes, { level: 9 }),
          items: model.items.length,
          neighbours,
          precision,
          trainedAt: s.model.trainedAt,
        }
        if (entry.variants.size >= MAX_VARIANTS) entry.variants.clear()
        entry.variants.set(key, served)
      }
      return served
    },
  }
}
