/** Federated learning with local differential privacy (issue 22 part B): the module's public surface. */
export { createFederatedService, type FederatedService } from './federated.service.js'
export { federatedRoutes, type FederatedRoutesDeps } from './federated.routes.js'
export type { PairEstimates } from './aggregate.js'
export { federatedDataParticipant } from './federated.participant.js'
