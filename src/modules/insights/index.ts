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
export {
  createCleanroomService,
  type CleanroomService,
  CLEANROOM_QUERIES,
  MAX_UPLOAD_VALUES,
} from './cleanroom.service.js'
export { cleanroomRoutes, type CleanroomRoutesDeps } from './cleanroom.routes.js'
export { cleanroomDataParticipant } from './cleanroom.participant.js'
export {
  normalizeAddress,
  blindAddress,
  reblind,
  partnerScalar,
  shuffle,
  BLINDED_HEX,
} from './cleanroom.psi.js'
/** The partner's side (the `candor cleanroom` commands): no database, no shop key file. */
export * as partnerSide from './cleanroom.partner.js'
