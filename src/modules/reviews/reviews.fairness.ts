/**
 * The recommendation fairness and bias audit (issue 20, point 1). No protected attribute is used or
 * inferred: the item side is measured on the lists themselves, the shopper side only across groups
 * Candor legitimately knows (jurisdiction, level, new vs returning, history length).
 *
 * - Served: the answer log of the window (`recommend_answers`), measured with `exposureMetrics`.
 * - Offline: a validation split of stored events (each shopper's last fifth held out), on which any
 *   `Recommender` is measured: the engine by default (`reviews.engine.ts`), a test's biased one too.
 * - Online per level: the answer log's own quality counts (`RecommendService.onlineQuality`); the log
 *   holds no owner, so online rates per jurisdiction, tenure or history length are not measured.
 * - Groups under `MIN_GROUP` subjects are merged into `other`, and withheld if still too small.
 */
import { DAY_MS } from '../../lib/clock.js'
import { fairnessCharts } from './reviews.fairness.charts.js'
import {
  type CatalogView,
  MIN_GROUP,
  exposureMetrics,
  type MeasuredList,
  recallAt,
} from './reviews.metrics.js'
import type { AuditPart, ExposureMetrics, FairnessAudit, Finding, GroupQuality } from './reviews.js'

export { MIN_GROUP }
/** Shoppers a recommender is measured on at most (an even sample beyond that). */
export const MAX_EVALUATED_SHOPPERS = 2000
/** A recommender under audit: the items it would show a shopper with this history, best first. */
export type Recommender = (history: readonly string[], k: number) => string[] | Promise<string[]>

/** One shopper of the validation split: their training history and held-out items (no id kept). */
export interface SplitShopper {
  history: string[]
  heldOut: Set<string>
  jurisdiction: string
  level: string
  tenure: 'new' | 'returning'
}

export interface ValidationSplit {
  shoppers: SplitShopper[]
  /** The training part's events, for a recommender to learn from (owner: the shopper's index). */
  training: { owner: number; item: string; time: number; weight: number }[]
}

/** Buckets of training-history length, a group dimension. */
export function historyBucket(n: number): string {
  return n < 5 ? '1-4' : n < 20 ? '5-19' : '20+'
}

/**
 * Splits stored item events by time per shopper: the last fifth (at least one) of each shopper's
 * events, for shoppers with at least 3, is held out, the rest is their history. The held-out targets
 * are the distinct items bought in that part, repeats included, as the engine's own held-out
 * evaluation counts them (`recommend/engine/holdout.ts`, BENCHMARKS.md section 1); a shopper who
 * bought nothing there is not evaluated.
 */
export function validationSplit(
  events: readonly { owner: string; item: string; time: number; weight: number; bought: boolean }[],
  groupsOf: (owner: string) => { jurisdiction: string; level: string },
  now: Date,
): ValidationSplit {
  const byOwner = new Map<
    string,
    { item: string; time: number; weight: number; bought: boolean }[]
  >()
  for (const e of events) {
    let list = byOwner.get(e.owner)
    if (list === undefined) byOwner.set(e.owner, (list = []))
    list.push(e)
  }
  const shoppers: SplitShopper[] = []
  const training: ValidationSplit['training'] = []
  let index = 0
  for (const [owner, list] of byOwner) {
    list.sort((a, b) => a.time - b.time)
    const cut =
      list.length >= 3 ? list.length - Math.max(1, Math.floor(list.length / 5)) : list.length
    const past = list.slice(0, cut)
    for (const e of past)
      training.push({ item: e.item, time: e.time, weight: e.weight, owner: index })
    index++
    if (cut === list.length) continue
    const history = past.map((e) => e.item)
    const heldOut = new Set(
      list
        .slice(cut)
        .filter((e) => e.bought)
        .map((e) => e.item),
    )
    if (heldOut.size === 0) continue
    const first = list[0]!.time
    shoppers.push({
      history,
      heldOut,
      ...groupsOf(owner),
      tenure: now.getTime() - first < 30 * DAY_MS ? 'new' : 'returning',
    })
  }
  return { shoppers, training }
}

/** Merges groups under `MIN_GROUP` into `other` and withholds what is still too small. */
export function mergeSmallGroups(
  dimension: GroupQuality['dimension'],
  groups: Map<string, number[]>,
): GroupQuality[] {
  const out: GroupQuality[] = []
  const other: number[] = []
  let merged = false
  const mean = (xs: number[]) => Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 1e4) / 1e4
  const blank = { viewRate: null, basketRate: null, purchaseRate: null }
  for (const [group, recalls] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    if (recalls.length >= MIN_GROUP) {
      out.push({
        dimension,
        group,
        subjects: recalls.length,
        merged: false,
        recallAt20: mean(recalls),
        ...blank,
      })
    } else {
      other.push(...recalls)
      merged = true
    }
  }
  if (merged) {
    const enough = other.length >= MIN_GROUP
    out.push({
      dimension,
      group: 'other',
      subjects: enough ? other.length : null,
      merged: true,
      recallAt20: enough ? mean(other) : null,
      ...blank,
    })
  }
  return out
}

