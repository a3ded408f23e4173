/**
 * What the fairness audit reads (the catalog, stored item events, the answer log, shoppers' settings
 * and consent ledgers) and the engine it measures offline: the real item model trained on the
 * validation split's training part, answering at the personal level.
 */
import { DAY_MS } from '../../lib/clock.js'
import type { Db } from '../../storage/db.js'
import type { CatalogService } from '../catalog/index.js'
import type { Charter } from '../charter/index.js'
import { type ConsentService, decideConsent } from '../consent/index.js'
import {
  type Citation,
  type ItemModel,
  type RecommendService,
  buildInteractions,
  createHistory,
  recommendPersonal,
  TYPE_WEIGHT,
  trainItemModel,
} from '../recommend/index.js'
import { SESSION_PREFIX } from '../session/index.js'
import { fairnessFindings } from './reviews.fairness.js'
import { type SegmentedAnswer, onlineGroups } from './reviews.fairness.online.js'
import {
  type Recommender,
  type ValidationSplit,
  evaluateRecommender,
  servedLists,
  validationSplit,
} from './reviews.fairness.offline.js'
import { type CatalogView, NEW_ITEM_DAYS, SMALL_CATEGORY_ITEMS } from './reviews.metrics.js'
import { type AnswerRow, answersSince, eachEvent, subjectSettings } from './reviews.repository.js'
import type { AuditPart, FairnessAudit } from './reviews.js'

export interface FairnessDeps {
  db: Db
  charter: Charter
  catalog: Pick<CatalogService, 'listItems'>
  consent: Pick<ConsentService, 'contextsFor'>
  recommend: Pick<RecommendService, 'model'>
}

const ITEM_EVENTS = new Set(['view', 'cart', 'purchase'])

/** The parameters the served model was trained and tuned with, when one is in use. */
export type EngineSettings = Pick<ItemModel, 'params' | 'scoring'>

/**
 * The engine as a `Recommender`: an item model trained on the split's training events with the
 * parameters the served model was tuned to (the defaults when none is served; no new tuning, which
 * would take minutes of CPU on a large shop), special-category items excluded as in serving,
 * answering at the personal level.
 */
export function engineRecommender(
  split: ValidationSplit,
  specialItems: ReadonlySet<string>,
  now: Date,
  settings?: EngineSettings,
): Recommender {
  const ids: string[] = []
  const index = new Map<string, number>()
  const indexOf = (id: string) => {
    let i = index.get(id)
    if (i === undefined) index.set(id, (i = ids.push(id) - 1))
    return i
  }
  const t = split.training
  const items = Int32Array.from(t, (e) => indexOf(e.item))
  const owners = t.reduce((n, e) => Math.max(n, e.owner + 1), 0)
  const interactions = buildInteractions(
    {
      subjects: Int32Array.from(t, (e) => e.owner),
      items,
      times: Float64Array.from(t, (e) => e.time),
      weights: Float32Array.from(t, (e) => e.weight),
    },
    owners,
    ids.length,
  )
  const excluded = Uint8Array.from(ids, (id) => (specialItems.has(id) ? 1 : 0))
  const model = trainItemModel(interactions, {
    now: now.getTime(),
    excluded,
    ...(settings === undefined ? {} : { params: settings.params, scoring: settings.scoring }),
  })
  return (history, k) => {
    const known = history.filter((id) => index.has(id))
    if (ids.length === 0) return []
    const h = createHistory(
      known.map((id) => index.get(id)!),
      known.map((_, n) => now.getTime() - (known.length - n) * 60_000),
    )
    return recommendPersonal(model, h, { limit: k, now: now.getTime(), guards: { excluded } }).map(
      (r) => ids[r.item]!,
    )
  }
}

/** The served model's parameters, or undefined when none can be had (no model stored yet). */
async function servedSettings(deps: FairnessDeps): Promise<EngineSettings | undefined> {
  try {
    const model = await deps.recommend.model()
    return { params: model.params, scoring: model.scoring }
  } catch {
    return undefined
  }
}

/** The catalog as the measures see it, with each item's first-seen time from the events. */
async function catalogView(
  deps: FairnessDeps,
  firstSeen: Map<string, number>,
  purchases: Map<string, number>,
  now: Date,
): Promise<{ view: CatalogView; special: Map<string, string> }> {
  const categoryOf = new Map<string, string>()
  const special = new Map<string, string>()
  const updated = new Map<string, number>()
  for (let after: string | undefined; ;) {
    const page = await deps.catalog.listItems(after === undefined ? {} : { after })
    for (const item of page) {
      if (item.specialCategory !== undefined) special.set(item.id, item.specialCategory)
      if (!item.available) continue
      categoryOf.set(item.id, item.category[0] ?? 'uncategorised')
      updated.set(item.id, Date.parse(item.updatedAt))
    }
    if (page.length === 0) break
    after = page.at(-1)!.id
  }
  const sizes = new Map<string, number>()
  for (const c of categoryOf.values()) sizes.set(c, (sizes.get(c) ?? 0) + 1)
  const since = now.getTime() - NEW_ITEM_DAYS * DAY_MS
  const newItems = new Set<string>()
  const smallCategoryItems = new Set<string>()
  for (const [id, category] of categoryOf) {
    if ((firstSeen.get(id) ?? updated.get(id) ?? 0) >= since) newItems.add(id)
    if ((sizes.get(category) ?? 0) < SMALL_CATEGORY_ITEMS) smallCategoryItems.add(id)
  }
  return { view: { categoryOf, newItems, smallCategoryItems, purchases }, special }
}

