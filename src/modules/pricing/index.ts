/**
 * Guarded dynamic pricing (issue 24): suggestions per item from aggregate demand, stock and the
 * elasticity estimated from the shop's own sales, within the merchant's rules per category; staff
 * approve or reject them (or let a category apply them automatically); `GET /v1/prices` serves the
 * price in effect, the same for everyone.
 *
 * Never personal, by construction: this module may import lib, storage, audit and catalog only. It
 * may not import identity, consent, session, rights, settings, events or recommend (the
 * `pricing-never-personal` rule in `.dependency-cruiser.mjs`, checked by `npm run lint` and
 * `test/pricing-imports.test.ts`); demand arrives as per-item totals through `DemandSource`.
 */
export {
  PriceAnswerSchema,
  PricingRuleInputSchema,
  type PriceAnswer,
  type PriceSuggestion,
  type PricingRule,
  type PricingRuleInput,
} from './pricing.js'
export { createPricingService, type PricingService, type PricingDeps } from './pricing.service.js'
export { pricingRoutes } from './pricing.routes.js'
export type { DemandRow, DemandSource } from './pricing.inputs.js'
export { estimateElasticity, type PriceObservation } from './pricing.elasticity.js'
export { suggestPrice, type DemandDay } from './pricing.suggest.js'
export { guardPrice, allowedRange } from './pricing.rules.js'
