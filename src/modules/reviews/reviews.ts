/**
 * The shapes every review shares: a finding a privacy officer can read, a chart as a declarative
 * Vega-Lite spec with its data inline (rendered to SVG on the server and drawn by the console from the
 * same spec), and the report that holds the three audits. No personal data ever goes in here: figures
 * are counts, rates and ratios; ids are catalog items, purposes, vendors and key ids.
 */

export type Severity = 'ok' | 'info' | 'warning' | 'problem'
export type ReviewArea = 'fairness' | 'privacy' | 'security'

export interface Finding {
  area: ReviewArea
  /** A stable id, e.g. 'privacy.retention', 'fairness.gini', 'security.key_age'. */
  check: string
  severity: Severity
  /** One plain sentence for a privacy officer. */
  title: string
  /** What was measured and what to do; never personal data. */
  detail: string
  figures?: Record<string, number>
}

/** A Vega-Lite spec with inline data (`data.values`), so it renders with nothing else at hand. */
export interface ChartSpec {
  name: string
  title: string
  spec: Record<string, unknown>
}

// ---- fairness ----------------------------------------------------------------------------------

/** The item-side measures of one set of recommendation lists (the answer log, or any recommender). */
export interface ExposureMetrics {
  /** Lists measured and items shown in them (with repeats). */
  lists: number
  impressions: number
  /** Share of the active catalog shown at least once, 0..1. */
  coverage: number
  /** Gini coefficient of impressions over the active catalog, 0 (equal) .. 1 (all on one item). */
  gini: number
  /** Share of impressions on items added within the "new item" window; and their share of the catalog. */
  newItemShare: number
  newItemCatalogShare: number
  /** Share of impressions on items of small categories; and those items' share of the catalog. */
  smallCategoryShare: number
  smallCategoryCatalogShare: number
  /** Mean popularity percentile (0..1, 1 = the most bought) of what is recommended, and of what is bought. */
  popularityRecommended: number
  popularityBought: number
  /** Mean KL(p || q~) between a shopper's category mix and their list's (Steck 2018); null if none measured. */
  calibrationKl: number | null
}

/**
 * Quality of one shopper group; figures withheld (null) under the minimum group size. `offline` rows
 * count shoppers of the validation split and carry Recall@20; `online` rows count answers served
 * (the answer log's segments) and carry the view, basket and purchase rates of those answers.
 */
export interface GroupQuality {
  dimension: 'jurisdiction' | 'level' | 'tenure' | 'history'
  group: string
  measured: 'offline' | 'online'
  /** Subjects in an offline group (null when withheld, and online). */
  subjects: number | null
  /** Answers in an online group (null when withheld, and offline). */
  answers: number | null
  /** Whether small groups were merged into this one (`other`). */
  merged: boolean
  recallAt20: number | null
  viewRate: number | null
  basketRate: number | null
  purchaseRate: number | null
}

export interface FairnessAudit {
  /** The served answers (answer log) over the window. */
  served: ExposureMetrics | null
  /** The current model on a validation split of stored events, when it could be trained. */
  offline: ExposureMetrics | null
  offlineRecallAt20: number | null
  groups: GroupQuality[]
  /** Special-category items recommended from history without the matching grant (should be 0). */
  specialCategoryViolations: number
  windowDays: number
}

// ---- privacy -----------------------------------------------------------------------------------

export interface PurposeCoverage {
  purpose: string
  legalBasis: string
  /** Subjects with an active grant of the purpose and subjects known; share = granted / subjects. */
  granted: number
  subjects: number
  share: number
}

export interface PrivacyAudit {
  eventsChecked: number
  /** Stored events kept past the longest retention of the purposes they were stored for. */
  pastRetention: number
  /** Stored events whose purposes had no grant (or legal basis) when they were stored. */
  withoutGrant: number
  coverage: PurposeCoverage[]
  requests: {
    total: number
    closed: number
    onTime: number
    overdue: number
    /** Rate of closed requests answered in time, 0..1 (1 when none). */
    onTimeRate: number
    /** The slowest closed or open request, in days. */
    slowestDays: number | null
  }
  /** Vault values found in plain text in the database (files for SQLite, table text for PostgreSQL). */
  plaintext: { valuesChecked: number; found: number; where: string[] }
  /** Differential privacy spent per insights key (zCDP rho, all time); null when not installed. */
  dpBudgets: { key: string; usedRho: number; spends: number }[] | null
  /**
   * Vendors the charter declares, and whether any receives data now (an active partner key acting for
   * it); a receiving vendor the charter does not declare is listed with `declared: false`.
   */
  vendors: {
    vendor: string
    declared: boolean
    receiving: boolean
    /** Deliveries the vendor acknowledged (`src/modules/vendors/`), and its overdue deletion requests. */
    sent?: number
    deletionsOverdue?: number
  }[]
}

// ---- security ----------------------------------------------------------------------------------

export interface KeyAge {
  keyId: string
  role: string
  ageDays: number
  /** Days since last use, null when never used. */
  lastUsedDays: number | null
  flagged: 'old' | 'unused' | null
}

export interface SecurityReview {
  auditLog: { ok: boolean; entries: number; problem: string | null }
  keys: KeyAge[]
  /**
   * Failed authentications and requests refused for too many, counted by this process since it
   * started (the limiter keeps them in memory); null when the review runs outside the server.
   */
  failedAuthentications: { count: number; blocked: number } | null
  files: { path: string; mode: string; problem: string | null }[]
  transport: { tls: boolean; corsOrigins: string[]; problem: string | null }
}

// ---- the report --------------------------------------------------------------------------------

export interface AuditReport {
  id: string
  createdAt: string
  noticeVersion: string
  fairness: FairnessAudit
  privacy: PrivacyAudit
  security: SecurityReview
  findings: Finding[]
  charts: ChartSpec[]
}

/** What each audit function returns: its part, its findings and its charts. */
export interface AuditPart<T> {
  part: T
  findings: Finding[]
  charts: ChartSpec[]
}
