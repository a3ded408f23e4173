/**
 * The voice of the customer's types and schemas: what a shopper may send (a review, a survey answer,
 * free-text feedback on personalization), what the answer says, and the daily trends.
 */
import { z } from 'zod'
import { CustomerRefSchema } from '../identity/index.js'
import { SessionIdSchema } from '../session/index.js'
import { ASPECTS } from './voice.analysis.js'

export const VOICE_KINDS = ['review', 'survey', 'feedback'] as const
export type VoiceKind = (typeof VOICE_KINDS)[number]

/** The purpose voice rests on when the request names none: it declares `user.behavior.feedback`. */
export const DEFAULT_VOICE_PURPOSE = 'personalize.recommendations'
/** The data category a purpose must declare to carry voice. */
export const VOICE_DATA_CATEGORY = 'user.behavior.feedback'
/** The fields scanned for personal data (as search queries are): refused, never stored or echoed. */
export const SCANNED_FIELDS = ['text', 'answer'] as const

const Code = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits and . _ : - only')

export const VoiceInputSchema = z
  .strictObject({
    kind: z.enum(VOICE_KINDS),
    subject: CustomerRefSchema.optional(),
    session: SessionIdSchema.optional(),
    purpose: z
      .string()
      .min(1)
      .max(80)
      .optional()
      .describe(
        `The charter purpose (default ${DEFAULT_VOICE_PURPOSE}); it must declare ${VOICE_DATA_CATEGORY}`,
      ),
    item: z.string().min(1).max(64).optional(),
    rating: z.int().min(1).max(5).optional(),
    survey: Code.optional().describe('For a survey answer: the survey'),
    question: Code.optional().describe('For a survey answer: the question'),
    answer: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe('For a survey answer: the choice or short answer'),
    text: z.string().min(1).max(2000).optional(),
  })
  .refine((v) => (v.subject === undefined) !== (v.session === undefined), {
    message: 'give exactly one of subject or session',
    path: ['subject'],
  })
  .refine((v) => v.kind !== 'review' || (v.item !== undefined && v.rating !== undefined), {
    message: 'a review needs the item and a rating from 1 to 5',
    path: ['rating'],
  })
  .refine(
    (v) =>
      v.kind !== 'survey' ||
      (v.survey !== undefined &&
        v.question !== undefined &&
        (v.answer !== undefined || v.rating !== undefined || v.text !== undefined)),
    {
      message: 'a survey answer needs the survey, the question and an answer, rating or text',
      path: ['survey'],
    },
  )
  .refine((v) => v.kind !== 'feedback' || v.text !== undefined, {
    message: 'feedback needs its text',
    path: ['text'],
  })
export type VoiceInput = z.infer<typeof VoiceInputSchema>

const AspectSchema = z.enum(ASPECTS)

export const VoiceReceiptSchema = z.object({
  id: z.string(),
  purpose: z.string(),
  sentiment: z.number().describe('From -1 (negative) to 1 (positive); 0 without text'),
  aspects: z.array(AspectSchema),
  negative: z.boolean(),
  expiresAt: z.string(),
})
export type VoiceReceipt = z.infer<typeof VoiceReceiptSchema>

export const TrendsQuerySchema = z.strictObject({
  from: z.iso.date().optional().describe('First day (UTC), default 29 days before `to`'),
  to: z.iso.date().optional().describe('Last day (UTC), default today'),
  item: z.string().min(1).max(64).optional(),
})

const AspectCount = z.object({ entries: z.int(), negative: z.int() })
export const TrendDaySchema = z.object({
  day: z.string(),
  entries: z.int(),
  negative: z.int(),
  meanSentiment: z.number().nullable(),
  meanRating: z.number().nullable(),
  aspects: z.record(AspectSchema, AspectCount),
})
export const TrendsSchema = z.object({
  from: z.string(),
  to: z.string(),
  item: z.string().nullable(),
  days: z.array(TrendDaySchema),
})
export type TrendDay = z.infer<typeof TrendDaySchema>

export const NegativeItemsQuerySchema = z.strictObject({
  days: z.coerce.number().int().min(1).max(90).default(7).describe('The window, in days up to now'),
  limit: z.coerce.number().int().min(1).max(100).default(20),
})
export const NegativeItemsSchema = z.object({
  from: z.string().describe('Start of the window (ISO)'),
  to: z.string(),
  items: z.array(
    z.object({
      item: z.string(),
      negative: z.int().describe('Negative entries about the item in the window'),
      entries: z.int().describe('All its entries in the window'),
      meanRating: z.number().nullable().describe('Mean rating of its rated entries'),
      aspects: z.array(z.string()).describe('Aspects its negative entries named, most named first'),
      lastNegativeAt: z.string(),
    }),
  ),
})
export type NegativeItems = z.infer<typeof NegativeItemsSchema>
export type Trends = z.infer<typeof TrendsSchema>

/** A stored entry as the shopper's export shows it (their own text included). */
export interface VoiceEntry {
  id: string
  kind: VoiceKind
  purpose: string
  item: string | null
  rating: number | null
  survey: string | null
  question: string | null
  answer: string | null
  text: string | null
  sentiment: number
  negative: boolean
  aspects: string[]
  createdAt: string
  expiresAt: string
}

export const RepresentativenessSchema = z.object({
  from: z.string(),
  to: z.string(),
  threshold: z.number().describe('A dimension is skewed above this total variation distance'),
  minRespondents: z.int().describe('Fewer respondents are not judged'),
  baseShoppers: z.int(),
  respondents: z.int().describe('Known shoppers who sent an entry in the window'),
  anonymousRespondents: z.int().describe('Visits that sent an entry: not compared'),
  enough: z.boolean(),
  skewed: z
    .boolean()
    .nullable()
    .describe('Whether any dimension is skewed; null: too few to judge'),
  dimensions: z.array(
    z.object({
      dimension: z.enum(['jurisdiction', 'level', 'tenure']),
      distance: z.number().describe('Total variation distance, 0 (same shares) to 1'),
      skewed: z.boolean(),
      groups: z.array(
        z.object({
          group: z.string(),
          base: z.number().describe('Share of the shopper base'),
          respondents: z.number().describe('Share of the respondents'),
        }),
      ),
    }),
  ),
})
