/**
 * What the reviews module keeps and serves: the impact assessment with its sign-off, the stored audit
 * reports (run by the `reviews.audit` job and `candor audit report`) with the change since the previous
 * one, and the model card. The audits themselves are `runAudits` (reviews.run.ts), handed in by the
 * composition root.
 */
import type { Clock } from '../../lib/clock.js'
import { AppError } from '../../lib/errors.js'
import { newSortableId } from '../../lib/ids.js'
import type { Db } from '../../storage/db.js'
import type { Actor, AuditLog } from '../audit/index.js'
import { type Charter, noticeVersionOf } from '../charter/index.js'
import { type ReportChanges, compareReports } from './reports.compare.js'
import { renderReportHtml } from './reports.html.js'
import { reportsRepository as repo } from './reports.repository.js'
import { type Dpia, buildDpia } from './reviews.dpia.js'
import { type ModelCard, type TrainingRunFacts, buildModelCard } from './reviews.model-card.js'
import type { AuditReport } from './reviews.js'

export interface DpiaSignOff {
  id: string
  signedAt: string
  /** The privacy officer's key id. */
  signedBy: string
  noticeVersion: string
  dpiaHash: string
  note: string | null
  /** True once the charter (notice version) or the assessment changed since it was signed. */
  stale: boolean
  staleReason: string | null
}

export interface DpiaView extends Dpia {
  signOff: DpiaSignOff | null
}

export interface LatestReports {
  latest: AuditReport | null
  /** What changed since the report before it; null without one. */
  changes: ReportChanges | null
}

export interface ReviewsDeps {
  db: Db
  clock: Clock
  charter: Charter
  audit: AuditLog
  /** All three audits now (`runAudits`). */
  runAudits: () => Promise<AuditReport>
  /** The last training run of the recommender, if any (`recommend.trainingRuns(1)[0]`). */
  lastTrainingRun: () => Promise<TrainingRunFacts | undefined>
}

export type ReviewsService = ReturnType<typeof createReviewsService>

const parseReport = (body: string) => JSON.parse(body) as AuditReport

export function createReviewsService(deps: ReviewsDeps) {
  const { db, charter } = deps
  // The assessment is a pure function of the charter, which does not change while the process runs.
  const dpia = buildDpia(charter)
  const noticeVersion = noticeVersionOf(charter)

  async function latestReports(): Promise<LatestReports> {
    const [latest, previous] = (await repo.latestReports(db, 2)).map((r) => parseReport(r.body))
    if (latest === undefined) return { latest: null, changes: null }
    return {
      latest,
      changes: previous === undefined ? null : compareReports(latest, previous),
    }
  }

  /** The assessment of the charter in force, with its latest sign-off (stale or not). */
  async function dpiaView(): Promise<DpiaView> {
    const row = await repo.latestSignOff(db)
    if (row === undefined) return { ...dpia, signOff: null }
    const staleReason =
      row.noticeVersion !== noticeVersion
        ? 'The charter changed (a new notice version) since this sign-off.'
        : row.dpiaHash !== dpia.hash
          ? 'The assessment changed since this sign-off.'
          : null
    return {
      ...dpia,
      signOff: {
        id: row.id,
        signedAt: row.signedAt,
        signedBy: row.keyId,
        noticeVersion: row.noticeVersion,
        dpiaHash: row.dpiaHash,
        note: row.note,
        stale: staleReason !== null,
        staleReason,
      },
    }
  }

  return {
    dpia: dpiaView,

    /**
     * A privacy officer signs the assessment off: stored with an audit entry in one transaction. The
     * caller names the notice version it read, so an assessment that changed meanwhile is not signed
     * unseen (409 naming `body.noticeVersion`).
     */
    async signOffDpia(
      actor: Extract<Actor, { kind: 'api_key' }>,
      input: { noticeVersion: string; note?: string | undefined },
    ): Promise<DpiaSignOff> {
      if (input.noticeVersion !== noticeVersion) {
        throw new AppError(
          'conflict',
          'The assessment you read was generated from another notice version: read it again and sign that one',
          {
            issues: [{ field: 'body.noticeVersion', reason: `is not the notice version in force` }],
            details: { noticeVersion },
          },
        )
      }
      const now = deps.clock.now()
      const signOff: DpiaSignOff = {
        id: newSortableId('dpia', now.getTime()),
        signedAt: now.toISOString(),
        signedBy: actor.keyId,
        noticeVersion,
        dpiaHash: dpia.hash,
        note: input.note ?? null,
        stale: false,
        staleReason: null,
      }
      await db.transaction().execute(async (trx) => {
        await repo.insertSignOff(trx, {
          id: signOff.id,
          signedAt: signOff.signedAt,
          keyId: signOff.signedBy,
          noticeVersion,
          dpiaHash: dpia.hash,
          note: signOff.note,
        })
        // The note stays out of the log: it is free text.
        await deps.audit.record(trx, {
          actor,
          action: 'reviews.dpia.signed_off',
          details: { signOffId: signOff.id, noticeVersion, dpiaHash: dpia.hash },
        })
      })
      return signOff
    },

    /** Runs every audit now and keeps the report. */
    async runAndStore(): Promise<AuditReport> {
      const report = await deps.runAudits()
      await repo.insertReport(db, {
        id: report.id,
        createdAt: report.createdAt,
        noticeVersion: report.noticeVersion,
        body: JSON.stringify(report),
      })
      return report
    },

    latestReports,

    /**
     * The latest report as one self-contained HTML file (with the change since the previous one and
     * the DPIA), for `candor audit report` and the console's download; undefined before the first.
     */
    async latestHtml(): Promise<{ report: AuditReport; html: string } | undefined> {
      const { latest, changes } = await latestReports()
      if (latest === null) return undefined
      const html = await renderReportHtml({
        report: latest,
        changes,
        dpia: await dpiaView(),
        controller: charter.controller.name,
      })
      return { report: latest, html }
    },

    /** The model card, from the charter, the last training and the latest report. */
    async modelCard(): Promise<ModelCard> {
      const [run, { latest }] = await Promise.all([deps.lastTrainingRun(), latestReports()])
      return buildModelCard(charter, run, latest)
    },
  }
}
