/**
 * Guarded dynamic pricing (issue 24): a price per item that follows aggregate demand and stock within
 * the merchant's rules, and can be shown never to depend on a shopper. Nothing here names a subject,
 * a session or a consent: the inputs are counts over every shopper together, the catalog and the rules.
 */
import { z } from 'zod'

const IsoTime = z.iso.datetime({ offset: true })

/** A period in which no price of the category changes (a sale the shop promised, Christmas). */
export const ProtectedPeriodSchema = z.strictObject({
  from: IsoTime,
  until: IsoTime,
  reason: z.string().trim().min(1).max(200),
})

/** The merchant's rules for one top-level category. */
export const PricingRuleInputSchema = z.strictObject({
  /** Lowest price, as a fraction of the item's list price (the catalog price): 0.8 = 20% below it. */
  floor: z.number().min(0.05).max(1),
  /** Highest price, as a fraction of the list price: 1.25 = 25% above it. */
  ceiling: z.number().min(1).max(10),
  /** The largest total change in one UTC day, as a fraction of the price at the start of that day. */
  maxDailyChange: z.number().min(0.001).max(0.5),
  protectedPeriods: z.array(ProtectedPeriodSchema).max(50).default([]),
  /** `manual`: staff approve each suggestion; `automatic`: suggestions within the bounds apply. */
  mode: z.enum(['manual', 'automatic']).default('manual'),
})
export type PricingRuleInput = z.input<typeof PricingRuleInputSchema>
export type PricingRuleBody = z.output<typeof PricingRuleInputSchema>

export const CategoryNameSchema = z.string().trim().min(1).max(100)

export const PricingRuleSchema = PricingRuleInputSchema.extend({
  category: z.string(),
  updatedAt: z.string(),
})
export type PricingRule = z.infer<typeof PricingRuleSchema>
export const PricingRuleListSchema = z.object({ rules: z.array(PricingRuleSchema) })

/** How buyers react to price, estimated from the shop's own sales (`pricing.elasticity.ts`). */
export const ElasticitySchema = z.object({
  /** d ln(units) / d ln(price): -2 means 1% dearer sells about 2% fewer. */
  value: z.number(),
  standardError: z.number(),
  /** 95% interval. */
  low: z.number(),
  high: z.number(),
  /** `item`: from this item's own price changes; `category`: pooled over the category's items. */
  scope: z.enum(['item', 'category']),
  observations: z.number().int(),
  method: z.string(),
})
export type Elasticity = z.infer<typeof ElasticitySchema>

export const DemandEvidenceSchema = z.object({
  /** Units bought in the last 7 days, and per 7 days over the 28 days before them. */
  recentUnits: z.number(),
  baselineUnits: z.number(),
  /** Relative change of units bought (0.4 = up 40%). */
  change: z.number(),
  recentViews: z.number(),
  baselineViews: z.number(),
  stock: z.number().int().optional(),
  /** Days the stock lasts at the last 7 days' pace. */
  coverDays: z.number().optional(),
})
export type DemandEvidence = z.infer<typeof DemandEvidenceSchema>

export const SUGGESTION_STATUSES = [
  'pending',
  'approved',
  'applied',
  'rejected',
  'superseded',
] as const
export type SuggestionStatus = (typeof SUGGESTION_STATUSES)[number]

export const PriceSuggestionSchema = z.object({
  id: z.string(),
  item: z.string(),
  category: z.string(),
  currentPrice: z.number(),
  suggestedPrice: z.number(),
  listPrice: z.number(),
  currency: z.string().optional(),
  /** Plain language: "demand up 40% in 7 days, 12 left in stock; raised 5% (today's limit)". */
  explanation: z.string(),
  demand: DemandEvidenceSchema,
  elasticity: ElasticitySchema,
  /** The rule that bound the price, if one did. */
  limitedBy: z.enum(['floor', 'ceiling', 'daily_change']).optional(),
  status: z.enum(SUGGESTION_STATUSES),
  createdAt: z.string(),
  decidedAt: z.string().optional(),
  decidedBy: z.string().optional(),
})
export type PriceSuggestion = z.infer<typeof PriceSuggestionSchema>

/** An item the run left alone, and why (too little data, protected period, steady demand ...). */
export const SkippedItemSchema = z.object({ item: z.string(), reason: z.string() })
export type SkippedItem = z.infer<typeof SkippedItemSchema>

export const SuggestionRunSchema = z.object({
  suggestions: z.array(PriceSuggestionSchema),
  skipped: z.array(SkippedItemSchema),
})
export const SuggestionListSchema = z.object({ suggestions: z.array(PriceSuggestionSchema) })
export const SuggestionQuerySchema = z.strictObject({
  status: z.enum(SUGGESTION_STATUSES).optional(),
})
export const DecisionSchema = z.strictObject({ decision: z.enum(['approve', 'reject']) })

/**
 * The price query: an item and nothing else. Strict, so a `subject` or `session` is refused (400)
 * rather than ignored: nothing about the asker can reach a price.
 */
export const PriceQuerySchema = z.strictObject({
  item: z.string().min(1).max(64),
})

export const PriceAnswerSchema = z.object({
  item: z.string(),
  price: z.number(),
  currency: z.string().optional(),
  listPrice: z.number(),
  /** `list`: the catalog price; `approved`/`automatic`: set by pricing at `setAt`. */
  source: z.enum(['list', 'approved', 'automatic']),
  setAt: z.string().optional(),
})
export type PriceAnswer = z.infer<typeof PriceAnswerSchema>
