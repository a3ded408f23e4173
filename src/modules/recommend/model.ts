/**
 * The model's lifecycle in a process: the one model state every answer reads, where it comes from (the
 * newest stored version, `model.store.ts`; or a training here, when none is stored and no other process
 * is training, `model.train.ts` and `model.lease.ts`), and what keeps it current between trainings (a
 * newer stored version, subjects forgotten by any process, catalog upserts).
 */
import type { Clock } from '../../lib/clock.js'
import { AppError } from '../../lib/errors.js'
import type { Db } from '../../storage/db.js'
import type { CatalogService } from '../catalog/index.js'
import type { ConsentService } from '../consent/index.js'
import type { EventsService } from '../events/index.js'
import { historyOf } from './engine/index.js'
import { WAIT_POLL_MS, createTrainingLease } from './model.lease.js'
import { type StoredVersion, modelRepository } from './model.repository.js'
import {
  type ModelState,
  type TrainProgress,
  applyCatalog,
  subtractForgotten,
  subtractSubject,
} from './model.state.js'
import { encodeModelState } from './model.codec.js'
import { type HeldVersion, createModelStore } from './model.store.js'
import { trainModel } from './model.train.js'
import { type Trainer, trainOffThread } from './training.js'
import type { TrainingRun, createRecommendRepository } from './recommend.repository.js'

export {
  type ModelState,
  type TrainProgress,
  PERSONAL_PURPOSE,
  TYPE_WEIGHT,
  eventTime,
} from './model.state.js'

export interface ModelDeps {
  db: Db
  clock: Clock
  consent: ConsentService
  events: EventsService
  catalog: CatalogService
  repo: ReturnType<typeof createRecommendRepository>
  /** Where training's CPU part runs: a worker thread (the default, `trainOffThread`) or this one. */
  trainer?: Trainer
  /**
   * False in a process that never trains unasked (CANDOR_TRAIN_INTERVAL_MINUTES=0): with no stored
   * version, answers are refused (`NoModelError`) until one is stored, instead of training here. An
   * explicit `train()` still trains. Default true.
   */
  trainsOnFirstUse?: boolean
  /**
   * Pair counts estimated from federated reports (issue 22, the federated module's
   * `pairEstimates`), indices into `itemIds`; training adds them to the co-occurrence. None: only
   * the consented histories count.
   */
  federated?: FederatedPairSource
}

/** Where training reads federated pair estimates from (the composition root passes the module's). */
export interface FederatedPairSource {
  pairEstimates(
    itemIds: readonly string[],
  ): Promise<{ a: Int32Array; b: Int32Array; counts: Float64Array }>
}

/**
 * No model is stored yet and this process does not train one by itself: a 503 saying how to get one.
 * Answers are refused rather than given without a model, since the levels, the catalog and the guards
 * all come from it.
 */
export class NoModelError extends AppError {
  constructor() {
    super(
      'unavailable',
      'No item model is stored yet, and this server does not train one (CANDOR_TRAIN_INTERVAL_MINUTES=0): run `candor train` against this database (or POST /v1/admin/train); every server loads the stored model within seconds',
      { details: { reason: 'model_not_trained' } },
    )
  }
}

/** How often a process looks for subjects other processes took out of the model. */
const FORGOTTEN_SYNC_MS = 1000
/** How often a process looks for catalog items upserted since it last looked, by any process. */
const CATALOG_SYNC_MS = 1000
/** How often a process looks for a newer stored version (one indexed read). */
const VERSION_SYNC_MS = 2000
/** How often a process that does not train looks for a first stored version while it has none. */
const FIRST_VERSION_POLL_MS = 1000
/**
 * Each look starts this long before the previous one: an item's `updatedAt` is its writer's clock when
 * the batch was prepared, so a batch that committed late, or a writer whose clock runs a little behind,
 * is still found. Items read again unchanged are skipped.
 */
const CATALOG_OVERLAP_MS = 10_000

export type ModelHolder = ReturnType<typeof createModelHolder>

/**
 * The one in-memory model of this process. On first use it loads the newest stored version; with none
 * stored, it trains (answers wait for that rather than each starting another) unless another process
 * holds the training lease, in which case it waits for that one's version. A process that does not
 * train by itself (`trainsOnFirstUse: false`) refuses answers instead (`NoModelError`), looking for a
 * first stored version at most every second. `fresh` keeps it current: a
 * newer stored version is swapped in within seconds (loaded off the answer's path), forgets and catalog
 * changes within a second.
 */
