/**
 * Surveys staff define (`PUT /v1/surveys`) and the one a storefront shows a shopper now
 * (`GET /v1/surveys/active`); their answers arrive through the voice intake (`POST /v1/voice`,
 * `kind: "survey"`). Types are inferred from these schemas.
 */
import { z } from 'zod'
import { CustomerRefSchema } from '../identity/index.js'
import { SessionIdSchema } from '../session/index.js'

/** Where a survey may show in a storefront. */
export const SURVEY_CONTEXTS = [
  'recommendations',
  'product',
  'category',
  'cart',
  'checkout',
  'order_confirmation',
  'account',
] as const
export type SurveyContext = (typeof SURVEY_CONTEXTS)[number]

const Code = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, 'lowercase letters, digits, _ and -, at most 40')

const QuestionBase = {
  id: Code.describe('The question id, unique in the survey; an answer names it as `question`'),
  text: z.string().trim().min(1).max(300).describe('The question as the shopper reads it'),
}

export const SurveyQuestionSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    ...QuestionBase,
    kind: z.literal('choice').describe('One of the options, answered as `answer`'),
    options: z
      .array(z.string().trim().min(1).max(60))
      .min(2)
      .max(10)
      .describe('The choices, in the order shown; distinct'),
  }),
  z.strictObject({
    ...QuestionBase,
    kind: z.literal('rating').describe('1 to 5, answered as `rating`'),
    labels: z
      .strictObject({ low: z.string().min(1).max(40), high: z.string().min(1).max(40) })
      .optional()
      .describe('What 1 and 5 mean, shown beside the scale'),
  }),
  z.strictObject({
    ...QuestionBase,
    kind: z
      .literal('text')
      .describe('A short free text, answered as `text` (scanned for personal data)'),
  }),
])
export type SurveyQuestion = z.infer<typeof SurveyQuestionSchema>

export const SurveyInputSchema = z.strictObject({
  id: Code.describe("The survey's id, chosen by staff (a PUT with the same id replaces it)"),
  title: z.string().trim().min(1).max(120).describe('Shown above the questions'),
  questions: z
    .array(SurveyQuestionSchema)
    .min(1)
    .max(10)
    .describe('Asked one at a time, in this order'),
  contexts: z
    .array(z.enum(SURVEY_CONTEXTS))
    .min(1)
    .max(SURVEY_CONTEXTS.length)
    .describe('Where it shows: under the recommendation row, on a product page, at checkout, ...'),
  purpose: z
    .string()
    .min(1)
    .max(80)
    .describe(
      'The charter purpose it rests on: it must declare user.behavior.feedback; the survey shows only to shoppers who allowed it',
    ),
  schedule: z
    .strictObject({ from: z.iso.datetime().optional(), until: z.iso.datetime().optional() })
    .default({})
    .describe('When it runs (ISO 8601, UTC); either end may be open'),
  sampleRate: z
    .number()
    .min(0)
    .max(1)
    .default(1)
    .describe(
      'The share of shoppers asked, chosen by a hash of their pseudonym and the survey (the same shopper is always in or out)',
    ),
  capDays: z
    .int()
    .min(0)
    .max(365)
    .default(30)
    .describe(
      'Once shown to a shopper, not shown to them again for this many days (0: until they answer)',
    ),
  priority: z
    .int()
    .min(0)
    .max(1000)
    .default(0)
    .describe('Higher first among surveys that may show'),
  active: z.boolean().default(true),
})
export type SurveyInput = z.infer<typeof SurveyInputSchema>

export const SurveySchema = SurveyInputSchema.extend({
  createdAt: z.string(),
  updatedAt: z.string(),
})
export type Survey = z.infer<typeof SurveySchema>

export const SurveyListSchema = z.object({
  surveys: z.array(
    SurveySchema.extend({
      answers: z
        .record(z.string(), z.record(z.string(), z.int()))
        .describe(
          'Per question: answers counted per choice (choice), per rating 1-5 (rating), or `answered` (text)',
        ),
    }),
  ),
})

export const ActiveSurveyQuerySchema = z
  .strictObject({
    context: z.enum(SURVEY_CONTEXTS).describe('Where the storefront would show it'),
    subject: CustomerRefSchema.optional().describe("The shop's customer reference"),
    session: SessionIdSchema.optional().describe('An anonymous visit'),
  })
  .refine((v) => (v.subject === undefined) !== (v.session === undefined), {
    message: 'give exactly one of subject or session',
    path: ['subject'],
  })
export type ActiveSurveyQuery = z.infer<typeof ActiveSurveyQuerySchema>

export const ACTIVE_REASONS = [
  'shown',
  'none_running',
  'not_allowed',
  'answered',
  'capped',
  'not_sampled',
] as const
export type ActiveReason = (typeof ACTIVE_REASONS)[number]

export const ActiveSurveySchema = z.object({
  survey: z
    .object({
      id: z.string(),
      title: z.string(),
      purpose: z.string(),
      questions: z.array(SurveyQuestionSchema).describe('The questions not answered yet'),
    })
    .nullable()
    .describe('The survey to show now, or null'),
  reason: z
    .enum(ACTIVE_REASONS)
    .describe(
      'shown; or why none: none_running (in this context), not_allowed (the shopper has not allowed its purpose), answered, capped (shown within capDays), not_sampled',
    ),
})
export type ActiveSurvey = z.infer<typeof ActiveSurveySchema>
