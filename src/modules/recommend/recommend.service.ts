import type { Clock } from '../../lib/clock.js'
import { DAY_MS } from '../../lib/clock.js'
import { AppError } from '../../lib/errors.js'
import { newSortableId } from '../../lib/ids.js'
import { type ChangeFeed, createOwnerCache } from '../../storage/changes.js'
import type { Db } from '../../storage/db.js'
import type { Actor, AuditLog } from '../audit/index.js'
import type { CatalogService } from '../catalog/index.js'
import type { Item } from '../catalog/catalog.js'
import { type Charter, SERVED_TOUCHPOINTS } from '../charter/index.js'
import type { ConsentPrompt, PersonalizationLevel } from '../consent/index.js'
import type { ConsentService, RequestSignals } from '../consent/consent.service.js'
import type { EventsService, StoredEvent } from '../events/index.js'
import type { SessionService } from '../session/index.js'

/** What a recommendation reads of an event (a `StoredEvent` has it, so does the narrow history read). */
type HistoryEvent = Pick<StoredEvent, 'item' | 'type' | 'occurredAt' | 'receivedAt'>
import type { IdentityService } from '../identity/index.js'
import {
  type Guards,
  type History,
  type IdIndex,
  type Interactions,
  type ItemModel,
  type ReasonKind,
  type Recommendation,
  addNewInCategory,
  createHistory,
  createIdIndex,
  historyOf,
  recommendNonPersonal,
  recommendPersonal,
  recommendSession,
  SESSION_OFF_DEPTH,
  removeSubject,
  withItems,
} from './engine/index.js'
import { type CategoryIndex, createCategoryIndex } from './categories.js'
import { type ExplainSource, explain } from './explanations.js'
import { type Citation, onlineQuality } from './online-quality.js'
import { type CapReached, createTouchpointCaps } from './touchpoint-caps.js'
import {
  type Trainer,
  createEventColumns,
  createEventLoopYield,
  createGrowingIdIndex,
  trainOffThread,
} from './training.js'
import {
  ANSWER_LOG_DAYS,
  type Feedback,
  type OnlineQuality,
  type RecommendationAnswer,
  type RecommendationQuery,
} from './recommend.js'
import {
  type AnswerRow,
  type FeedbackRow,
  type TrainingRun,
  createRecommendRepository,
} from './recommend.repository.js'

const PERSONAL_PURPOSE = 'personalize.recommendations'

/**
 * When an event happened, as far as scoring is concerned: the shop's timestamp, but never later than
 * when Candor received it (a browser clock running ahead would otherwise put it in the future, where
 * scoring ignores it).
 */
function eventTime(event: Pick<StoredEvent, 'occurredAt' | 'receivedAt'>): number {
  const received = Date.parse(event.receivedAt)
  return event.occurredAt === undefined
    ? received
    : Math.min(Date.parse(event.occurredAt), received)
}
/** How much each event type says about a shopper's taste. */
const TYPE_WEIGHT: Record<string, number> = {
  purchase: 1,
  cart: 0.5,
  view: 0.25,
  feedback: 0,
  search: 0,
}
/** A signed-in shopper at the session level without a session id: "this visit" is the last two hours. */
const VISIT_MS = 2 * 60 * 60 * 1000
const FEEDBACK_RETENTION_DAYS = 365
/**
 * The answer log (`recommend_answers`: level, placement, item ids; no personal data) is written in
 * batches, at most this long after the answer, and when the app closes. A crash can lose the last
 * second of the log; it only feeds measurement, never a decision about a shopper.
 */
const ANSWER_FLUSH_MS = 1000
/** Answers per write of the answer log (one statement of 5 parameters each on PostgreSQL: under its limit). */
const ANSWER_CHUNK = 500
/** Distinct item filters (stock x category x history level) whose masks are kept per model. */
const MAX_CACHED_MASKS = 64
/**
 * A ranking is reused for the same shopper and the same question while nothing it was computed from
 * changed (model, history, feedback: see `ChangeFeed`) and for at most this long, because time-decayed
 * scores and trending move with the clock. The level is still decided on every request.
 */
const RANKING_TTL_MS = 60_000
/**
 * Rankings kept per owner (distinct questions: placement, filters, context item; a shopper asks a few)
 * and for `off` (everyone's), and owners whose rankings are kept: a bound on memory.
 */
