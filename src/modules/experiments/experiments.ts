import { z } from 'zod'
import { PurposeKeySchema } from '../charter/index.js'
import { scoringSettingIssue } from '../recommend/index.js'
import { isValidStages } from './experiments.assign.js'

/**
 * Experiments: types and zod schemas (types inferred from schemas). An experiment varies something
 * Candor controls (recommendation parameters, the consent prompt's text, an offer) over a few variants,
 * the first of which is the control, and rolls out in stages while its guardrails hold.
 */

/**
 * What an experiment can measure, each counted once per enrolled shopper: the online-quality actions
 * on the answers they were given (view, basket, purchase, "not this"), and `creepy`: feedback they
 * sent (voice of the customer) tagged with the privacy aspect after they were enrolled.
 */
export const METRICS = ['view', 'basket', 'purchase', 'not_this', 'creepy'] as const
export const MetricSchema = z.enum(METRICS)
export type Metric = z.infer<typeof MetricSchema>

/** A metric where more is worse (a guardrail on it breaks when a variant raises it). */
export const HARMFUL_WHEN_HIGHER: ReadonlySet<Metric> = new Set(['not_this', 'creepy'])

export const TARGETS = ['recommendation_parameters', 'prompt_text', 'offer'] as const

export const STATUSES = ['running', 'stopped'] as const
export type ExperimentStatus = (typeof STATUSES)[number]

export const DEFAULT_STAGES = [0.01, 0.05, 0.25, 0.5] as const

const VariantSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'letters, digits, _ or -, at most 40'),
  weight: z.number().positive().max(1000).default(1),
  /** What the variant sets: parameter names to values, or the prompt text, or an offer id. */
  settings: z.record(z.string().max(60), z.union([z.string().max(2000), z.number(), z.boolean()])),
})

const GuardrailSchema = z.object({
  metric: MetricSchema,
  /** The harm tolerated before the guardrail breaks, as an absolute difference in rate. */
  tolerance: z.number().min(0).max(1).default(0),
})

export const ExperimentInputSchema = z
  .object({
    name: z.string().min(1).max(200),
    target: z.enum(TARGETS),
    /** The charter purpose the experiment rests on; shoppers for whom it is not allowed never enter. */
    purpose: PurposeKeySchema.default('personalize.session'),
    variants: z.array(VariantSchema).min(2).max(5),
    primaryMetric: MetricSchema,
    guardrails: z.array(GuardrailSchema).max(4).default([]),
    stages: z
      .array(z.number())
      .min(1)
      .max(10)
      .refine(isValidStages, 'each stage a fraction in (0, 1], none smaller than the one before')
      .default([...DEFAULT_STAGES]),
    alpha: z.number().gt(0).max(0.2).default(0.05),
    /**
     * The least time (hours) at a stage before the rollout job moves on; a guardrail breach stops the
     * experiment at any time.
     */
    stageHours: z.number().min(0).max(2160).default(24),
    plannedUnits: z.number().int().min(100).max(100_000_000).default(10_000),
  })
  .superRefine((input, ctx) => {
    const names = new Set<string>()
    input.variants.forEach((v, i) => {
      if (names.has(v.name))
        ctx.addIssue({ code: 'custom', path: ['variants', i, 'name'], message: 'already used' })
      names.add(v.name)
      if (input.target !== 'recommendation_parameters') return
      for (const [setting, value] of Object.entries(v.settings)) {
        const reason = scoringSettingIssue(setting, value)
        if (reason !== undefined)
          ctx.addIssue({
            code: 'custom',
            path: ['variants', i, 'settings', setting],
            message: reason,
          })
      }
    })
  })
export type ExperimentInput = z.output<typeof ExperimentInputSchema>
export type ExperimentDefinition = Omit<ExperimentInput, 'name'>

const IntervalSchema = z.tuple([z.number(), z.number()])

export const ComparisonSchema = z.object({
  variant: z.string(),
  metric: MetricSchema,
  controlRate: z.number(),
  variantRate: z.number(),
  difference: z.number(),
  relativeLift: z.number().nullable(),
  pValue: z.number(),
  /** Confidence sequence for the difference in rate (variant minus control). */
  interval: IntervalSchema,
  significant: z.boolean(),
})
export type ComparisonOut = z.infer<typeof ComparisonSchema>

export const ArmSchema = z.object({
  variant: z.string(),
  units: z.number().int(),
  counts: z.record(MetricSchema, z.number().int()),
})
export type ArmOut = z.infer<typeof ArmSchema>

export const GuardrailStateSchema = ComparisonSchema.extend({
  tolerance: z.number(),
  breached: z.boolean(),
})
export type GuardrailState = z.infer<typeof GuardrailStateSchema>

export const StoppedReasonSchema = z.object({
  kind: z.enum(['guardrail', 'manual']),
  at: z.string(),
  guardrail: GuardrailStateSchema.optional(),
})
export type StoppedReason = z.infer<typeof StoppedReasonSchema>

export const ExperimentSchema = z.object({
  id: z.string(),
  name: z.string(),
  status: z.enum(STATUSES),
  target: z.enum(TARGETS),
  purpose: z.string(),
  variants: z.array(VariantSchema),
  primaryMetric: MetricSchema,
  guardrails: z.array(GuardrailSchema),
  stages: z.array(z.number()),
  /** Index into `stages` of the stage now running. */
  stage: z.number().int(),
  /** The share of shoppers exposed now. */
  exposure: z.number(),
  alpha: z.number(),
  plannedUnits: z.number().int(),
  stageHours: z.number(),
  createdAt: z.string(),
  updatedAt: z.string(),
  stoppedReason: StoppedReasonSchema.nullable(),
})
export type Experiment = z.infer<typeof ExperimentSchema>

export const StatisticsSchema = z.object({
  method: z.string(),
  arms: z.array(ArmSchema),
  primary: z.array(ComparisonSchema),
  guardrails: z.array(GuardrailStateSchema),
})
export type Statistics = z.infer<typeof StatisticsSchema>

export const NOT_ENROLLED_REASONS = [
  'experiment_stopped',
  'outside_rollout',
  'level_off',
  'objected',
  'restricted',
  'no_consent',
  'unknown_shopper',
] as const
export type NotEnrolledReason = (typeof NOT_ENROLLED_REASONS)[number]

export const AssignmentOutSchema = z.union([
  z.object({
    experiment: z.string(),
    status: z.literal('enrolled'),
    variant: z.string(),
    settings: VariantSchema.shape.settings,
  }),
  z.object({
    experiment: z.string(),
    status: z.literal('not_enrolled'),
    reason: z.enum(NOT_ENROLLED_REASONS),
  }),
])
export type AssignmentOut = z.infer<typeof AssignmentOutSchema>
