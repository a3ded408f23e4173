/**
 * The recommendation fairness and bias audit (issue 20, point 1). No protected attribute is used or
 * inferred: the item side is measured on the lists themselves, the shopper side only across groups
 * Candor legitimately knows (jurisdiction, level, new vs returning, history length).
 *
 * - Served: the answer log of the window (`recommend_answers`), measured with `exposureMetrics`.
 * - Offline: a validation split of stored events (each shopper's last fifth held out), on which any
 *   `Recommender` is measured: the engine by default (`reviews.fairness.data.ts`; split and measure in `reviews.fairness.offline.ts`), a test's biased one too.
 * - Online per group: view, basket and purchase rates of the answers served, per group of the coarse
 *   segment each logged answer keeps (jurisdiction, level, tenure, history length; no owner), by the
 *   online quality's attribution rule (`reviews.fairness.online.ts`).
 * - Groups under `MIN_GROUP` (shoppers offline, answers online) are merged into `other`, and withheld
 *   if still too small.
 */
import { fairnessCharts } from './reviews.fairness.charts.js'
import type { OfflineResult } from './reviews.fairness.offline.js'
import {
  type CatalogView,
  MIN_GROUP,
  exposureMetrics,
  type MeasuredList,
} from './reviews.metrics.js'
import type { AuditPart, FairnessAudit, Finding } from './reviews.js'

export { MIN_GROUP }

export interface FairnessInputs {
  catalog: CatalogView
  served: MeasuredList[]
  offline: OfflineResult | null
  /** Online rates per shopper group (`onlineGroups`). */
  online: FairnessAudit['groups']
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
  const groups = [...(offline?.groups ?? []), ...input.online]
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
  } else
    findings.push(...itemSideFindings(m, served === null, offline?.metrics.calibrationKl ?? null))
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
  findings.push(...parityFindings(groups))
  findings.push(...onlineParityFindings(groups))
  findings.push(specialCategoryFinding(input.specialCategoryViolations))
  return { part, findings, charts: fairnessCharts(part) }
}

/** Item-side findings: coverage, Gini of exposure, popularity bias, new items, small categories, calibration. */
function itemSideFindings(
  m: NonNullable<FairnessAudit['served']>,
  validation: boolean,
  kl: number | null,
): Finding[] {
  const findings: Finding[] = []
  const which = validation ? 'the engine on the validation split' : 'the answers served'
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
  )
  findings.push(...shareFindings(m))
  if (kl !== null) findings.push(calibrationFinding(kl))
  return findings
}

/** Exposure of new items and of small categories against their share of the catalog. */
function shareFindings(m: NonNullable<FairnessAudit['served']>): Finding[] {
  return [
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
  ]
}

/** Calibration (Steck 2018): how far lists drift from shoppers' own mix of categories. */
function calibrationFinding(kl: number): Finding {
  return kl > 1
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
      )
}

/** Shopper-side parity: Recall@20 across the groups of each dimension. */
function parityFindings(groups: FairnessAudit['groups']): Finding[] {
  const findings: Finding[] = []
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
  return findings
}

/**
 * Shopper-side parity online: the purchase rate of the answers served across the shown groups of each
 * dimension (merged `other` groups left out of the comparison, as offline).
 */
function onlineParityFindings(groups: FairnessAudit['groups']): Finding[] {
  const findings: Finding[] = []
  for (const dim of ['jurisdiction', 'level', 'tenure', 'history'] as const) {
    const shown = groups.filter(
      (g) => g.measured === 'online' && g.dimension === dim && !g.merged && g.purchaseRate !== null,
    )
    if (shown.length < 2) continue
    const sorted = [...shown].sort((a, b) => a.purchaseRate! - b.purchaseRate!)
    const lo = sorted[0]!
    const hi = sorted.at(-1)!
    const range = `from ${pct(lo.purchaseRate!)} (${lo.group}) to ${pct(hi.purchaseRate!)} (${hi.group})`
    const figures = { min: lo.purchaseRate!, max: hi.purchaseRate! }
    findings.push(
      hi.purchaseRate! > 0 && lo.purchaseRate! / hi.purchaseRate! < 0.5
        ? finding(
            `fairness.online.${dim}`,
            'warning',
            `Shoppers act on suggestions far less often in some ${dim} groups.`,
            `The share of suggestions followed by a purchase of a suggested item ranges ${range} across ${dim} groups of at least ${MIN_GROUP} answers. Compare the offline Recall@20 of those groups: a gap in both points at the recommender, a gap online only at the shop or the groups themselves.`,
            figures,
          )
        : finding(
            `fairness.online.${dim}`,
            'ok',
            `Shoppers act on suggestions about as often across ${dim} groups.`,
            `The share of suggestions followed by a purchase of a suggested item ranges ${range}.`,
            figures,
          ),
    )
  }
  return findings
}

/** Special categories: no item of one recommended from history without the matching grant. */
function specialCategoryFinding(violations: number): Finding {
  return violations > 0
    ? finding(
        'fairness.special_categories',
        'problem',
        'Special-category items were recommended without the matching grant.',
        `${violations} personal answers held a special-category item for a shopper without the purpose that unlocks it. Stop personal answers and investigate the item masks.`,
        { answers: violations },
      )
    : finding(
        'fairness.special_categories',
        'ok',
        'No special-category item was recommended from history without the matching grant.',
        'Checked every personal answer in the window that a later event cites.',
      )
}

const pct = (x: number) => `${Math.round(x * 1000) / 10}%`
