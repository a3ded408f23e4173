/**
 * The model's lifecycle: training from consented histories, the in-memory model state every answer
 * reads, and what changes it between trainings (a subject forgotten by any process, catalog upserts).
 * The CPU part of training runs elsewhere (`training.ts`); the item masks answers filter with are in
 * `masks.ts`.
 */
import type { Clock } from '../../lib/clock.js'
import { newSortableId } from '../../lib/ids.js'
import type { Db } from '../../storage/db.js'
import type { CatalogService, Item } from '../catalog/index.js'
import type { ConsentService } from '../consent/index.js'
import type { EventsService, StoredEvent } from '../events/index.js'
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
import {
  type Trainer,
  createEventColumns,
  createEventLoopYield,
  createGrowingIdIndex,
  trainOffThread,
} from './training.js'
import type { TrainingRun, createRecommendRepository } from './recommend.repository.js'

export const PERSONAL_PURPOSE = 'personalize.recommendations'

/** How much each event type says about a shopper's taste. */
export const TYPE_WEIGHT: Record<string, number> = {
  purchase: 1,
  cart: 0.5,
  view: 0.25,
  feedback: 0,
  search: 0,
}

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

export interface ModelDeps {
  db: Db
  clock: Clock
  consent: ConsentService
  events: EventsService
  catalog: CatalogService
  repo: ReturnType<typeof createRecommendRepository>
  /** Where training's CPU part runs: a worker thread (the default, `trainOffThread`) or this one. */
  trainer?: Trainer
}

/** How often a process looks for subjects other processes took out of the model. */
const FORGOTTEN_SYNC_MS = 1000
/** How often a process looks for catalog items upserted since it last looked, by any process. */
const CATALOG_SYNC_MS = 1000
/**
 * Each look starts this long before the previous one: an item's `updatedAt` is its writer's clock when
 * the batch was prepared, so a batch that committed late, or a writer whose clock runs a little behind,
 * is still found. Items read again unchanged are skipped.
 */
const CATALOG_OVERLAP_MS = 10_000

export type ModelHolder = ReturnType<typeof createModelHolder>

/**
 * The one in-memory model of this process: trained on first use (answers wait for that training rather
 * than each starting another) or on request, and kept current between trainings by `fresh`.
 */
export function createModelHolder(deps: ModelDeps) {
  let state: ModelState | undefined
  let training: Promise<ModelState> | undefined
  const synced: Synced = { forgotten: 0, catalog: 0 }
  const trainer = deps.trainer ?? trainOffThread

  async function current(): Promise<ModelState> {
    if (state !== undefined) return state
    training ??= trainModel(deps, trainer).finally(() => {
      training = undefined
    })
    state = await training
    return state
  }

  return {
    current,

    /** The model state for an answer: the current one, with forgets and catalog changes applied. */
    async fresh(): Promise<ModelState> {
      const s = await current()
      await syncForgotten(deps, synced, s)
      await syncCatalog(deps, synced, s)
      return s
    },

    /** Trains from scratch now and serves the new model from then on. */
    async train(onProgress?: TrainProgress): Promise<TrainingRun> {
      const next = trainModel(deps, trainer, onProgress)
      if (state === undefined && training === undefined) {
        // Until the first model exists, answers wait for this training (it runs off the event loop,
        // so they arrive meanwhile) rather than each starting another.
        const shared = next.finally(() => {
          training = undefined
        })
        shared.catch(() => undefined) // A failure is this caller's to report.
        training = shared
      }
      state = await next
      return state.run
    },

    /**
     * Records that the subject is out of every model (for the other processes sharing this database,
     * which hold models of their own) and subtracts their contribution here; true if they had one.
     */
    async forget(executor: Db, subjectId: string): Promise<boolean> {
      await deps.repo.insertForgotten(executor, subjectId, deps.clock.now().toISOString())
      return state === undefined ? false : forget(state, subjectId)
    },

    /** What the model holds of the subject, for access requests. */
    async exportSubject(subjectId: string) {
      const s = await current()
      const row = s.subjects.get(subjectId)
      return {
        contributesToModel: row !== undefined,
        itemsInModel:
          row === undefined
            ? []
            : [
                ...new Set(
                  Array.from(historyOf(s.interactions, row).items, (i) => s.items.ids[i]!),
                ),
              ],
        trainedAt: s.run.trainedAt,
      }
    },
  }
}

/** When this process last looked for forgets and catalog changes (wall clock, ms). */
interface Synced {
  forgotten: number
  catalog: number
}

/**
 * Applies every forget recorded since this model was trained, by any process. Cheap when there is
 * nothing new (one indexed read at most once a second).
 */
async function syncForgotten(deps: ModelDeps, synced: Synced, s: ModelState): Promise<void> {
  const wall = Date.now()
  if (wall - synced.forgotten < FORGOTTEN_SYNC_MS) return
  synced.forgotten = wall
  for (const { subjectId } of await deps.repo.listForgottenSince(deps.db, s.run.trainedAt))
    forget(s, subjectId)
}

/**
 * Brings the model's catalog up to date with every upsert since it was trained, by any process: a new
 * item is recommendable (among the `off` level's new arrivals, or bought again) within a second, without
 * waiting for the next training. Cheap when nothing changed: one indexed read at most once a second.
 */
