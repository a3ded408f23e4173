/**
 * Training a model state: the catalog and the consented histories read into compact columns, the CPU
 * part handed to a `Trainer` (a worker thread by default, `training.ts`), the run recorded, and the
 * subjects forgotten meanwhile subtracted.
 */
import { newSortableId } from '../../lib/ids.js'
import type { CatalogService, Item } from '../catalog/index.js'
import type { IdIndex } from './engine/index.js'
import type { ModelDeps } from './model.js'
import {
  type ModelState,
  type TrainProgress,
  PERSONAL_PURPOSE,
  TYPE_WEIGHT,
  eventTime,
  subtractForgotten,
} from './model.state.js'
import {
  type Trainer,
  createEventColumns,
  createEventLoopYield,
  createGrowingIdIndex,
} from './training.js'
import type { TrainingRun } from './recommend.repository.js'

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

/** The most items whose pairs federated estimates cover: estimating is n^2 k / 2 steps. */
const FEDERATED_MAX_ITEMS = 4000

/**
 * Federated pair estimates (none without a source), over every item or, in a larger catalog, the
 * `FEDERATED_MAX_ITEMS` with the most consented events; indices into `ids`.
 */
async function federatedPairs(deps: ModelDeps, ids: readonly string[], events: Int32Array) {
  if (deps.federated === undefined) return undefined
  let chosen = Int32Array.from(ids.keys())
  if (ids.length > FEDERATED_MAX_ITEMS) {
    const counts = new Float64Array(ids.length)
    for (const i of events) counts[i]!++
    chosen = chosen.sort((x, y) => counts[y]! - counts[x]! || x - y).slice(0, FEDERATED_MAX_ITEMS)
  }
  const found = await deps.federated.pairEstimates(Array.from(chosen, (i) => ids[i]!))
  return {
    a: Int32Array.from(found.a, (x) => chosen[x]!),
    b: Int32Array.from(found.b, (x) => chosen[x]!),
    counts: found.counts,
  }
}

/** Trains a model state from the catalog and the consented histories, and records the run. */
export async function trainModel(
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
  const federated = await federatedPairs(deps, items.ids, columns.columns().items)
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
      ...(federated === undefined ? {} : { federated }),
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
  subtractForgotten(trained, await deps.repo.listForgottenSince(deps.db, run.trainedAt))
  return trained
}