export interface OfflineResult {
  metrics: ExposureMetrics
  recallAt20: number | null
  groups: GroupQuality[]
}

/** Measures one recommender on a validation split: exposure, Recall@20 overall and per group. */
export async function evaluateRecommender(
  split: ValidationSplit,
  catalog: CatalogView,
  recommender: Recommender,
): Promise<OfflineResult> {
  const lists: MeasuredList[] = []
  const dims = {
    jurisdiction: new Map<string, number[]>(),
    level: new Map<string, number[]>(),
    tenure: new Map<string, number[]>(),
    history: new Map<string, number[]>(),
  }
  let recallSum = 0
  // An even sample beyond the cap, as the engine's own held-out evaluation does (`holdout.ts`).
  const stride = Math.max(1, Math.ceil(split.shoppers.length / MAX_EVALUATED_SHOPPERS))
  const evaluated = split.shoppers.filter((_, k) => k % stride === 0)
  for (const shopper of evaluated) {
    const items = await recommender(shopper.history, 20)
    lists.push({ items, history: shopper.history })
    const recall = recallAt(items, shopper.heldOut, 20)
    recallSum += recall
    const keys = {
      jurisdiction: shopper.jurisdiction,
      level: shopper.level,
      tenure: shopper.tenure,
      history: historyBucket(shopper.history.length),
    }
    for (const dim of Object.keys(dims) as (keyof typeof dims)[]) {
      const map = dims[dim]
      const list = map.get(keys[dim]) ?? []
      list.push(recall)
      map.set(keys[dim], list)
    }
  }
  const n = evaluated.length
  return {
    metrics: exposureMetrics(lists, catalog),
    recallAt20: n === 0 ? null : Math.round((recallSum / n) * 1e4) / 1e4,
    groups: (Object.keys(dims) as (keyof typeof dims)[]).flatMap((d) =>
      mergeSmallGroups(d, dims[d]),
    ),
  }
}

/** The served lists of the window, from the answer log rows. */
export function servedLists(answers: readonly { items: string }[]): MeasuredList[] {
  return answers.map((a) => ({ items: JSON.parse(a.items) as string[] }))
}

export interface FairnessInputs {
  catalog: CatalogView
  served: MeasuredList[]
  offline: OfflineResult | null
  online: {
    level: string
    answers: number
    viewRate: number
    cartRate: number
    purchaseRate: number
  }[]
  specialCategoryViolations: number
  windowDays: number
}

const finding = (
  check: string,
  severity: Finding['severity'],
  title: string,
  detail: string,
  figures?: Record<string, number>,
): Finding => ({
  area: 'fairness',
  check,
  severity,
  title,
  detail,
  ...(figures ? { figures } : {}),
})

