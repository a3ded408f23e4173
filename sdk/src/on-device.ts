/**
 * The `on_device` level: suggestions from the shopper's own history, ranked in this browser with the
 * server's engine code (`src/modules/recommend/engine/`, compiled into the SDK bundle, not a copy) over
 * the serving model (`GET /v1/models/current`). The history stays in IndexedDB (`on-device-store.ts`);
 * the only requests are the model's (revalidated by its ETag) and whatever catalog the page reads.
 */
import { historyOfEvents } from '../../src/modules/recommend/engine/event-history.js'
import { answerPersonal } from '../../src/modules/recommend/engine/personal-answer.js'
import { SENTENCES } from '../../src/modules/recommend/engine/sentences.js'
import {
  decodeServingModel,
  type ServingModel,
} from '../../src/modules/recommend/engine/serving-model.js'
import type { LocalEvent } from './on-device-store.js'
import type { RecommendationResponse, RecommendedItem } from './types.js'

/** What the page's catalog says of an item (titles for the explanations; `available: false` hides it). */
export interface CatalogEntry {
  title?: string
  category?: string[]
  price?: number
  available?: boolean
}

/** A fetched serving model, its version (the ETag) and its item ids' indices. */
export interface OnDeviceModel {
  served: ServingModel
  etag: string
  index: Map<string, number>
}

/** Reads a serving model's bytes (as `GET /v1/models/current` sends them). */
export function readOnDeviceModel(bytes: Uint8Array, etag: string): OnDeviceModel {
  const served = decodeServingModel(bytes)
  return { served, etag, index: new Map(served.items.map((id, i) => [id, i])) }
}

export interface RankOptions {
  /** Reference time (ms): now. */
  now: number
  limit: number
  /** "Not this" items: never suggested, and their events do not count. */
  hidden?: readonly string[]
  /** Items not to show in this answer (the page's product, the basket). */
  exclude?: readonly string[]
  catalog?: (id: string) => CatalogEntry | undefined
}

/**
 * The `personal` ranking of the server for this history, worked out here: the same history rules
 * (`historyOfEvents`), the same ranking function (`answerPersonal`: neighbours, EASE where training
 * chose it, new items in the shopper's categories) and the same sentences (`SENTENCES`).
 */
export function rankOnDevice(
  model: OnDeviceModel,
  events: readonly LocalEvent[],
  options: RankOptions,
): RecommendedItem[] {
  const { served, index } = model
  const hidden = new Set(options.hidden ?? [])
  const known = events.filter((e) => !hidden.has(e.item) && index.has(e.item))
  const history = historyOfEvents(
    known.map((e) => ({ item: index.get(e.item)!, type: e.type, time: e.t })),
  )
  const indices = (ids: Iterable<string>) =>
    Int32Array.from([...ids].flatMap((id) => index.get(id) ?? []))
  const entry = (id: string) => options.catalog?.(id)
  const blocked = new Uint8Array(served.items.length)
  if (options.catalog !== undefined)
    served.items.forEach((id, i) => (blocked[i] = entry(id)?.available === false ? 1 : 0))
  // The served model's catalog facts and rating weights go as they are (`...served`).
  const recs = answerPersonal(served.model, history, {
    ...served,
    now: options.now,
    limit: options.limit,
    guards: { blocked, hiddenItems: indices(hidden), context: indices(options.exclude ?? []) },
  })
  return recs.map((rec) => {
    const id = served.items[rec.item]!
    const item = entry(id)
    const evidence = Array.from(rec.evidence, (i) => {
      const e = served.items[i]!
      return { id: e, title: entry(e)?.title ?? e }
    })
    const shown =
      rec.reason === 'buy_again' || rec.reason === 'looked_at' ? evidence.slice(0, 1) : evidence
    const category = item?.category ?? []
    return {
      id,
      title: item?.title ?? id,
      category,
      ...(item?.price === undefined ? {} : { price: item.price }),
      explanation: {
        kind: rec.reason,
        evidence: shown,
        sentence: SENTENCES[rec.reason](
          shown.map((e) => e.title),
          { rec, category, within: undefined },
        ),
      },
    }
  })
}

/** An answer shaped like Candor's, for `renderRow`: made here, sent nowhere. */
export function onDeviceAnswer(items: RecommendedItem[]): RecommendationResponse {
  return {
    recommId: 'on_device',
    level: 'on_device',
    levelReason: 'on_device: ranked in this browser from the history kept here only',
    items,
  }
}