async function syncCatalog(deps: ModelDeps, synced: Synced, s: ModelState): Promise<void> {
  const wall = Date.now()
  if (wall - synced.catalog < CATALOG_SYNC_MS) return
  synced.catalog = wall
  const since = s.catalogSince ?? Date.parse(s.run.trainedAt) - CATALOG_OVERLAP_MS
  const lookedAt = deps.clock.now().getTime()
  const upserted = await deps.catalog.listItemsUpdatedSince(new Date(since).toISOString())
  s.catalogSince = Math.max(since, lookedAt - CATALOG_OVERLAP_MS)
  applyCatalog(s, upserted)
}

/** Subtracts the subject's contribution from the model exactly; false if they had none. */
function forget(s: ModelState, subjectId: string): boolean {
  const row = s.subjects.get(subjectId)
  if (row === undefined) return false
  s.model = removeSubject(s.model, historyOf(s.interactions, row), {
    excluded: s.trainedExcluded ?? s.excluded,
  })
  s.subjects.delete(subjectId)
  return true
}

async function readCatalog(catalog: CatalogService): Promise<Item[]> {
  const all: Item[] = []
  let after: string | undefined
  for (;;) {
    const page = await catalog.listItems({
      limit: 1000,
      ...(after === undefined ? {} : { after }),
    })
    all.push(...page)
    if (page.length < 1000) return all
    after = page.at(-1)!.id
  }
}

/**
 * Consented events, straight into columns (about 20 bytes each), indexed as they arrive: items after
 * the catalog's, subjects in the order they are read.
 */
async function readConsentedEvents(
  deps: ModelDeps,
  catalogItems: readonly Item[],
  onProgress?: TrainProgress,
) {
  const items = createGrowingIdIndex(catalogItems.map((item) => item.id))
  const subjectIds = createGrowingIdIndex()
  const columns = createEventColumns()
  const allowed = new Map<string, boolean>()
  const letOthersRun = createEventLoopYield()
  for await (const page of deps.events.readItemEventsForPurpose(PERSONAL_PURPOSE)) {
    for (const event of page) {
      let ok = allowed.get(event.subjectId)
      if (ok === undefined) {
        // Consent is asked now, not at ingest: a withdrawal or restriction keeps a history out.
        ok = (await deps.consent.decide(event.subjectId, PERSONAL_PURPOSE)).allowed
        allowed.set(event.subjectId, ok)
        await letOthersRun()
      }
      if (!ok) continue
      columns.push(
        subjectIds.add(event.subjectId),
        items.add(event.item),
        eventTime(event),
        TYPE_WEIGHT[event.type] ?? 0.25,
      )
    }
    onProgress?.('events', columns.length, columns.length)
    await letOthersRun()
  }
  return { items, subjectIds, columns }
}

/** Per item index: special category, availability and listing time, from the catalog. */
function catalogArrays(items: IdIndex, catalogItems: readonly Item[]) {
  const nItems = items.ids.length
  const excluded = new Uint8Array(nItems)
  const unavailable = new Uint8Array(nItems)
  const listed = new Float64Array(nItems).fill(Number.NaN)
  for (const item of catalogItems) {
    const i = items.byId.get(item.id)!
    if (item.specialCategory !== undefined) excluded[i] = 1
    if (!item.available) unavailable[i] = 1
    listed[i] = new Date(item.updatedAt).getTime()
  }
  return { excluded, unavailable, listed }
}

/** Trains a model state from the catalog and the consented histories, and records the run. */
async function trainModel(
  deps: ModelDeps,
  trainer: Trainer,
  onProgress?: TrainProgress,
): Promise<ModelState> {
  const started = performance.now()
  const now = deps.clock.now()
  const catalogItems = await readCatalog(deps.catalog)
  onProgress?.('items', catalogItems.length, catalogItems.length)
  const { items, subjectIds, columns } = await readConsentedEvents(deps, catalogItems, onProgress)
  const nItems = items.ids.length
  const { excluded, unavailable, listed } = catalogArrays(items, catalogItems)
  const events = columns.length
  let modelProgress = false
  // The CPU part (tuning included) runs off the event loop; the columns move to it (see training.ts).
  const { interactions, firstSeen, model, report } = await trainer(
    {
      events: columns.columns(),
      nSubjects: subjectIds.ids.length,
      nItems,
      now: now.getTime(),
      excluded,
      listed,
    },
    (done, total) => {
      modelProgress = true
      onProgress?.('model', done, total)
    },
  )
  if (!modelProgress) onProgress?.('model', 1, 1)
  const run: TrainingRun = {
    id: newSortableId('tr', now.getTime()),
    trainedAt: now.toISOString(),
    subjects: subjectIds.ids.length,
    items: nItems,
    events,
    seconds: Math.round(performance.now() - started) / 1000,
    quality: { ...report },
  }
  await deps.repo.insertTrainingRun(deps.db, run)
  const trained: ModelState = {
    items: { ids: items.ids, byId: items.byId },
    catalog: new Map(catalogItems.map((item) => [item.id, item])),
    model,
    interactions,
    subjects: new Map(subjectIds.ids.map((id, s) => [id, s])),
    excluded,
    unavailable,
    firstSeen,
    run,
    masks: new Map(),
    offRankings: new Map(),
  }
  // A subject erased or objecting while this trained (by any process) leaves it at once.
  for (const { subjectId } of await deps.repo.listForgottenSince(deps.db, run.trainedAt))
    forget(trained, subjectId)
  return trained
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
function applyCatalog(s: ModelState, upserted: readonly Item[]): void {
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
