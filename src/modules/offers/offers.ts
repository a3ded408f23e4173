/**
 * Offers and content (issue 21): what staff define (`PUT /v1/offers`) and what a storefront is answered
 * (`GET /v1/offers?touchpoint=`). Types are inferred from these schemas.
 */
import { z } from 'zod'
import { NOT_BOTH_SHOPPERS, SHOPPER_FIELDS } from '../recommend/index.js'

const ItemId = z.string().min(1).max(64)

export const OfferContentSchema = z.strictObject({
  title: z.string().min(1).max(120),
  text: z.string().max(1000).optional(),
  imageUrl: z
    .url({ protocol: /^https?$/ })
    .max(2000)
    .optional(),
  link: z
    .url({ protocol: /^https?$/ })
    .max(2000)
    .optional(),
})

export const EligibilitySchema = z
  .strictObject({
    categoryAffinity: z
      .array(z.string().min(1).max(200))
      .min(1)
      .max(20)
      .optional()
      .describe(
        'Category paths (a/b): the shopper bought (or, at `personal`, looked at) an item under one of them. Personal data: needs the offer purpose and the `personal` level',
      ),
    cartContains: z
      .array(ItemId)
      .min(1)
      .max(50)
      .optional()
      .describe(
        'Item ids: the cart (`cart` of the question) holds one of them. Data of this visit: needs the offer purpose and at least the `session` level',
      ),
    customer: z
      .enum(['new', 'returning'])
      .optional()
      .describe('new: no purchase on record; returning: at least one. Personal data'),
    jurisdictions: z
      .array(z.string().min(1).max(16))
      .min(1)
      .max(50)
      .optional()
      .describe(
        'Charter jurisdiction codes the offer runs in. Not personal: the request states it',
      ),
  })
  .describe('Every condition given must hold; none given: an offer for everyone')
export type Eligibility = z.infer<typeof EligibilitySchema>

export const OfferInputSchema = z.strictObject({
  id: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, 'lowercase letters, digits, _ and -, at most 40')
    .describe("The offer's id, chosen by staff (a PUT with the same id replaces it)"),
  content: OfferContentSchema,
  eligibility: EligibilitySchema.default({}),
  schedule: z
    .strictObject({ from: z.iso.datetime().optional(), until: z.iso.datetime().optional() })
    .default({})
    .describe('When it runs (ISO 8601, UTC); either end may be open'),
  touchpoints: z
    .array(z.string().min(1).max(64))
    .min(1)
    .max(10)
    .describe('Charter touchpoints the offer may be shown at'),
  purpose: z
    .string()
    .min(1)
    .max(200)
    .describe('The charter purpose it rests on: every touchpoint must serve it'),
  priority: z.int().min(0).max(1000).default(0).describe('Higher first among eligible offers'),
  active: z.boolean().default(true),
})
export type OfferInput = z.infer<typeof OfferInputSchema>

export const OfferSchema = OfferInputSchema.extend({
  createdAt: z.string(),
  updatedAt: z.string(),
})
export type Offer = z.infer<typeof OfferSchema>

export const OfferListSchema = z.object({ offers: z.array(OfferSchema) })

export const OfferQuerySchema = z
  .object({
    ...SHOPPER_FIELDS,
    touchpoint: z.string().min(1).max(64).optional().describe('The charter touchpoint asking'),
    cart: z
      .string()
      .max(4000)
      .optional()
      .describe('Comma-separated item ids in the cart (used only when consent allows)'),
    jurisdiction: z.string().min(1).max(16).optional(),
  })
  .refine(...NOT_BOTH_SHOPPERS)
export type OfferQuery = z.infer<typeof OfferQuerySchema>

/** What an offer's eligibility reads about the shopper, least first. */
export const DATA_LEVELS = ['none', 'session', 'personal'] as const
export type DataLevel = (typeof DATA_LEVELS)[number]

export const OFFER_REASONS = [
  'category_affinity',
  'cart_contents',
  'returning_customer',
  'new_customer',
  'for_everyone',
] as const
export type OfferReason = (typeof OFFER_REASONS)[number]

const LinkSchema = z.object({
  method: z.string(),
  href: z.string(),
  body: z.record(z.string(), z.unknown()),
})

export const OfferAnswerSchema = z.object({
  answerId: z.string().describe('ofa_..., names this answer in the feedback it links to'),
  touchpoint: z.string(),
  dataUsed: z
    .enum(DATA_LEVELS)
    .describe('What the shopper allowed the offer to read: nothing, this visit, or their history'),
  dataReason: z.string(),
  offer: z
    .object({
      id: z.string(),
      content: OfferContentSchema,
      purpose: z.string(),
      explanation: z.object({
        kind: z.enum(OFFER_REASONS),
        sentence: z.string(),
        evidence: z.array(z.object({ id: z.string(), title: z.string() })),
      }),
      links: z.object({
        notThis: LinkSchema,
        stop: LinkSchema.optional().describe(
          "A shopper: withdraws the offer's purpose (a ready-made consent request)",
        ),
        why: z.string(),
        open: z
          .string()
          .optional()
          .describe(
            "Present when the offer has a link: where to send the shopper, so that the click counts in the offer's totals (it redirects to the link)",
          ),
      }),
    })
    .nullable()
    .describe('The best eligible offer, or null (none eligible, or the cap reached)'),
  cap: z
    .object({ touchpoint: z.string(), max: z.int(), perDays: z.int(), resetsAt: z.string() })
    .optional()
    .describe('Present when the touchpoint frequency cap was reached: no offer then'),
})
export type OfferAnswer = z.infer<typeof OfferAnswerSchema>

export const OfferTotalsQuerySchema = z.object({
  days: z.coerce
    .number()
    .int()
    .min(1)
    .max(365)
    .default(30)
    .describe('How many UTC days back, today included'),
})

const CountsSchema = {
  shown: z.int().describe('Offer answers that carried it, and e-mails prepared with it'),
  clicked: z.int().describe('Times its link was followed through `links.open`'),
}

export const OfferTotalsSchema = z.object({
  from: z.string().describe('The first UTC day counted (YYYY-MM-DD)'),
  offers: z.array(
    z.object({
      offer: z.string(),
      ...CountsSchema,
      notThis: z
        .int()
        .describe(
          '"Not this" said to it, from the feedback kept now (erased shoppers\' no longer count)',
        ),
      days: z
        .array(z.object({ day: z.string(), ...CountsSchema, notThis: z.int() }))
        .describe('Per UTC day with something counted, oldest first'),
      touchpoints: z.array(z.object({ touchpoint: z.string(), ...CountsSchema })),
    }),
  ),
})

export const OfferOpenParamsSchema = z.object({ id: z.string().min(1).max(40) })
export const OfferOpenQuerySchema = z.object({
  touchpoint: z.string().min(1).max(64).describe('The touchpoint the offer was shown at'),
})

export const OfferWhyQuerySchema = z.object({
  subject: z.string().min(1).max(200).describe("The shop's customer reference"),
})
export const OfferWhySchema = z.object({
  offer: z.object({ id: z.string(), title: z.string(), purpose: z.string() }),
  eligible: z.boolean().describe('Whether an answer would show it to this shopper now'),
  sentence: z.string(),
  evidence: z.array(z.object({ id: z.string(), title: z.string() })),
  dataUsed: z.enum(DATA_LEVELS),
  dataReason: z.string(),
})
