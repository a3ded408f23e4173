/**
 * The model state every answer reads (the item model and what it was trained from), and the two ways it
 * changes between trainings, in place: a subject subtracted exactly (erasure, objection), and catalog
 * upserts taken in. Training it is in `model.train.ts`, storing and loading it in `model.store.ts`,
 * holding it in a process in `model.ts`.
 */
import type { Item } from '../catalog/index.js'
import type { StoredEvent } from '../events/index.js'
import {
  type IdIndex,
  type Interactions,
  type ItemModel,
  createIdIndex,
  historyOf,
  removeSubject,
  withItems,
} from './engine/index.js'
import type { CategoryIndex } from './categories.js'
import type { Ranking } from './answer.js'
import type { TrainingRun } from './recommend.repository.js'

export const PERSONAL_PURPOSE = 'personalize.recommendations'

/** How much each event type says about a shopper's taste (the engine's, shared with the browser SDK). */
export { TYPE_WEIGHT } from './engine/index.js'

/**
 * When an event happened, as far as scoring is concerned: the shop's timestamp, but never later than
 * when Candor received it (a browser clock running ahead would otherwise put it in the future, where
 * scoring ignores it).
 */
export function eventTime(event: Pick<StoredEvent, 'occurredAt' | 'receivedAt'>): number {
  const received = Date.parse(event.receivedAt)
  return event.occurredAt === undefined
    ? received
    : Math.min(Date.parse(event.occurredAt), received)
}

/** What is in memory after training: the model and what it was trained from. */
export interface ModelState {
  items: IdIndex
  catalog: Map<string, Item>
  model: ItemModel
  interactions: Interactions
  /** Subject id -> row in `interactions`, for removing a subject's contribution exactly. */
  subjects: Map<string, number>
  /**
   * Special-category items: never model input, never evidence, never recommended from history; the last
   * two only unless the shopper explicitly allowed that category (see `excludedFor` in masks.ts).
   */
  excluded: Uint8Array
  unavailable: Uint8Array
  firstSeen: Float64Array
  run: TrainingRun
  /** Item masks for `Guards.blocked` by filter, built on first use (read-only once built). */
  masks: Map<string, Uint8Array>
  /** `off` rankings by question (they read nothing about anyone). */
  offRankings: Map<string, Ranking>
  /**
   * The special-category mask the model was trained with, kept once the catalog changed `excluded`
   * (see `syncCatalog`): erasure subtracts what training added, so it must use this one.
   */
  trainedExcluded?: Uint8Array
  /** Where `syncCatalog` looks next: items upserted at or after this time (ms, writers' clocks). */
  catalogSince?: number
  /** The catalog's categories (`categoriesOf`), built on first use after training or a catalog change. */
  categories?: CategoryIndex | undefined
}

export interface TrainProgress {
  (stage: 'items' | 'events' | 'model', done: number, total: number): void
}

/** Subtracts the subject's contribution from the model exactly; false if they had none. */
export function subtractSubject(s: ModelState, subjectId: string): boolean {
  const row = s.subjects.get(subjectId)
  if (row === undefined) return false
  s.model = removeSubject(s.model, historyOf(s.interactions, row), {
    excluded: s.trainedExcluded ?? s.excluded,
  })
  s.subjects.delete(subjectId)
  s.firstSeen = firstSeenWithout(s, row)
  return true
}

/**
 * Each item's first sighting once the subject at `row` is gone, as training without them would find it:
 * for the items they had, the earliest event of the subjects still held, or the listing when earlier.
 * No item keeps the time of one of their events (in memory or in a stored version). A new array, so a
 * state read meanwhile is not changed under it.
 */
function firstSeenWithout(s: ModelState, row: number): Float64Array {
  const x = s.interactions
  const affected = new Set<number>()
  for (let p = x.subjectPtr[row]!; p < x.subjectPtr[row + 1]!; p++) affected.add(x.items[p]!)
  const held = new Uint8Array(x.nSubjects)
  for (const r of s.subjects.values()) held[r] = 1
  const firstSeen = s.firstSeen.slice()
  for (const i of affected) firstSeen[i] = Number.NaN
  for (let r = 0; r < x.nSubjects; r++) {
    if (held[r] === 0) continue
    for (let p = x.subjectPtr[r]!; p < x.subjectPtr[r + 1]!; p++) {
      const i = x.items[p]!
      if (affected.has(i) && !(firstSeen[i]! <= x.times[p]!)) firstSeen[i] = x.times[p]!
    }
  }
  for (const i of affected) {
    const item = s.catalog.get(s.items.ids[i]!)
    const listed = item === undefined ? Number.NaN : Date.parse(item.updatedAt)
    if (!Number.isNaN(listed) && !(firstSeen[i]! <= listed)) firstSeen[i] = listed
  }
  return firstSeen
}

/**
 * Subtracts every listed subject the state still holds (each exactly, as `subtractSubject`); true if any
 * was there.
 */
export function subtractForgotten(
  s: ModelState,
  forgotten: readonly { subjectId: string }[],
): boolean {
  let any = false
  for (const { subjectId } of forgotten) if (subtractSubject(s, subjectId)) any = true
  return any
}

/** Whether the model state already holds this version of the item (`syncCatalog` reads some twice). */
function sameItem(held: Item | undefined, item: Item): boolean {
  const fields = (i: Item) =>
    JSON.stringify([
      i.title,
      i.category,
      i.price,
      i.currency,
      i.available,
      i.specialCategory,
      i.updatedAt,
    ])
  return held !== undefined && fields(held) === fields(item)
}

/**
 * Takes upserted items into the model state, all at once (no await): new items get the next indices
 * (`withItems` grows the model, no statistics yet) and their listing time; every changed item its
 * availability and special category (excluded as at training). Masks and `off` rankings are rebuilt on
 * use, and the model is a new object, so no ranking made from the old catalog is reused.
 */
export function applyCatalog(s: ModelState, upserted: readonly Item[]): void {
  const changed = upserted.filter((item) => !sameItem(s.catalog.get(item.id), item))
  if (changed.length === 0) return
  const added = changed.filter((item) => !s.items.byId.has(item.id)).map((item) => item.id)
  const items = added.length === 0 ? s.items : createIdIndex([...s.items.ids, ...added])
  const n = items.ids.length
  const excluded = new Uint8Array(n)
  excluded.set(s.excluded)
  const unavailable = new Uint8Array(n)
  unavailable.set(s.unavailable)
  const firstSeen = new Float64Array(n).fill(Number.NaN)
  firstSeen.set(s.firstSeen)
  for (const item of changed) {
    const i = items.byId.get(item.id)!
    excluded[i] = item.specialCategory === undefined ? 0 : 1
    unavailable[i] = item.available ? 0 : 1
    // Listed now, unless events named it earlier (as training sets it); an update is not a listing.
    const listed = Date.parse(item.updatedAt)
    if (!s.catalog.has(item.id) && !(firstSeen[i]! <= listed)) firstSeen[i] = listed
    s.catalog.set(item.id, item)
  }
  s.trainedExcluded ??= s.excluded
  s.items = items
  s.excluded = excluded
  s.unavailable = unavailable
  s.firstSeen = firstSeen
  s.model = n === s.model.nItems ? { ...s.model } : withItems(s.model, n)
  s.masks = new Map()
  s.offRankings = new Map()
  s.categories = undefined
}