/** Turns measured figures into the audit, its findings and its chart specs (pure). */
export function fairnessFindings(input: FairnessInputs): AuditPart<FairnessAudit> {
  const served = input.served.length === 0 ? null : exposureMetrics(input.served, input.catalog)
  const offline = input.offline
  const groups = offline?.groups.map((g) => ({ ...g })) ?? []
  for (const o of input.online) {
    const small = o.answers < MIN_GROUP
    groups.push({
      dimension: 'level',
      group: `${o.level} (served)`,
      subjects: null,
      merged: false,
      recallAt20: null,
      viewRate: small ? null : o.viewRate,
      basketRate: small ? null : o.cartRate,
      purchaseRate: small ? null : o.purchaseRate,
    })
  }
  const part: FairnessAudit = {
    served,
    offline: offline?.metrics ?? null,
    offlineRecallAt20: offline?.recallAt20 ?? null,
    groups,
    specialCategoryViolations: input.specialCategoryViolations,
    windowDays: input.windowDays,
  }
  const findings: Finding[] = []
  const m = served ?? offline?.metrics ?? null
  if (m === null) {
    findings.push(
      finding(
        'fairness.data',
        'info',
        'There were no recommendations to measure.',
        'Neither the answer log nor a validation split held any list in the window; the item-side measures wait for data.',
      ),
    )
  } else {
    const which = served === null ? 'the engine on the validation split' : 'the answers served'
    findings.push(
      m.coverage < 0.1
        ? finding(
            'fairness.coverage',
            'warning',
            'Recommendations reach a small part of the catalog.',
            `Only ${pct(m.coverage)} of active items were shown at least once in ${which}. Check the popularity weight and that new and small-category items can be found.`,
            { coverage: m.coverage },
          )
        : finding(
            'fairness.coverage',
            'ok',
            'Recommendations reach a broad part of the catalog.',
            `${pct(m.coverage)} of active items were shown at least once in ${which}.`,
            { coverage: m.coverage },
          ),
      m.gini > 0.8
        ? finding(
            'fairness.gini',
            'warning',
            'Exposure is concentrated on few items.',
            `The Gini coefficient of exposure is ${m.gini} (0 equal, 1 all on one item) in ${which}. A few items take most of the shop window.`,
            { gini: m.gini },
          )
        : finding(
            'fairness.gini',
            'ok',
            'Exposure is spread across items.',
            `The Gini coefficient of exposure is ${m.gini} in ${which}.`,
            { gini: m.gini },
          ),
      m.popularityRecommended - m.popularityBought > 0.15
        ? finding(
            'fairness.popularity',
            'warning',
            'Recommendations favour more popular items than shoppers buy.',
            `Recommended items sit at popularity percentile ${m.popularityRecommended} on average, bought items at ${m.popularityBought}.`,
            { recommended: m.popularityRecommended, bought: m.popularityBought },
          )
        : finding(
            'fairness.popularity',
            'ok',
            'Recommended items are about as popular as what shoppers buy.',
            `Popularity percentile recommended ${m.popularityRecommended}, bought ${m.popularityBought}.`,
            { recommended: m.popularityRecommended, bought: m.popularityBought },
          ),
      m.newItemCatalogShare > 0 && m.newItemShare < m.newItemCatalogShare / 4
        ? finding(
            'fairness.new_items',
            'warning',
            'New items are rarely shown.',
            `New items are ${pct(m.newItemCatalogShare)} of the catalog but get ${pct(m.newItemShare)} of impressions.`,
            { share: m.newItemShare, catalogShare: m.newItemCatalogShare },
          )
        : finding(
            'fairness.new_items',
            'ok',
            'New items get exposure.',
            `New items are ${pct(m.newItemCatalogShare)} of the catalog and get ${pct(m.newItemShare)} of impressions.`,
            { share: m.newItemShare, catalogShare: m.newItemCatalogShare },
          ),
      m.smallCategoryCatalogShare > 0 && m.smallCategoryShare < m.smallCategoryCatalogShare / 4
        ? finding(
            'fairness.small_categories',
            'warning',
            'Items of small categories are rarely shown.',
            `They are ${pct(m.smallCategoryCatalogShare)} of the catalog but get ${pct(m.smallCategoryShare)} of impressions.`,
            { share: m.smallCategoryShare, catalogShare: m.smallCategoryCatalogShare },
          )
        : finding(
            'fairness.small_categories',
            'ok',
            'Items of small categories get exposure.',
            `They are ${pct(m.smallCategoryCatalogShare)} of the catalog and get ${pct(m.smallCategoryShare)} of impressions.`,
            { share: m.smallCategoryShare, catalogShare: m.smallCategoryCatalogShare },
          ),
    )
    const kl = offline?.metrics.calibrationKl ?? null
    if (kl !== null)
      findings.push(
        kl > 1
          ? finding(
              'fairness.calibration',
              'warning',
              "Lists drift from shoppers' own mix of interests.",
              `The mean KL divergence between a shopper's category mix and their list's is ${kl} (Steck 2018; 0 is calibrated).`,
              { kl },
            )
          : finding(
              'fairness.calibration',
              'ok',
              "Lists follow shoppers' own mix of interests.",
              `The mean KL divergence between a shopper's category mix and their list's is ${kl} (Steck 2018).`,
              { kl },
            ),
      )
  }
  if (offline?.recallAt20 != null)
    findings.push(
      finding(
        'fairness.recall',
        'info',
        'How often suggestions held what shoppers went on to buy.',
        `Offline Recall@20 is ${offline.recallAt20}: on each shopper's last fifth of activity, held back from a model trained on the rest, that share of what they bought was among their 20 suggestions.`,
        { recallAt20: offline.recallAt20 },
      ),
    )
  const recalls = groups.filter((g) => g.recallAt20 !== null && g.group !== 'other')
  for (const dim of ['jurisdiction', 'level', 'tenure', 'history'] as const) {
    const values = recalls.filter((g) => g.dimension === dim).map((g) => g.recallAt20!)
    if (values.length < 2) continue
    const [lo, hi] = [Math.min(...values), Math.max(...values)]
    findings.push(
      hi > 0 && lo / hi < 0.5
        ? finding(
            `fairness.parity.${dim}`,
            'warning',
            `Recommendation quality differs widely by ${dim}.`,
            `Recall@20 ranges from ${lo} to ${hi} across ${dim} groups of at least ${MIN_GROUP} shoppers.`,
            { min: lo, max: hi },
          )
        : finding(
            `fairness.parity.${dim}`,
            'ok',
            `Recommendation quality is similar across ${dim} groups.`,
            `Recall@20 ranges from ${lo} to ${hi}.`,
            { min: lo, max: hi },
          ),
    )
  }
  findings.push(
    input.specialCategoryViolations > 0
      ? finding(
          'fairness.special_categories',
          'problem',
          'Special-category items were recommended without the matching grant.',
          `${input.specialCategoryViolations} personal answers held a special-category item for a shopper without the purpose that unlocks it. Stop personal answers and investigate the item masks.`,
          { answers: input.specialCategoryViolations },
        )
      : finding(
          'fairness.special_categories',
          'ok',
          'No special-category item was recommended from history without the matching grant.',
          'Checked every personal answer in the window that a later event cites.',
        ),
  )
  return { part, findings, charts: fairnessCharts(part) }
}

const pct = (x: number) => `${Math.round(x * 1000) / 10}%`
