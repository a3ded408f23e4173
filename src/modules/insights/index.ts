/**
 * Insights: differentially private statistics over stored events, for analysts and (through the
 * service's population restriction and partner budgets) the clean room. The module's only surface.
 */
export * from './insights.js'
export {
  createInsightsService,
  type InsightsService,
  type InsightsServiceDeps,
  type QueryContext,
  type Population,
  type BudgetKind,
} from './insights.service.js'
export { createBudgetLedger, type BudgetLedger, type BudgetPolicy } from './insights.budget.js'
export { insightsRoutes, type InsightsRoutesDeps } from './insights.routes.js'
