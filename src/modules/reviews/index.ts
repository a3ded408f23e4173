/**
 * The reviews module: audits a person reads. Fairness and bias of the recommendations, a privacy audit
 * of what is stored against the charter and the consent ledger, a security review, and (built on them)
 * the data protection impact assessment and the model card.
 *
 * Not to be confused with the audit LOG (`src/modules/audit/`): that is the hash-chained, append-only
 * record of who did what, verified by checkpoints. A review reads that log (the security review
 * verifies its chain) but writes findings, not log entries; a DPIA sign-off is the one review action
 * that is itself logged there.
 *
 * May import: lib, storage, and the index of other modules; their tables only read, in
 * `reviews.repository.ts` (an audit must see what is stored, not what a service chooses to say).
 *
 * Where each rule lives: the shared shapes `reviews.ts`. Fairness and bias: the measures, pure, with
 * their sources `reviews.metrics.ts`; the validation split and the measure of any recommender on it
 * `reviews.fairness.offline.ts`; the findings `reviews.fairness.ts`; the reads and the engine measured
 * offline `reviews.fairness.data.ts`; the charts `reviews.fairness.charts.ts`. Privacy
 * `reviews.privacy.ts` (its plaintext scan `reviews.plaintext.ts`); security `reviews.security.ts`; all
 * of them at once `reviews.run.ts`. The DPIA, model card and stored reports: `reviews.dpia.ts`,
 * `reviews.model-card.ts`, `reports.*.ts`.
 */
export type {
  AuditPart,
  AuditReport,
  ChartSpec,
  ExposureMetrics,
  FairnessAudit,
  Finding,
  GroupQuality,
  KeyAge,
  PrivacyAudit,
  PurposeCoverage,
  ReviewArea,
  SecurityReview,
  Severity,
} from './reviews.js'
export {
  buildDpia,
  riskLevel,
  type Dpia,
  type DpiaPurpose,
  type DpiaRisk,
  type RiskLevel,
} from './reviews.dpia.js'
export { buildModelCard, type ModelCard, type TrainingRunFacts } from './reviews.model-card.js'
export { compareReports, type FindingChange, type ReportChanges } from './reports.compare.js'
export {
  createReviewsService,
  type DpiaSignOff,
  type DpiaView,
  type LatestReports,
  type ReviewsDeps,
  type ReviewsService,
} from './reports.service.js'
export { runAudits, type ReviewServices, type RunOptions } from './reviews.run.js'
export type { Recommender } from './reviews.fairness.offline.js'
export { renderChartSvg } from './reviews.charts.js'
export { renderReportHtml, type HtmlReportInput } from './reports.html.js'
export { reviewsRoutes } from './reviews.routes.js'
