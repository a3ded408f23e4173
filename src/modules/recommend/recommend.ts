import { z } from 'zod'
import { PersonalizationLevelSchema } from '../consent/index.js'
import { REASON_KINDS } from './engine/index.js'

export const ReasonKindSchema = z.enum(REASON_KINDS)

export const PLACEMENTS = ['home', 'product', 'cart', 'email', 'category'] as const

const ItemId = z.string().min(1).max(64)

export const RecommendationQuerySchema = z
  .object({
    subject: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe("A signed-in shopper: the shop's customer reference"),
    session: z
      .string()
      .min(8)
      .max(200)
      .optional()
      .describe("An anonymous visit: the shop's session id"),
    placement: z.enum(PLACEMENTS).default('home'),
    limit: z.coerce.number().int().min(1).max(100).default(10),
    item: ItemId.optional().describe('The product on the page (context; never recommended back)'),
    exclude: z
      .string()
      .max(4000)
      .optional()
      .describe('Comma-separated item ids not to show (the cart, say)'),
    category: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe('Only items under this category path (a/b)'),
    inStock: z
      .enum(['true', 'false'])
      .optional()
      .describe('Only items available now (default true)'),
    jurisdiction: z.string().min(1).max(16).optional(),
  })
  .refine((q) => !(q.subject !== undefined && q.session !== undefined), {
    message: 'give subject or session, not both',
    path: ['session'],
  })
export type RecommendationQuery = z.infer<typeof RecommendationQuerySchema>

export const ExplanationSchema = z.object({
  kind: ReasonKindSchema,
  sentence: z.string(),
  evidence: z.array(z.object({ id: z.string(), title: z.string() })),
})

export const RecommendedItemSchema = z.object({
  id: z.string(),
  title: z.string(),
  category: z.array(z.string()),
  price: z.number().optional(),
  explanation: ExplanationSchema,
  links: z.object({
    notThis: z.object({
      method: z.literal('POST'),
      href: z.string(),
      body: z.record(z.string(), z.unknown()),
    }),
    stopPersonalizing: z
      .object({
        method: z.literal('PUT'),
        href: z.string(),
        body: z.record(z.string(), z.unknown()),
      })
      .optional(),
    why: z.string(),
  }),
})

export const RecommendationAnswerSchema = z.object({
  recommId: z.string(),
  level: PersonalizationLevelSchema,
  levelReason: z.string(),
  items: z.array(RecommendedItemSchema),
  prompt: z
    .object({
      purpose: z.string(),
      title: z.string(),
      benefit: z.string(),
      noticeVersion: z.string(),
    })
    .optional(),
})
export type RecommendationAnswer = z.infer<typeof RecommendationAnswerSchema>

/** How long the answer log (`recommId`, level, placement, items) is kept: online quality looks this far back. */
export const ANSWER_LOG_DAYS = 30

export const OnlineQualityQuerySchema = z.object({
  days: z.coerce
    .number()
    .int()
    .min(1)
    .max(ANSWER_LOG_DAYS)
    .default(ANSWER_LOG_DAYS)
    .describe('Answers given in the last this many days'),
})

const OnlineGroupSchema = z.object({
  level: z.string(),
  placement: z.string(),
  answers: z.number(),
  viewed: z
    .number()
    .describe('Answers with at least one cited view of one of their items (likewise carted ...)'),
  carted: z.number(),
  purchased: z.number(),
  notInterested: z.number(),
  viewRate: z.number().describe('viewed per answer, 4 decimals (likewise cartRate ...)'),
  cartRate: z.number(),
  purchaseRate: z.number(),
  notInterestedRate: z.number(),
})
export type OnlineGroup = z.infer<typeof OnlineGroupSchema>

export const OnlineQualitySchema = z.object({
  since: z.string(),
  until: z.string(),
  minAnswers: z.number(),
  groups: z.array(OnlineGroupSchema).describe('Largest first; small groups merged into `other`'),
  total: OnlineGroupSchema.describe('The shown groups together (withheld answers are not in it)'),
  withheld: z
    .object({ groups: z.number(), answers: z.number() })
    .describe('Groups too small to show even merged: only how many answers there were'),
})
export type OnlineQuality = z.infer<typeof OnlineQualitySchema>

export const FeedbackSchema = z
  .strictObject({
    subject: z.string().min(1).max(200).optional(),
    session: z.string().min(8).max(200).optional(),
    kind: z.enum(['not_interested', 'too_personal', 'rating']),
    item: ItemId.optional(),
    reasonKind: ReasonKindSchema.optional().describe(
      'For too_personal: the kind of reason not to use again',
    ),
    rating: z.int().min(1).max(5).optional(),
    recommId: z.string().max(40).optional(),
  })
  .refine((f) => (f.subject === undefined) !== (f.session === undefined), {
    message: 'give exactly one of subject or session',
    path: ['subject'],
  })
  .refine((f) => f.kind !== 'not_interested' || f.item !== undefined, {
    message: 'not_interested needs the item',
    path: ['item'],
  })
  .refine((f) => f.kind !== 'too_personal' || f.reasonKind !== undefined, {
    message: 'too_personal needs the reasonKind',
    path: ['reasonKind'],
  })
  .refine((f) => f.kind !== 'rating' || (f.rating !== undefined && f.item !== undefined), {
    message: 'rating needs the item and a rating from 1 to 5',
    path: ['rating'],
  })
export type Feedback = z.infer<typeof FeedbackSchema>
