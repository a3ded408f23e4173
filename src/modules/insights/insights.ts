/**
 * Insights: aggregate statistics over stored events, protected by differential privacy, for analysts
 * (`POST /v1/insights/queries`) and for partners in the clean room (`POST /v1/cleanroom/queries`).
 * This file holds the module's shared types and the HTTP contract's schemas; the pure engine (samplers,
 * accounting, contribution bounding, partition selection, release) is `insights.dp.*.ts` and
 * `insights.engine.ts`, the budget ledger `insights.budget.ts`, the SQL that reads events
 * `insights.repository.ts`, and the clean room `cleanroom.*.ts`.
 */
import { z } from 'zod'
import { EVENT_TYPES } from '../charter/index.js'

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

const DaySchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a day is YYYY-MM-DD')
  .refine(
    (d) =>
      !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) &&
      new Date(`${d}T00:00:00Z`).toISOString().startsWith(d),
    'is not a calendar day',
  )

/** The body of `POST /v1/insights/queries`. */
export const InsightsQuerySchema = z.strictObject({
  measure: z
    .enum(MEASURES)
    .describe('events: rows; subjects: distinct shoppers; sum, mean: of `field`'),
  field: z
    .enum(VALUE_FIELDS)
    .optional()
    .describe('The value a sum or mean adds up (required for them)'),
  groupBy: z
    .array(z.enum(DIMENSIONS))
    .max(3)
    .refine((dims) => new Set(dims).size === dims.length, 'lists a dimension twice')
    .default([]),
  filters: z
    .strictObject({
      from: DaySchema.optional().describe('First day (UTC), inclusive'),
      to: DaySchema.optional().describe('Last day (UTC), inclusive; today when left out'),
      types: z.array(z.enum(EVENT_TYPES)).min(1).optional(),
      items: z.array(z.string().min(1).max(64)).min(1).max(500).optional(),
      categories: z.array(z.string().min(1).max(200)).min(1).max(500).optional(),
    })
    .default({}),
  epsilon: z.number().positive().max(5).describe('Per query; charged rho = epsilon^2 / 2'),
  mechanism: z.enum(MECHANISMS).default('gaussian'),
  contribution: z
    .strictObject({
      maxRowsPerGroup: z.int().min(1).optional(),
      maxGroupsPerSubject: z.int().min(1).optional(),
    })
    .optional()
    .describe("At most the charter's defaults"),
  limit: z
    .int()
    .min(1)
    .max(50_000)
    .default(1000)
    .describe('Cells kept, the largest noisy values first (sorted after noise)'),
  dryRun: z.boolean().default(false).describe('Only the cost and the budget; spends nothing'),
})
export type InsightsQuery = z.infer<typeof InsightsQuerySchema>

/** The answer of a query (a dry run has no cells). */
export const InsightsAnswerSchema = z.object({
  dryRun: z.boolean(),
  cells: z.array(InsightCellSchema),
  cost: PrivacyCostSchema,
  budget: BudgetStateSchema,
  contribution: z.object({
    maxRowsPerGroup: z.number().int(),
    maxGroupsPerSubject: z.number().int(),
  }),
  sensitivity: z.object({ l1: z.number(), l2: z.number() }),
  /** Cells withheld after noise (the clean room's minimum group size). */
  suppressed: z.number().int(),
  /** Whether `limit` cut the cells. */
  truncated: z.boolean(),
})
export type InsightsAnswer = z.infer<typeof InsightsAnswerSchema>