const MAX_RANKINGS_PER_OWNER = 8
const MAX_OFF_RANKINGS = 64
const MAX_RANKED_OWNERS = 5000

/**
 * An item of a ranking, explained, and written out as JSON up to its links (which name the answer and are
 * added per answer): `{"id":...,"explanation":{...}` without the closing brace.
 */
interface RankedItem {
  id: string
  json: string
  why: string
}

interface Ranking {
  model: ItemModel
  at: number
  items: RankedItem[]
}

/** Special-category items kept out of a history (1 = out), and which allowed categories made it. */
interface Excluded {
  key: string
  mask: Uint8Array
}

/** What a shopper's feedback changes in their answers. */
interface FeedbackView {
  hiddenItems: ReadonlySet<string>
  hiddenReasons: ReasonKind[]
}
const NO_FEEDBACK: FeedbackView = { hiddenItems: new Set(), hiddenReasons: [] }

export interface RecommendDeps {
  db: Db
  /** Its purposes that unlock a special category (`specialCategory`) are asked per shopper. */
  charter: Charter
  changes: ChangeFeed
  clock: Clock
  audit: AuditLog
  identity: IdentityService
  consent: ConsentService
  events: EventsService
  /** A session id's pseudonym (the session module's `keyOf`). */
  session: Pick<SessionService, 'keyOf'>
  catalog: CatalogService
  /** Where training's CPU part runs: a worker thread (the default, `trainOffThread`) or this one. */
  trainer?: Trainer
}

