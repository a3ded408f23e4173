/**
 * The model card (`GET /v1/model-card`, public like the notice, and the privacy center's "How
 * suggestions work" page): which data feeds which level, the algorithm in plain words, the last
 * training's validation figures, the latest fairness findings and known limits, and how to turn it off.
 * Built from the charter, the last training run and the latest audit report; pure. Figures only, never
 * anything about one shopper.
 */
import {
  type Charter,
  DATA_CATEGORIES,
  REQUIRED_PURPOSES,
  noticeVersionOf,
  plainRetention,
  renderNotice,
} from '../charter/index.js'
import type { AuditReport, Severity } from './reviews.js'

export interface ModelCardLevel {
  level: 'off' | 'session' | 'personal'
  title: string
  /** What the level uses, in the notice's words. */
  uses: string[]
  /** How long that data is kept. */
  kept: string
  /** The purpose (and so the consent or basis) it rests on; null for `off`. */
  purpose: string | null
}

/** Ranking quality of one level on the held-out period of the last training. */
export interface ModelCardFigure {
  level: string
  recallAt20: number
  ndcgAt10: number
}

export interface ModelCard {
  noticeVersion: string
  title: string
  levels: ModelCardLevel[]
  /** The algorithm, one plain sentence each. */
  algorithm: string[]
  training: {
    trainedAt: string
    shoppers: number
    items: number
    events: number
    /** Shoppers the held-out period measured, null when training did not tune on one. */
    validationShoppers: number | null
    figures: ModelCardFigure[]
    explained: string
  } | null
  fairness: {
    reportId: string
    reportedAt: string
    findings: { check: string; severity: Severity; title: string }[]
    figures: { name: string; label: string; value: number }[]
  } | null
  limits: string[]
  turnOff: string[]
}

/** What the model card reads of the last training run (`recommend.trainingRuns`). */
export interface TrainingRunFacts {
  trainedAt: string
  subjects: number
  items: number
  events: number
  quality: Record<string, unknown>
}

const ALGORITHM = [
  'Suggestions are ranked by a model of which products are bought and looked at together, learned only from the histories of shoppers who allowed personal suggestions.',
  'With personal suggestions on, your own past views and purchases point to the products most often found with them, blended with what is popular and new.',
  'For this visit only, the same model starts from what you look at now and forgets it when the visit ends.',
  'With suggestions off, everyone sees the same popular, trending and new products; nothing about you is used.',
  'Products in sensitive categories (such as health) are never suggested from your history unless you turned that on yourself.',
  'No person reviews your suggestions, and they never decide a price, an offer or anything beyond what is shown.',
]

const LIMITS = [
  'Popular products are suggested more than their share of the catalog: the fairness audit measures how much.',
  'New products and small categories have little history, so they are suggested less until shoppers find them.',
  'With a short history, your suggestions are mostly popular items; they get more personal as you shop.',
  'We do not know, and do not use, your age, gender or any other protected trait, so we cannot measure fairness across them directly; we check quality across the groups we do know (country, level, new or returning, length of history).',
]

const FAIRNESS_FIGURES: readonly { name: string; label: string }[] = [
  { name: 'coverage', label: 'Share of the catalog suggested at least once' },
  { name: 'gini', label: 'Inequality of exposure (Gini, 0 = equal, 1 = all on one product)' },
  { name: 'popularityRecommended', label: 'Popularity of what is suggested (percentile, 0-1)' },
  { name: 'popularityBought', label: 'Popularity of what is bought (percentile, 0-1)' },
  { name: 'calibrationKl', label: 'Category mix mismatch (KL divergence, 0 = calibrated)' },
]

const LEVEL_FIGURES = [
  ['personal', 'Personal'],
  ['session', 'This visit'],
  ['off', 'Off (popular and new)'],
  ['topPop', 'Most popular only (baseline)'],
] as const

function trainingOf(run: TrainingRunFacts | undefined): ModelCard['training'] {
  if (run === undefined) return null
  const q = run.quality as {
    validation?: { shoppers?: number }
    figures?: Record<string, { recall20?: number; ndcg10?: number } | undefined>
  }
  const figures = LEVEL_FIGURES.flatMap(([key, level]) => {
    const f = q.figures?.[key]
    return f?.recall20 === undefined || f.ndcg10 === undefined
      ? []
      : [{ level, recallAt20: f.recall20, ndcgAt10: f.ndcg10 }]
  })
  return {
    trainedAt: run.trainedAt,
    shoppers: run.subjects,
    items: run.items,
    events: run.events,
    validationShoppers: q.validation?.shoppers ?? null,
    figures,
    explained:
      'Measured on the last weeks of shopping, held back from training: Recall@20 is the share of what shoppers then bought that was among their first 20 suggestions; NDCG@10 also rewards putting it near the top.',
  }
}

function fairnessOf(report: AuditReport | null): ModelCard['fairness'] {
  if (report === null) return null
  const served = report.fairness.served ?? report.fairness.offline
  const figures = FAIRNESS_FIGURES.flatMap(({ name, label }) => {
    const value = served?.[name as keyof typeof served]
    return typeof value === 'number' ? [{ name, label, value }] : []
  })
  return {
    reportId: report.id,
    reportedAt: report.createdAt,
    findings: report.findings
      .filter((f) => f.area === 'fairness')
      .map((f) => ({ check: f.check, severity: f.severity, title: f.title })),
    figures,
  }
}

/**
 * The model card of a charter, with the last training run and the latest audit report when there are.
 *
 * @example buildModelCard(charter, (await recommend.trainingRuns(1))[0], latestReport)
 */
export function buildModelCard(
  charter: Charter,
  run: TrainingRunFacts | undefined,
  report: AuditReport | null,
): ModelCard {
  const notice = renderNotice(charter)
  const titleOf = (level: string) => notice.levels.find((l) => l.level === level)?.title ?? level
  const purposeLevel = (level: 'session' | 'personal', key: string): ModelCardLevel => {
    const purpose = charter.purposes[key]
    return {
      level,
      title: titleOf(level),
      uses: (purpose?.dataCategories ?? []).map((d) => DATA_CATEGORIES[d]),
      kept: purpose === undefined ? '' : plainRetention(purpose.retentionDays),
      purpose: purpose === undefined ? null : key,
    }
  }
  const problems =
    report?.findings
      .filter(
        (f) => f.area === 'fairness' && (f.severity === 'warning' || f.severity === 'problem'),
      )
      .map((f) => `Found by the latest audit: ${f.title}`) ?? []
  return {
    noticeVersion: noticeVersionOf(charter),
    title: 'How suggestions work',
    levels: [
      {
        level: 'off',
        title: titleOf('off'),
        uses: ['nothing about you: what is popular, trending and new in the shop'],
        kept: 'Nothing is kept.',
        purpose: null,
      },
      purposeLevel('session', REQUIRED_PURPOSES.session),
      purposeLevel('personal', REQUIRED_PURPOSES.personal),
    ],
    algorithm: ALGORITHM,
    training: trainingOf(run),
    fairness: fairnessOf(report),
    limits: [...LIMITS, ...problems],
    turnOff: [
      'In your privacy center, choose “Off” under how much we personalize: suggestions then use nothing about you.',
      'Or withdraw your consent to personal suggestions: your history stops feeding them and the model at its next training.',
      'Every suggestion has “Not this” and “Stop personalizing” beside it.',
      'Erasing your data removes your history and your part in the trained model.',
    ],
  }
}