/**
 * The fairness audit over the last `windowDays`: served lists from the answer log, the engine (or
 * `recommender`, when given) on a validation split of stored events, online rates per shopper group
 * (the answers of the window and the events citing them), and the special-category check.
 */
export async function auditFairness(
  deps: FairnessDeps,
  now: Date,
  options: { windowDays?: number; recommender?: Recommender } = {},
): Promise<AuditPart<FairnessAudit>> {
  const windowDays = options.windowDays ?? 30
  const since = new Date(now.getTime() - windowDays * DAY_MS).toISOString()
  const nowIso = now.toISOString()
  const settings = new Map((await subjectSettings(deps.db)).map((s) => [s.subject_id, s]))
  const events: {
    owner: string
    item: string
    time: number
    weight: number
    bought: boolean
  }[] = []
  const firstSeen = new Map<string, number>()
  const purchases = new Map<string, number>()
  const citing = new Map<string, string[]>()
  // As the online quality reads them: unexpired item events of the window that cite an answer.
  const citations: Citation[] = []
  for await (const page of eachEvent(deps.db)) {
    for (const row of page) {
      if (row.item === null || !ITEM_EVENTS.has(row.type)) continue
      const time = Date.parse(row.occurred_at ?? row.received_at)
      if (!(firstSeen.get(row.item)! <= time)) firstSeen.set(row.item, time)
      if (row.recomm_id !== null && row.received_at >= since && row.expires_at > nowIso)
        citations.push({
          recommId: row.recomm_id,
          action: row.type as Citation['action'],
          item: row.item,
        })
      if (row.owner.startsWith(SESSION_PREFIX)) continue
      const bought = row.type === 'purchase'
      if (bought) purchases.set(row.item, (purchases.get(row.item) ?? 0) + 1)
      events.push({
        owner: row.owner,
        item: row.item,
        time,
        weight: TYPE_WEIGHT[row.type] ?? 0.25,
        bought,
      })
      if (row.recomm_id !== null)
        citing.set(row.recomm_id, [...(citing.get(row.recomm_id) ?? []), row.owner])
    }
  }
  const { view, special } = await catalogView(deps, firstSeen, purchases, now)
  const split = validationSplit(
    events,
    (owner) => ({
      jurisdiction: settings.get(owner)?.jurisdiction ?? 'default',
      level: settings.get(owner)?.level ?? 'personal',
    }),
    now,
  )
  const recommender =
    options.recommender ??
    engineRecommender(split, new Set(special.keys()), now, await servedSettings(deps))
  const offline =
    split.shoppers.length === 0 ? null : await evaluateRecommender(split, view, recommender)
  const answers = await answersSince(deps.db, since)
  return fairnessFindings({
    catalog: view,
    served: servedLists(answers),
    offline,
    online: onlineGroups(answers.map(segmented), citations),
    specialCategoryViolations: await specialCategoryViolations(deps, answers, special, citing),
    windowDays,
  })
}

/** An answer log row as the online rates read it. */
function segmented(a: AnswerRow): SegmentedAnswer {
  return {
    recommId: a.recomm_id,
    level: a.level,
    placement: a.placement,
    items: JSON.parse(a.items) as string[],
    jurisdiction: a.jurisdiction,
    tenure: a.tenure,
    history: a.history,
  }
}

/**
 * Personal answers holding a special-category item, cited by a later event of a shopper who, when the
 * answer was made, had no grant of a purpose that unlocks that category. (The log keeps no owner, so an
 * answer no event cites cannot be tied to a shopper; the item masks are tested where they live.)
 */
async function specialCategoryViolations(
  deps: FairnessDeps,
  answers: readonly { recomm_id: string; level: string; items: string; created_at: string }[],
  special: ReadonlyMap<string, string>,
  citing: ReadonlyMap<string, string[]>,
): Promise<number> {
  const unlocking = (category: string) =>
    Object.entries(deps.charter.purposes)
      .filter(([, p]) => p.specialCategory === category)
      .map(([key]) => key)
  const suspect = answers.filter(
    (a) => a.level === 'personal' && (JSON.parse(a.items) as string[]).some((i) => special.has(i)),
  )
  const owners = [...new Set(suspect.flatMap((a) => citing.get(a.recomm_id) ?? []))]
  if (owners.length === 0) return 0
  const contexts = await deps.consent.contextsFor(owners, {})
  let violations = 0
  for (const answer of suspect) {
    const at = new Date(answer.created_at)
    const categories = (JSON.parse(answer.items) as string[]).flatMap((i) => special.get(i) ?? [])
    const bad = (citing.get(answer.recomm_id) ?? []).some((owner) => {
      const context = contexts.get(owner)
      if (context === undefined) return false
      return categories.some(
        (c) =>
          !unlocking(c).some((purpose) => decideConsent({ ...context, purpose, now: at }).allowed),
      )
    })
    if (bad) violations++
  }
  return violations
}