export function createModelHolder(deps: ModelDeps) {
  /** What answers read: a stored version's state (or one this process stored). */
  let held: HeldVersion | undefined
  /** The first model under way (loaded or trained): answers before it wait for it. */
  let first: Promise<ModelState> | undefined
  /** A newer version being loaded. */
  let loading: Promise<boolean> | undefined
  const synced: Synced = { forgotten: 0, catalog: 0, version: Date.now() }
  const trainsOnFirstUse = deps.trainsOnFirstUse ?? true
  /** When a process that does not train last found no stored version (wall clock, ms). */
  let foundNoneAt = Number.NEGATIVE_INFINITY
  const trainer = deps.trainer ?? trainOffThread
  const lease = createTrainingLease({ db: deps.db, clock: deps.clock, repo: modelRepository })
  const store = createModelStore({
    db: deps.db,
    clock: deps.clock,
    repo: modelRepository,
    forgottenSince: (db, since) => deps.repo.listForgottenSince(db, since),
    holder: lease.holder,
  })

  /**
   * Serves `next` unless what is held is a later version (a slow load finishing after a newer write).
   * Forgets and catalog changes since are looked for on the next answer.
   */
  function adopt(next: HeldVersion): void {
    if (held !== undefined && next.version < held.version) return
    held = next
    synced.forgotten = 0
    synced.catalog = 0
  }

  /** The newest stored version, or undefined when there is none or it cannot be read (then: train). */
  async function loadNewest(): Promise<HeldVersion | undefined> {
    try {
      return await store.loadNewest()
    } catch {
      // Another format (a version written by a different release): training replaces it.
      return undefined
    }
  }

  /** Trains here (holding the lease), stores the result as the newest version, and serves it. */
  async function trainAndStore(onProgress?: TrainProgress): Promise<ModelState> {
    const trained = await trainModel(deps, trainer, onProgress)
    adopt(await store.saveTrained(trained))
    return trained
  }

  /**
   * Waits while another process trains: the newest version once one of another run than `before` is
   * stored, or undefined when the lease went free (or ran out) without one.
   */
  async function waitForTraining(before: string | undefined): Promise<StoredVersion | undefined> {
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS))
      const newest = await store.newest()
      if (newest !== undefined && newest.runId !== before) return newest
      if (!(await lease.heldByAnother())) return undefined
    }
  }

  /** The first model: the stored one; else trained here, or by the process that holds the lease. */
  async function firstModel(): Promise<ModelState> {
    for (;;) {
      const loaded = await loadNewest()
      if (loaded !== undefined) {
        adopt(loaded)
        return held!.state
      }
      if (!trainsOnFirstUse) {
        foundNoneAt = Date.now()
        throw new NoModelError()
      }
      const trained = await lease.whileHeld(() => trainAndStore())
      if (trained !== undefined) return trained.value
      await waitForTraining(undefined)
    }
  }

  /** Trains now, unless another process is training: then waits for its version and serves that. */
  async function trainOrWait(onProgress?: TrainProgress): Promise<TrainingRun> {
    for (;;) {
      const before = await store.newest()
      const trained = await lease.whileHeld(() => trainAndStore(onProgress))
      if (trained !== undefined) return trained.value.run
      const stored = await waitForTraining(before?.runId)
      if (stored === undefined) continue
      // Loaded here, or by an answer's look meanwhile (one that began before it was stored finds none).
      const has = () => held !== undefined && held.version >= stored.version
      for (let k = 0; k < 2 && !has(); k++) await refresh()
      if (has()) return held!.state.run
    }
  }

  async function current(): Promise<ModelState> {
    if (held !== undefined) return held.state
    if (first === undefined && Date.now() - foundNoneAt < FIRST_VERSION_POLL_MS)
      throw new NoModelError()
    first ??= firstModel().finally(() => {
      first = undefined
    })
    return await first
  }

  /**
   * Loads the newest stored version if it is newer than the one held; true if it was swapped in. A newer
   * version of the same training (subjects taken out by an erasure elsewhere) is not loaded again: the
   * held state takes out the same subjects (every forget commits with the version that leaves them
   * out, so those read after the version number are at least the ones it left out) and counts as it.
   */
  function refresh(): Promise<boolean> {
    loading ??= (async () => {
      const newest = await store.newest()
      if (newest === undefined || (held !== undefined && newest.version <= held.version))
        return false
      const mine = held
      if (mine !== undefined && newest.runId === mine.state.run.id) {
        const { state } = mine
        subtractForgotten(state, await deps.repo.listForgottenSince(deps.db, state.run.trainedAt))
        if (held === mine)
          held = { state, version: newest.version, storedSubjects: state.subjects.size }
        return false
      }
      const loaded = await loadNewest()
      if (loaded === undefined) return false
      adopt(loaded)
      return held === loaded
    })().finally(() => {
      loading = undefined
    })
    return loading
  }

  /** At most every VERSION_SYNC_MS: a newer version is loaded in the background, answers go on. */
  function syncVersion(): void {
    const wall = Date.now()
    if (wall - synced.version < VERSION_SYNC_MS) return
    synced.version = wall
    // A failed look or load leaves the held model in service; the next look tries again.
    refresh().catch(() => undefined)
  }

  return {
    current,
    refresh,

    /** The model state for an answer: the current one, with forgets and catalog changes applied. */
    async fresh(): Promise<ModelState> {
      const s = await current()
      syncVersion()
      await syncForgotten(deps, synced, s)
      await syncCatalog(deps, synced, s)
      return s
    },

    /**
     * Trains from scratch now, stores the model as the newest version and serves it from then on (the
     * other processes load it within seconds). When another process is training already, waits for its
     * model instead and answers that run.
     */
    async train(onProgress?: TrainProgress): Promise<TrainingRun> {
      const run = trainOrWait(onProgress)
      if (held === undefined && first === undefined) {
        // Until the first model exists, answers wait for this training (it runs off the event loop,
        // so they arrive meanwhile) rather than each starting another.
        const shared = run
          .then(() => held!.state)
          .finally(() => {
            first = undefined
          })
        shared.catch(() => undefined) // A failure is this caller's to report.
        first = shared
      }
      return await run
    },

    /**
     * Records that the subject is out of every model (the other processes sharing this database
     * subtract them within a second), subtracts their contribution here, and, in the same transaction,
     * writes a stored version without them (`cleanse`), so that no stored version holds them once it
     * commits; true if they had a contribution here. Call it before anything else writes in the
     * transaction (see the first step).
     */
    async forget(executor: Db, subjectId: string): Promise<boolean> {
      // The CPU part first (subtracting, encoding), before this writes anything in the transaction: on
      // SQLite, the first write takes the database's write lock until the commit.
      const had = held === undefined ? false : subtractSubject(held.state, subjectId)
      const encoded =
        held !== undefined && held.state.subjects.size < held.storedSubjects
          ? {
              version: held.version,
              subjects: held.state.subjects.size,
              bytes: encodeModelState(held.state),
            }
          : undefined
      await deps.repo.insertForgotten(executor, subjectId, deps.clock.now().toISOString())
      const written = await store.cleanse(executor, held, encoded)
      if (written !== undefined) adopt(written)
      return had
    },

    /** What the model holds of the subject, for access requests (nothing while no model exists). */
    async exportSubject(subjectId: string) {
      let s: ModelState
      try {
        s = await current()
      } catch (error) {
        if (!(error instanceof NoModelError)) throw error
        return { contributesToModel: false, itemsInModel: [] as string[], trainedAt: null }
      }
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

/** When this process last looked for forgets, catalog changes and stored versions (wall clock, ms). */
interface Synced {
  forgotten: number
  catalog: number
  version: number
}

/**
 * Applies every forget recorded since this model was trained, by any process. Cheap when there is
 * nothing new (one indexed read at most once a second).
 */
async function syncForgotten(deps: ModelDeps, synced: Synced, s: ModelState): Promise<void> {
  const wall = Date.now()
  if (wall - synced.forgotten < FORGOTTEN_SYNC_MS) return
  synced.forgotten = wall
  subtractForgotten(s, await deps.repo.listForgottenSince(deps.db, s.run.trainedAt))
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