/** What is in memory after training: the model and what it was trained from. */
interface ModelState {
  items: IdIndex
  catalog: Map<string, Item>
  model: ItemModel
  interactions: Interactions
  /** Subject id -> row in `interactions`, for removing a subject's contribution exactly. */
  subjects: Map<string, number>
  /**
   * Special-category items: never model input, never evidence, never recommended from history; the last
   * two only unless the shopper explicitly allowed that category (see `excludedFor`).
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

const LEVEL_REASONS: Record<string, string> = {
  'personal:as_requested': 'personal: you allowed personalized recommendations',
  'session:as_requested': 'session: based only on what you do during this visit',
  'session:consent_required': 'session: you have not allowed recommendations based on your history',
  'off:as_requested': 'off: you chose recommendations that use nothing about you',
  'off:consent_required': 'off: you have not allowed personalized recommendations',
  'off:purpose_not_allowed': 'off: you have not allowed suggestions based on this visit',
  'off:restricted': 'off: you asked us to stop processing your data',
  'off:anonymous': 'off: nothing about you is used',
  'off:capped':
    'off: personalized suggestions were shown as often as our privacy notice allows for now; they come back when the period ends',
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

export type RecommendService = ReturnType<typeof createRecommendService>

/**
 * Explained recommendations at the level each shopper chose and consented to. The item model is trained
 * from consented histories only (special-category items never enter it) and held in memory; a shopper's
 * own history, session and feedback are read live on every request, so a new event or a "not this"
 * counts at once. Erasure subtracts the shopper's contribution from the model exactly.
 */
export function createRecommendService(deps: RecommendDeps) {
  const repo = createRecommendRepository(deps.changes)
  const caps = createTouchpointCaps(deps)
  /** Per owner, as last read or computed (see `ChangeFeed`): feedback, and rankings by question. */
  const feedbacks = createOwnerCache<FeedbackView>(deps.changes)
  const rankings = createOwnerCache<Map<string, Ranking>>(deps.changes, { max: MAX_RANKED_OWNERS })
  let state: ModelState | undefined
  let training: Promise<ModelState> | undefined
  const trainer = deps.trainer ?? trainOffThread

  /** A ranking still good for this question (same model, young enough), or a fresh one, kept. */
  async function ranked(
    s: ModelState,
    cache: Map<string, Ranking>,
    question: string,
    now: number,
    compute: () => Promise<RankedItem[]>,
  ): Promise<RankedItem[]> {
    const hit = cache.get(question)
    if (
      hit !== undefined &&
      hit.model === s.model &&
      now >= hit.at &&
      now - hit.at < RANKING_TTL_MS
    )
      return hit.items
    const model = s.model
    const items = await compute()
    cache.delete(question)
    const max = cache === s.offRankings ? MAX_OFF_RANKINGS : MAX_RANKINGS_PER_OWNER
    if (cache.size >= max) cache.delete(cache.keys().next().value!)
    cache.set(question, { model, at: now, items })
    return items
  }

  async function readCatalog(): Promise<Item[]> {
    const all: Item[] = []
    let after: string | undefined
    for (;;) {
      const page = await deps.catalog.listItems({
        limit: 1000,
        ...(after === undefined ? {} : { after }),
      })
      all.push(...page)
      if (page.length < 1000) return all
      after = page.at(-1)!.id
    }
  }

  async function train(onProgress?: TrainProgress): Promise<ModelState> {
    const started = performance.now()
    const now = deps.clock.now()
    const catalogItems = await readCatalog()
    onProgress?.('items', catalogItems.length, catalogItems.length)
    // Events go straight into columns (about 20 bytes each), indexed as they arrive: items after the
    // catalog's, subjects in the order they are read.
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
    const nItems = items.ids.length
    const excluded = new Uint8Array(nItems)
    const unavailable = new Uint8Array(nItems)
    const listed = new Float64Array(nItems).fill(Number.NaN)
    const catalog = new Map(catalogItems.map((item) => [item.id, item]))
    for (const item of catalogItems) {
      const i = items.byId.get(item.id)!
      if (item.specialCategory !== undefined) excluded[i] = 1
      if (!item.available) unavailable[i] = 1
      listed[i] = new Date(item.updatedAt).getTime()
    }
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
    await repo.insertTrainingRun(deps.db, run)
    const trained: ModelState = {
      items: { ids: items.ids, byId: items.byId },
      catalog,
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
    for (const { subjectId } of await repo.listForgottenSince(deps.db, run.trainedAt))
      forget(trained, subjectId)
    return trained
  }

  async function current(): Promise<ModelState> {
    if (state !== undefined) return state
    training ??= train().finally(() => {
      training = undefined
    })
    state = await training
    return state
  }

  function historyFrom(
    s: ModelState,
    events: readonly HistoryEvent[],
    hidden: ReadonlySet<string>,
  ): History {
    const items: number[] = []
    const times: number[] = []
    const weights: number[] = []
    const bought: number[] = []
    for (const e of events) {
      if (e.item === undefined || hidden.has(e.item)) continue
      const i = s.items.byId.get(e.item)
      if (i === undefined) continue
      items.push(i)
      times.push(eventTime(e))
      weights.push(TYPE_WEIGHT[e.type] ?? 0.25)
      // Only a purchase makes "You bought this before" true; a view or a basket is "looked at".
      bought.push(e.type === 'purchase' ? 1 : 0)
    }
    return createHistory(items, times, weights, bought)
  }

  /** The purposes that unlock a special category for the shopper who allowed them. */
  const specialPurposes = Object.entries(deps.charter.purposes).flatMap(([key, purpose]) =>
    purpose.specialCategory === undefined ? [] : [{ key, category: purpose.specialCategory }],
  )

  /**
   * The special-category items that must stay out of this shopper's history, evidence and history-based
   * suggestions: all of them, except the categories whose purpose they explicitly allowed (asked now, like
   * the level). Those still never enter the shared model. Built once per model and set of categories.
   */
  async function excludedFor(s: ModelState, subjectId: string): Promise<Excluded> {
    const allowed: string[] = []
    for (const { key, category } of specialPurposes)
      if ((await deps.consent.decide(subjectId, key)).allowed) allowed.push(category)
    if (allowed.length === 0) return noneAllowed(s)
    const key = [...new Set(allowed)].sort().join(',')
    const mask = maskFor(s, `allowed:${key}`, () => {
      const built = Uint8Array.from(s.excluded)
      s.items.ids.forEach((id, i) => {
        const category = s.catalog.get(id)?.specialCategory
        if (category !== undefined && allowed.includes(category)) built[i] = 0
      })
      return built
    })
    return { key, mask }
  }

  /** Every special-category item kept out of a history: nobody allowed anything. */
  function noneAllowed(s: ModelState): Excluded {
    return { key: '', mask: s.excluded }
  }

  /** The model's item mask under `key`, built on first use; at most `MAX_CACHED_MASKS` are kept. */
  function maskFor(s: ModelState, key: string, build: () => Uint8Array): Uint8Array {
    let mask = s.masks.get(key)
    if (mask !== undefined) return mask
    mask = build()
    if (s.masks.size >= MAX_CACHED_MASKS) s.masks.clear()
    s.masks.set(key, mask)
    return mask
  }

  /**
   * `Guards.blocked` for one answer: out-of-stock items unless asked for, items outside the category,
   * and special-category items at the levels that read a history. The same few filters come back on
   * every request, so each mask is built once per model and shared (the engine only reads it).
   */
  function blockedMask(
    s: ModelState,
    inStockOnly: boolean,
    category: string | undefined,
    history: Excluded | undefined,
  ): Uint8Array {
    const key = `${inStockOnly ? 1 : 0}${history === undefined ? '' : `h${history.key}`}|${category ?? ''}`
    return maskFor(s, key, () => {
      const mask = new Uint8Array(s.items.ids.length)
      if (inStockOnly) mask.set(s.unavailable)
      if (category !== undefined) {
        const prefix = category.split('/')
        s.items.ids.forEach((id, i) => {
          const path = s.catalog.get(id)?.category ?? []
          if (!prefix.every((part, k) => path[k] === part)) mask[i] = 1
        })
      }
      // At the levels that read a history, special-category items are not recommended from it (unless allowed).
      if (history !== undefined)
        for (let i = 0; i < mask.length; i++) if (history.mask[i] === 1) mask[i] = 1
      return mask
    })
  }

  /** Buffered answer log, see `ANSWER_FLUSH_MS`. */
  let pendingAnswers: AnswerRow[] = []
  let flushTimer: ReturnType<typeof setTimeout> | undefined
  let flushing: Promise<void> = Promise.resolve()

  function logAnswer(row: AnswerRow): void {
    pendingAnswers.push(row)
    if (flushTimer === undefined) {
      flushTimer = setTimeout(() => void flushAnswers(), ANSWER_FLUSH_MS)
      // The log must not keep a CLI command or a test process alive; closing the app flushes it.
      flushTimer.unref()
    }
  }

  /** Writes the buffered answers; one flush at a time, in order. Never rejects (see `ANSWER_FLUSH_MS`). */
  function flushAnswers(): Promise<void> {
    if (flushTimer !== undefined) clearTimeout(flushTimer)
    flushTimer = undefined
    const rows = pendingAnswers
    pendingAnswers = []
    flushing = flushing.then(async () => {
      for (let k = 0; k < rows.length; k += ANSWER_CHUNK) {
        try {
          await repo.insertAnswers(deps.db, rows.slice(k, k + ANSWER_CHUNK))
        } catch {
          // The database is gone (shut down) or refused the batch: the rows are dropped, nothing else
          // depends on them.
        }
      }
    })
    return flushing
  }

  function rankedItem(source: ExplainSource, rec: Recommendation): RankedItem {
    const explained = explain(source, rec)
    return {
      id: explained.id,
      json: JSON.stringify(explained).slice(0, -1),
      why: JSON.stringify(`/privacy#why-${encodeURIComponent(explained.id)}`),
    }
  }

  /** The catalog's categories for this model state, built on first use after a change. */
  function categoriesOf(s: ModelState): CategoryIndex {
    s.categories ??= createCategoryIndex(s.items.ids, s.catalog)
    return s.categories
  }

  async function ownerOf(query: { subject?: string | undefined; session?: string | undefined }) {
    const subjectId =
      query.subject === undefined ? undefined : await deps.identity.findSubjectId(query.subject)
    const sessionKey = query.session === undefined ? undefined : deps.session.keyOf(query.session)
    return { subjectId, sessionKey }
  }

  async function feedbackOf(owner: string | undefined): Promise<FeedbackView> {
    if (owner === undefined) return NO_FEEDBACK
    return feedbacks.get(owner, async () => feedbackView(await repo.listFeedback(deps.db, owner)))
  }

  function feedbackView(rows: readonly FeedbackRow[]): FeedbackView {
    return {
      hiddenItems: new Set(
        rows.filter((r) => r.kind === 'not_interested' && r.item !== null).map((r) => r.item!),
      ),
      hiddenReasons: [
        ...new Set(
          rows
            .filter((r) => r.kind === 'too_personal' && r.reasonKind !== null)
            .map((r) => r.reasonKind as ReasonKind),
        ),
      ],
    }
  }

  /** How often a process looks for subjects other processes took out of the model. */
  const FORGOTTEN_SYNC_MS = 1000
  let lastSync = 0

  /**
   * Applies every forget recorded since this model was trained, by any process. Cheap when there is
   * nothing new (one indexed read at most once a second).
   */
  async function syncForgotten(s: ModelState): Promise<void> {
    const wall = Date.now()
    if (wall - lastSync < FORGOTTEN_SYNC_MS) return
    lastSync = wall
    for (const { subjectId } of await repo.listForgottenSince(deps.db, s.run.trainedAt))
      forget(s, subjectId)
  }

  function forget(s: ModelState, subjectId: string): boolean {
    const row = s.subjects.get(subjectId)
    if (row === undefined) return false
    s.model = removeSubject(s.model, historyOf(s.interactions, row), {
      excluded: s.trainedExcluded ?? s.excluded,
    })
    s.subjects.delete(subjectId)
    return true
  }

  /** How often a process looks for catalog items upserted since it last looked, by any process. */
  const CATALOG_SYNC_MS = 1000
  /**
   * Each look starts this long before the previous one: an item's `updatedAt` is its writer's clock when
   * the batch was prepared, so a batch that committed late, or a writer whose clock runs a little behind,
   * is still found. Items read again unchanged are skipped.
   */
  const CATALOG_OVERLAP_MS = 10_000
  let lastCatalogSync = 0

  /**
   * Brings the model's catalog up to date with every upsert since it was trained, by any process: a new
   * item is recommendable (among the `off` level's new arrivals, or bought again) within a second, without
   * waiting for the next training. Cheap when nothing changed: one indexed read at most once a second.
   */
  async function syncCatalog(s: ModelState): Promise<void> {
    const wall = Date.now()
    if (wall - lastCatalogSync < CATALOG_SYNC_MS) return
    lastCatalogSync = wall
    const since = s.catalogSince ?? Date.parse(s.run.trainedAt) - CATALOG_OVERLAP_MS
    const lookedAt = deps.clock.now().getTime()
    const upserted = await deps.catalog.listItemsUpdatedSince(new Date(since).toISOString())
    s.catalogSince = Math.max(since, lookedAt - CATALOG_OVERLAP_MS)
    applyCatalog(s, upserted)
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

  /**
   * The answer, written out as JSON: the explained items' JSON was made with their ranking, only the links
   * (which name this answer) are new. See `recommend` for what it says.
   */
  async function answerJson(query: RecommendationQuery, signals: RequestSignals): Promise<string> {
    const s = await current()
    await syncForgotten(s)
    await syncCatalog(s)
    const now = deps.clock.now()
    const { subjectId, sessionKey } = await ownerOf(query)
    // Refused before anything is written for the shopper (a prompt shown would create their subject).
    if (query.category !== undefined && !categoriesOf(s).paths.has(query.category)) {
      const reason = 'no item in the catalog is under this category path'
      throw new AppError('not_found', `category: ${reason}`, {
        issues: [{ field: 'querystring.category', reason }],
      })
    }
    let level: PersonalizationLevel = 'off'
    let levelKey = 'off:anonymous'
    let prompt: ConsentPrompt | undefined
    if (query.subject !== undefined) {
      const settings = await deps.consent.getSettings(subjectId, signals)
      level = settings.effectiveLevel
      levelKey = `${settings.effectiveLevel}:${settings.reason}`
      if (settings.reason === 'consent_required' && settings.prompt !== undefined) {
        // Remembering that a prompt was shown needs a subject; it holds nothing else.
        const promptSubject = subjectId ?? (await deps.identity.ensureSubjectId(query.subject))
        prompt = await deps.consent.promptFor(promptSubject, settings.prompt.purpose, signals)
      }
    } else if (sessionKey !== undefined) {
      if (
        (await deps.consent.sessions.decide(sessionKey, 'personalize.session', signals)).allowed
      ) {
        level = 'session'
        levelKey = 'session:as_requested'
      }
    }
    let owner = level === 'off' ? undefined : (subjectId ?? sessionKey)
    // The charter caps how often the widget may reach one shopper (or visit) with something personal;
    // past the cap the answer uses nothing about them and names the cap, so the shop still shows items.
    let cap: CapReached | undefined
    if (owner !== undefined) {
      cap = await caps.take(owner, SERVED_TOUCHPOINTS.recommendations)
      if (cap !== undefined) {
        level = 'off'
        levelKey = 'off:capped'
        owner = undefined
      }
    }
    // Taken before anything of the owner is read: a change meanwhile drops this map, not the next one.
    const ownRankings =
      owner === undefined ? s.offRankings : await rankings.get(owner, async () => new Map())
    const inStockOnly = query.inStock !== 'false'
    // Whose it is, is the map it is kept in (`off` rankings are everyone's).
    const question = `${level}|${query.limit}|${inStockOnly}|${query.category ?? ''}|${query.item ?? ''}|${query.exclude ?? ''}`
    // Everything below runs only when this question has no ranking yet (or it went stale).
    const ranking = await ranked(s, ownRankings, question, now.getTime(), async () => {
      // Taken before the masks: a catalog change meanwhile (`syncCatalog`) only grows the item index
      // and the masks, so this model's items all have a place in the masks built below.
      const model = s.model
      const feedback = await feedbackOf(owner)
      // What may count as history and evidence: a special category only for a shopper who allowed it.
      const excluded =
        level === 'personal' && subjectId !== undefined
          ? await excludedFor(s, subjectId)
          : level === 'session'
            ? noneAllowed(s)
            : undefined
      const excludedMask = excluded?.mask ?? s.excluded
      const blocked = blockedMask(s, inStockOnly, query.category, excluded)
      const contextIds = [query.item, ...(query.exclude?.split(',') ?? [])].filter(
        (x): x is string => x !== undefined && x !== '',
      )
      // A special-category product's page gets no bought-together items (it is never model input).
      const listed = query.item === undefined ? undefined : s.items.byId.get(query.item)
      const pageItem = listed !== undefined && s.excluded[listed] !== 1 ? listed : undefined
      // Nothing personal: the page's item (its bought-together items), popular, trending and new ones.
      const offAnswer = (limit: number) =>
        recommendNonPersonal(model, {
          limit,
          guards: { excluded: s.excluded, blocked, context: guards.context! },
          firstSeen: s.firstSeen,
          now: now.getTime(),
          ...(pageItem === undefined ? {} : { item: pageItem }),
        })
      // A new item nobody has had yet, in a category of the shopper's own items (bounded, see engine).
      const withNewInCategory = (recs: Recommendation[], sources: ArrayLike<number>) =>
        addNewInCategory(model, recs, sources, {
          categoryOf: categoriesOf(s).of,
          firstSeen: s.firstSeen,
          now: now.getTime(),
          limit: query.limit,
          guards,
        })
      const guards: Guards = {
        excluded: excludedMask,
        blocked,
        hiddenItems: Int32Array.from(
          [...feedback.hiddenItems].flatMap((id) => s.items.byId.get(id) ?? []),
        ),
        hiddenReasons: feedback.hiddenReasons,
        context: Int32Array.from(contextIds.flatMap((id) => s.items.byId.get(id) ?? [])),
      }
      const history = async (): Promise<History> => {
        const events: readonly HistoryEvent[] =
          level === 'personal'
            ? // Only events that serve personalization now count (not ones kept for, say, analytics alone).
              await deps.events.listSubjectItemEvents(subjectId!, PERSONAL_PURPOSE)
            : sessionKey !== undefined
              ? await deps.events.listSessionEvents(sessionKey)
              : (await deps.events.listSubjectItemEvents(subjectId!, 'personalize.session')).filter(
                  (e) => eventTime(e) > now.getTime() - VISIT_MS,
                )
        return historyFrom(s, events, feedback.hiddenItems)
      }
      let recs: Recommendation[]
      if (level === 'personal' && subjectId !== undefined) {
        const own = await history()
        recs = withNewInCategory(
          recommendPersonal(model, own, { now: now.getTime(), limit: query.limit, guards }),
          own.items,
        )
      } else if (level === 'session') {
        // The session level mixes in the `off` answer as far as training chose (see engine/tune.ts).
        const off =
          model.scoring.session.offWeight > 0
            ? offAnswer(Math.max(SESSION_OFF_DEPTH, query.limit))
            : undefined
        const visit = (await history()).items
        recs = withNewInCategory(
          recommendSession(model, visit, {
            limit: query.limit,
            guards,
            ...(off === undefined ? {} : { off }),
          }),
          visit,
        )
      } else {
        recs = offAnswer(query.limit)
      }
      const source: ExplainSource = {
        ids: s.items.ids,
        catalog: s.catalog,
        excluded: excludedMask,
        within: query.category,
      }
      return recs.map((rec) => rankedItem(source, rec))
    })
    const recommId = newSortableId('rec', now.getTime())
    logAnswer({
      recommId,
      level,
      placement: query.placement,
      items: ranking.map((i) => i.id),
      createdAt: now.toISOString(),
    })
    // Written out directly: everything but the answer's id was made with the ranking, once per shopper
    // reference and level reason (the parts between the id's places), and is joined around the new id.
    const reason = LEVEL_REASONS[levelKey] ?? level
    const parts = answerParts(ranking, query, level, reason)
    const joined = parts.join(JSON.stringify(recommId))
    const promptJson = prompt === undefined ? '' : `,"prompt":${JSON.stringify(prompt)}`
    const capJson = cap === undefined ? '' : `,"cap":${JSON.stringify(cap)}`
    return `${joined}${promptJson}${capJson}}`
  }

  /** Per ranking: the answer's JSON split where its id goes, for the last reference and reason asked. */
  const partsOf = new WeakMap<RankedItem[], { key: string; parts: string[] }>()

  /**
   * The answer's JSON (without its prompt and final brace) in the pieces that go between the places of
   * its `recommId`: the answer's own and one in each item's "not this" link.
   */
  function answerParts(
    ranking: RankedItem[],
    query: RecommendationQuery,
    level: PersonalizationLevel,
    reason: string,
  ): string[] {
    const key = `${query.subject ?? ''}\u0000${query.session ?? ''}\u0000${level}\u0000${reason}`
    const known = partsOf.get(ranking)
    if (known?.key === key) return known.parts
    const q = JSON.stringify
    const ownerJson =
      query.subject !== undefined
        ? `"subject":${q(query.subject)},`
        : query.session !== undefined
          ? `"session":${q(query.session)},`
          : ''
    const stop =
      query.subject === undefined
        ? ''
        : `,"stopPersonalizing":{"method":"PUT","href":${q(`/v1/subjects/${encodeURIComponent(query.subject)}/settings`)},"body":{"level":"off"}}`
    const parts = ['{"recommId":']
    let open = `,"level":${q(level)},"levelReason":${q(reason)},"items":[`
    ranking.forEach((item, k) => {
      parts.push(
        `${open}${k === 0 ? '' : ','}${item.json},"links":{"notThis":{"method":"POST","href":"/v1/feedback","body":{${ownerJson}"kind":"not_interested","item":${q(item.id)},"recommId":`,
      )
      open = `}}${stop},"why":${item.why}}}`
    })
    parts.push(`${open}]`)
    partsOf.set(ranking, { key, parts })
    return parts
  }

  return {
    /** Trains from scratch now (the `candor train` command and the schedule call this). */
    async train(onProgress?: TrainProgress): Promise<TrainingRun> {
      const next = train(onProgress)
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

    /** The model in use, for tests and the quality report. */
    async model(): Promise<ItemModel> {
      return (await current()).model
    },

    /** Writes the buffered answer log now; the app calls it on close. */
    flushAnswers,

    /**
     * What shoppers did with the answers of the last `days` days (UTC days, today included; at most
     * `ANSWER_LOG_DAYS`, what the log keeps): see `online-quality.ts`.
     */
    async onlineQuality(days: number): Promise<OnlineQuality> {
      await flushAnswers()
      const until = deps.clock.now()
      const firstDay = Math.floor(until.getTime() / DAY_MS) - (Math.min(days, ANSWER_LOG_DAYS) - 1)
      const since = new Date(firstDay * DAY_MS).toISOString()
      const citations: Citation[] = [
        ...(await deps.events.listCitations(since)).map((e) => ({
          recommId: e.recommId,
          action: e.type,
          item: e.item,
        })),
        ...(await repo.listNotInterestedCitations(deps.db, since)).map((f) => ({
          recommId: f.recommId,
          action: 'not_interested' as const,
          item: f.item,
        })),
      ]
      return onlineQuality({
        since,
        until: until.toISOString(),
        answerCounts: await repo.countAnswers(deps.db, since.slice(0, 10)),
        cited: await repo.findAnswers(
          deps.db,
          [...new Set(citations.map((c) => c.recommId))],
          since,
        ),
        citations,
      })
    },

    async latestTrainingRun(): Promise<TrainingRun | undefined> {
      return repo.latestTrainingRun(deps.db)
    },

    /** The `limit` most recent training runs, oldest first, each with its tuning report. */
    async trainingRuns(limit: number): Promise<TrainingRun[]> {
      return repo.listTrainingRuns(deps.db, limit)
    },

    /**
     * Recommendations for a shopper (subject), an anonymous visit (session), or nobody. The level is
     * decided per request from the shopper's setting and consent; every item says why it is shown.
     */
    async recommend(
      query: RecommendationQuery,
      signals: RequestSignals,
    ): Promise<RecommendationAnswer> {
      return JSON.parse(await answerJson(query, signals)) as RecommendationAnswer
    },

    /** `recommend`'s answer as the JSON the route sends (see `answerJson`). */
    recommendJson: (query: RecommendationQuery, signals: RequestSignals) =>
      answerJson(query, signals),

    /** Records feedback; "not this" and "too personal" take effect on the very next request. */
    async feedback(input: Feedback, actor: Actor): Promise<{ id: string }> {
      const { subjectId, sessionKey } = await ownerOf(input)
      const { subject } = input
      if (subject === undefined && sessionKey === undefined)
        throw new AppError('validation_failed', 'Feedback needs a subject or a session')
      const now = deps.clock.now()
      const id = newSortableId('fb', now.getTime())
      await deps.db.transaction().execute(async (trx) => {
        // A new reference becomes a subject only with the feedback written (nothing if it fails).
        const owner =
          subject !== undefined
            ? (subjectId ?? (await deps.identity.ensureSubjectId(subject, trx)))
            : sessionKey!
        await repo.insertFeedback(
          trx,
          owner,
          {
            id,
            kind: input.kind,
            item: input.item ?? null,
            reasonKind: input.reasonKind ?? null,
            rating: input.rating ?? null,
            recommId: input.recommId ?? null,
            createdAt: now.toISOString(),
          },
          new Date(now.getTime() + FEEDBACK_RETENTION_DAYS * DAY_MS).toISOString(),
        )
        await deps.audit.record(trx, {
          actor,
          action: 'recommend.feedback',
          subjectId: subjectId ?? null,
          details: { kind: input.kind },
        })
      })
      return { id }
    },

    /** Feedback and what the recommender holds and would say, for access requests. */
    async exportSubject(subjectId: string) {
      const s = await current()
      const row = s.subjects.get(subjectId)
      return {
        feedback: await repo.listFeedback(deps.db, subjectId),
        touchpointCounts: await caps.listOwner(subjectId),
        model: {
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
        },
      }
    },

    /** Deletes the subject's feedback and subtracts their contribution from the model. */
    async eraseSubject(executor: Db, subjectId: string): Promise<Record<string, number>> {
      const feedback = await repo.deleteFeedback(executor, subjectId)
      await caps.eraseOwner(executor, subjectId)
      // Recorded for the other processes sharing this database, which hold models of their own.
      await repo.insertForgotten(executor, subjectId, deps.clock.now().toISOString())
      const removed = state === undefined ? false : forget(state, subjectId)
      return { feedback, modelContributions: removed ? 1 : 0 }
    },

    /** Objection to profiling: out of the model at once (and out of training by the recorded denial). */
    async forgetInModels(subjectId: string, executor: Db = deps.db): Promise<void> {
      await repo.insertForgotten(executor, subjectId, deps.clock.now().toISOString())
      if (state !== undefined) forget(state, subjectId)
    },

    async deleteExpired(executor: Db, now: Date): Promise<Record<string, number>> {
      const touchpointCounts = await caps.deleteEnded(executor, now)
      return { ...(await repo.deleteExpired(executor, now.toISOString())), touchpointCounts }
    },
  }
}
