/**
 * All three audits at once, as one report: fairness, privacy and security, their findings (problems
 * first) and their chart specs. The server's scheduled job, `candor audit report` and the console's
 * "run now" all call this; storing and rendering the report is `reports.service.ts`.
 */
import { newSortableId } from '../../lib/ids.js'
import type { Config } from '../../config.js'
import type { Storage } from '../../storage/db.js'
import type { AuditLog } from '../audit/index.js'
import type { CatalogService } from '../catalog/index.js'
import type { Charter } from '../charter/index.js'
import type { ConsentService } from '../consent/index.js'
import type { IdentityService } from '../identity/index.js'
import type { RecommendService } from '../recommend/index.js'
import { auditFairness } from './reviews.fairness.data.js'
import type { Recommender } from './reviews.fairness.offline.js'
import { type PrivacyDeps, auditPrivacy } from './reviews.privacy.js'
import { reviewSecurity } from './reviews.security.js'
import type { AuditReport, Finding } from './reviews.js'

/** What the audits read: a subset of the composed services (`src/main/compose.ts` passes them all). */
export interface ReviewServices {
  config: Config
  storage: Pick<Storage, 'db' | 'dialect'>
  charter: Charter
  audit: Pick<AuditLog, 'verify'>
  catalog: Pick<CatalogService, 'listItems'>
  consent: Pick<ConsentService, 'contextsFor' | 'noticeVersion'>
  identity: Pick<IdentityService, 'readVault'>
  recommend: Pick<RecommendService, 'onlineQuality' | 'model'>
  /** Sharing with vendors: deliveries sent and overdue deletion requests per vendor. */
  vendors?: PrivacyDeps['vendors']
}

export interface RunOptions {
  /** The server's failed-authentication counters (`AuthFailureLimit`); absent outside the server. */
  authFailures?: { failures: number; blocked: number }
  /** Measure this recommender offline instead of the engine (tests, what-if comparisons). */
  recommender?: Recommender
  /** Days of answers and events the fairness audit looks at (default 30). */
  windowDays?: number
}

const ORDER: Record<Finding['severity'], number> = { problem: 0, warning: 1, info: 2, ok: 3 }

/**
 * Runs the fairness, privacy and security audits at `now` and gathers them into one report.
 *
 * @example const report = await runAudits(services, clock.now())
 */
export async function runAudits(
  services: ReviewServices,
  now: Date,
  options: RunOptions = {},
): Promise<AuditReport> {
  const { db, dialect } = services.storage
  const fairness = await auditFairness(
    {
      db,
      charter: services.charter,
      catalog: services.catalog,
      consent: services.consent,
      recommend: services.recommend,
    },
    now,
    {
      ...(options.windowDays === undefined ? {} : { windowDays: options.windowDays }),
      ...(options.recommender === undefined ? {} : { recommender: options.recommender }),
    },
  )
  const privacy = await auditPrivacy(
    {
      db,
      dialect,
      config: services.config,
      charter: services.charter,
      consent: services.consent,
      identity: services.identity,
      ...(services.vendors === undefined ? {} : { vendors: services.vendors }),
    },
    now,
  )
  const security = await reviewSecurity(
    { db, config: services.config, audit: services.audit },
    now,
    {
      authFailures: options.authFailures,
    },
  )
  const parts = [fairness, privacy, security]
  return {
    id: newSortableId('rpt', now.getTime()),
    createdAt: now.toISOString(),
    noticeVersion: services.consent.noticeVersion,
    fairness: fairness.part,
    privacy: privacy.part,
    security: security.part,
    // Stable within a severity: fairness, privacy, security, each in its own order.
    findings: parts
      .flatMap((p) => p.findings)
      .map((f, k) => ({ f, k }))
      .sort((a, b) => ORDER[a.f.severity] - ORDER[b.f.severity] || a.k - b.k)
      .map(({ f }) => f),
    charts: parts.flatMap((p) => p.charts),
  }
}
