import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { withExample } from '../../http/openapi.js'
import { actorOf } from '../audit/index.js'
import {
  CategoryNameSchema,
  DecisionSchema,
  type PriceSuggestion,
  PriceAnswerSchema,
  PriceQuerySchema,
  PriceSuggestionSchema,
  type PricingRuleInput,
  PricingRuleInputSchema,
  PricingRuleListSchema,
  PricingRuleSchema,
  SuggestionListSchema,
  SuggestionQuerySchema,
  SuggestionRunSchema,
} from './pricing.js'
import type { PricingService } from './pricing.service.js'

const RULE_EXAMPLE: PricingRuleInput = {
  floor: 0.8,
  ceiling: 1.25,
  maxDailyChange: 0.05,
  protectedPeriods: [
    { from: '2026-11-27T00:00:00Z', until: '2026-12-01T00:00:00Z', reason: 'Black Friday promise' },
  ],
  mode: 'manual',
}
const SUGGESTION_EXAMPLE: PriceSuggestion = {
  id: 'psg_4k2j9x0c1v8b7n6m5l4k',
  item: '85123A',
  category: 'Home and decor',
  currentPrice: 2.95,
  suggestedPrice: 3.09,
  listPrice: 2.95,
  currency: 'GBP',
  explanation:
    'demand up 40% in 7 days (140 units vs 100 a week before), 12 left in stock (0.6 days at this pace); elasticity -1.8 (95% interval -2.6 to -1, this item); +4.7% to 3.09 (daily change limit)',
  demand: {
    recentUnits: 140,
    baselineUnits: 100,
    change: 0.4,
    recentViews: 900,
    baselineViews: 700,
    stock: 12,
    coverDays: 0.6,
  },
  elasticity: {
    value: -1.8,
    standardError: 0.4,
    low: -2.6,
    high: -1,
    scope: 'item',
    observations: 30,
    method: 'OLS of ln(units) on ln(price), this item, weekly',
  },
  limitedBy: 'daily_change',
  status: 'pending',
  createdAt: '2026-03-02T09:00:00.000Z',
}

const STAFF = { roles: ['admin'] as const }
const READERS = { roles: ['analyst', 'admin'] as const }

type App = Parameters<FastifyPluginAsyncZod>[0]

/** Pricing: staff set rules and decide suggestions; anyone the shop lets in reads a price. */
export const pricingRoutes: FastifyPluginAsyncZod<{
  services: { pricing: PricingService }
}> = async (app, { services }) => {
  ruleRoutes(app, services.pricing)
  suggestionRoutes(app, services.pricing)
  priceRoute(app, services.pricing)
}

/** `PUT /v1/pricing/rules/:category`, `GET /v1/pricing/rules`. */
function ruleRoutes(app: App, pricing: PricingService): void {
  app.put(
    '/v1/pricing/rules/:category',
    {
      config: { access: STAFF },
      schema: {
        tags: ['pricing'],
        summary:
          "Set a top-level category's pricing rules: floor and ceiling (fractions of the list price), largest change a day, protected periods, manual or automatic",
        params: z.object({ category: CategoryNameSchema }),
        body: withExample(PricingRuleInputSchema, RULE_EXAMPLE),
        response: {
          200: withExample(PricingRuleSchema, {
            ...RULE_EXAMPLE,
            protectedPeriods: RULE_EXAMPLE.protectedPeriods ?? [],
            mode: 'manual',
            category: 'Home and decor',
            updatedAt: '2026-03-02T09:00:00.000Z',
          }),
        },
      },
    },
    async (request) => pricing.setRule(request.params.category, request.body, actorOf(request)),
  )

  app.get(
    '/v1/pricing/rules',
    {
      config: { access: READERS },
      schema: {
        tags: ['pricing'],
        summary: 'Every category with pricing rules',
        response: {
          200: withExample(PricingRuleListSchema, {
            rules: [
              {
                ...RULE_EXAMPLE,
                protectedPeriods: RULE_EXAMPLE.protectedPeriods ?? [],
                mode: 'manual',
                category: 'Home and decor',
                updatedAt: '2026-03-02T09:00:00.000Z',
              },
            ],
          }),
        },
      },
    },
    async () => ({ rules: await pricing.listRules() }),
  )
}

/** Runs, the suggestions and staff decisions. */
function suggestionRoutes(app: App, pricing: PricingService): void {
  app.post(
    '/v1/pricing/runs',
    {
      config: { access: STAFF },
      schema: {
        tags: ['pricing'],
        summary:
          'Suggest prices now from aggregate demand, stock and elasticity within the rules (automatic categories apply at once); the answer lists the suggestions and, for every other item under a rule, why it has none',
        response: {
          200: withExample(SuggestionRunSchema, {
            suggestions: [SUGGESTION_EXAMPLE],
            skipped: [
              {
                item: '22423',
                reason:
                  'too few sales in the weeks before to see a trend (3 units in 28 days, 8 needed)',
              },
            ],
          }),
        },
      },
    },
    async (request) => pricing.run(actorOf(request)),
  )

  app.get(
    '/v1/pricing/suggestions',
    {
      config: { access: READERS },
      schema: {
        tags: ['pricing'],
        summary: 'Price suggestions, newest first (by status)',
        querystring: SuggestionQuerySchema,
        response: { 200: withExample(SuggestionListSchema, { suggestions: [SUGGESTION_EXAMPLE] }) },
      },
    },
    async (request) => ({ suggestions: await pricing.listSuggestions(request.query.status) }),
  )

  app.post(
    '/v1/pricing/suggestions/:id/decision',
    {
      config: { access: STAFF },
      schema: {
        tags: ['pricing'],
        summary:
          "Approve (the price is set, if still within today's bounds) or reject a pending suggestion; an audit entry with its explanation either way",
        params: z.object({ id: z.string().min(1).max(64) }),
        body: withExample(DecisionSchema, { decision: 'approve' }),
        response: {
          200: withExample(PriceSuggestionSchema, {
            ...SUGGESTION_EXAMPLE,
            status: 'approved',
            decidedAt: '2026-03-02T09:05:00.000Z',
            decidedBy: 'key:key_4k2j9x0c1v',
          }),
        },
      },
    },
    async (request) => pricing.decide(request.params.id, request.body.decision, actorOf(request)),
  )
}

/** `GET /v1/prices`: the same answer for every asker. */
function priceRoute(app: App, pricing: PricingService): void {
  app.get(
    '/v1/prices',
    {
      // A storefront's publishable key or a shopper's token: both get the same answer.
      config: { access: { roles: ['storefront', 'admin'], shopper: true } },
      schema: {
        tags: ['pricing'],
        summary:
          'The price in effect for an item: the same for every shopper at the same moment (the query takes an item only; a subject or session is refused)',
        querystring: PriceQuerySchema,
        response: {
          200: withExample(PriceAnswerSchema, {
            item: '85123A',
            price: 3.09,
            currency: 'GBP',
            listPrice: 2.95,
            source: 'approved',
            setAt: '2026-03-02T09:05:00.000Z',
          }),
        },
      },
    },
    async (request) => pricing.currentPrice(request.query.item),
  )
}
