/**
 * Federated contributions (issue 22 part B): batches of count-mean-sketch reports checked against the
 * charter's terms and added to the stored totals in one transaction, and the pair estimates training
 * folds into the item model. No batch carries or leaves anything that names a shopper.
 */
import { type Clock, DAY_MS } from '../../lib/clock.js'
import { AppError, type FieldIssue } from '../../lib/errors.js'
import type { Db } from '../../storage/db.js'
import { type Charter, federatedTermsOf } from '../charter/index.js'
import { addReport, createSketchCounts, estimatePairs, type PairEstimates } from './aggregate.js'
import { batchBudgetProblem, reportsPerDay } from './budget.js'
import type { ContributionBatch, FederatedTermsAnswer } from './federated.js'
import { createFederatedRepository } from './federated.repository.js'
import { DEFAULT_SKETCH, fromWire, type SketchShape } from './sketch.js'

export interface FederatedDeps {
  db: Db
  clock: Clock
  charter: Charter
  /** The sketch shape browsers use (default `DEFAULT_SKETCH`). */
  shape?: SketchShape
}

export type FederatedService = ReturnType<typeof createFederatedService>

export function createFederatedService(deps: FederatedDeps) {
  const repo = createFederatedRepository()
  const shape = deps.shape ?? DEFAULT_SKETCH

  /** The charter's terms, or 404 when it declares no federated purpose. */
  function terms(): FederatedTermsAnswer {
    const t = federatedTermsOf(deps.charter)
    if (t === undefined)
      throw new AppError('not_found', 'The data charter declares no federated purpose')
    return { ...t, reportsPerDay: reportsPerDay(t), sketch: { m: shape.m, k: shape.k } }
  }

  function invalid(issues: FieldIssue[]): AppError {
    return new AppError('validation_failed', `${issues[0]!.field}: ${issues[0]!.reason}`, {
      issues,
    })
  }

  return {
    terms,

    /**
     * Checks a batch (shape, epsilon and size against the charter, every report's row and bits) and
     * adds it to the totals; a batch with one bad report adds nothing.
     */
    async contribute(batch: ContributionBatch): Promise<{ accepted: number }> {
      const t = terms()
      if (batch.sketch.m !== shape.m || batch.sketch.k !== shape.k)
        throw invalid([
          {
            field: 'sketch',
            reason: `the sketch is m ${shape.m}, k ${shape.k} (GET /v1/federated/terms)`,
          },
        ])
      const budget = batchBudgetProblem(batch.epsilon, batch.reports.length, t)
      if (budget !== undefined) throw invalid([budget])
      const counts = createSketchCounts(shape, batch.epsilon)
      const issues: FieldIssue[] = []
      batch.reports.forEach((wire, i) => {
        const report = wire.row < shape.k ? fromWire(wire, shape) : undefined
        if (wire.row >= shape.k)
          issues.push({ field: `reports[${i}].row`, reason: `must be below k (${shape.k})` })
        else if (report === undefined)
          issues.push({
            field: `reports[${i}].bits`,
            reason: `must be ${shape.m / 8} bytes in base64`,
          })
        else addReport(counts, report)
      })
      if (issues.length > 0) throw invalid(issues)
      const day = deps.clock.now().toISOString().slice(0, 10)
      await deps.db.transaction().execute((trx) => repo.addCounts(trx, day, counts))
      return { accepted: batch.reports.length }
    },

    /**
     * Every pair of `itemIds` estimated from all stored reports, those clear of the noise kept
     * (`estimatePairs`); indices are into `itemIds`. Nothing when no report has come.
     */
    async pairEstimates(itemIds: readonly string[]): Promise<PairEstimates> {
      const sketches = await repo.readCounts(deps.db)
      if (sketches.length === 0 || itemIds.length < 2)
        return { a: new Int32Array(0), b: new Int32Array(0), counts: new Float64Array(0) }
      return estimatePairs(sketches, itemIds)
    },

    /**
     * Retention: the daily totals are kept for the federated purpose's `retentionDays` (a day's cells
     * go once the whole day is that far back), and all of them go when the charter no longer declares
     * a federated purpose (nothing to keep them for).
     */
    async deleteExpired(executor: Db, now: Date): Promise<Record<string, number>> {
      const t = federatedTermsOf(deps.charter)
      const days = t === undefined ? undefined : deps.charter.purposes[t.purpose]?.retentionDays
      const cutoff =
        days === undefined
          ? '9999-12-31'
          : new Date(now.getTime() - days * DAY_MS).toISOString().slice(0, 10)
      return { federatedDays: await repo.deleteDaysBefore(executor, cutoff) }
    },
  }
}
