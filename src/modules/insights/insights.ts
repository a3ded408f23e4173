/**
 * Insights: aggregate statistics over stored events, protected by differential privacy, for analysts
 * (`POST /v1/insights/queries`) and for partners in the clean room (`POST /v1/cleanroom/queries`).
 * This file holds the module's shared types and the HTTP contract's schemas; the pure engine (samplers,
 * accounting, contribution bounding, partition selection, release) is `insights.dp.*.ts` and
 * `insights.engine.ts`, the budget ledger `insights.budget.ts`, the SQL that reads events
 * `insights.repository.ts`, and the clean room `cleanroom.*.ts`.
 */
import { z } from 'zod'

/** What a query counts: rows (events), distinct subjects, or a bounded sum or mean of a value. */
export const MEASURES = ['events', 'subjects', 'sum', 'mean'] as const
export type Measure = (typeof MEASURES)[number]

/** The values a `sum` or `mean` adds up; each is clamped to the charter's declared bounds first. */
export const VALUE_FIELDS = ['quantity', 'price'] as const
export type ValueField = (typeof VALUE_FIELDS)[number]

/**
 * What answers may be grouped by. `item`, `category` (the catalog's top-level category), `day`
 * (`YYYY-MM-DD`, UTC) and `week` (ISO week, `YYYY-Www`) come from the event and the catalog;
 * `placement` from the event; `level` is the personalization level of the answer the event cites
 * (`recommend_answers.level`, `none` when it cites none); `jurisdiction` the subject's
 * (`subject_settings.jurisdiction`, `unknown` for anonymous sessions).
 */
export const DIMENSIONS = [
  'item',
  'category',
  'day',
  'week',
  'placement',
  'level',
  'jurisdiction',
] as const
export type Dimension = (typeof DIMENSIONS)[number]

/** The noise added: discrete Gaussian (zCDP) by default, or discrete Laplace (pure DP). */
export const MECHANISMS = ['gaussian', 'laplace'] as const
export type Mechanism = (typeof MECHANISMS)[number]

/** A rational number in exact integer arithmetic: the samplers take their scales as these. */
export interface Rational {
  num: bigint
  den: bigint
}

/** One cell of an answer: its group, the noisy value, the noise's scale and a 95% interval. */
export const InsightCellSchema = z.object({
  group: z.record(z.string(), z.string()),
  value: z.number(),
  noiseScale: z.number(),
  interval: z.tuple([z.number(), z.number()]),
})
export type InsightCell = z.infer<typeof InsightCellSchema>

/** A query's privacy cost: rho (zero-concentrated DP), and (epsilon, delta) for display. */
export const PrivacyCostSchema = z.object({
  rho: z.number(),
  epsilon: z.number(),
  delta: z.number(),
})
export type PrivacyCost = z.infer<typeof PrivacyCostSchema>

/** Where a key's budget stands in the current rolling period. */
export const BudgetStateSchema = z.object({
  keyId: z.string(),
  periodDays: z.number().int(),
  rho: z.number(),
  spentRho: z.number(),
  remainingRho: z.number(),
  /** The whole period's budget and what is left, as (epsilon, delta) at the charter's delta. */
  epsilon: z.number(),
  remainingEpsilon: z.number(),
  delta: z.number(),
  queries: z.number().int(),
  /** When the oldest spend still counted leaves the period (null: nothing spent). */
  renewsAt: z.string().nullable(),
})
export type BudgetState = z.infer<typeof BudgetStateSchema>
