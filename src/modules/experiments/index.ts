/**
 * Experiments (issue 21): staged experiments over what Candor controls, assignment by a keyed hash of
 * the pseudonymous subject or visit (`experiments.assign.ts`), an always-valid sequential test
 * (`experiments.sequential.ts`), guardrails that stop a rollout (`experiments.stats.ts`), and who may be
 * enrolled (`experiments.eligibility.ts`). The module's only public surface.
 */
export * from './experiments.js'
export {
  createExperimentsService,
  type ExperimentsService,
  type ExperimentsDeps,
  type RolloutAction,
} from './experiments.service.js'
export { experimentsRoutes, type ExperimentsRoutesDeps } from './experiments.routes.js'
export { experimentsDataParticipant } from './experiments.participant.js'
export { decideEligibility } from './experiments.eligibility.js'
