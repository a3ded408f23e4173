export {
  RIGHTS_TYPES,
  RightsTypeSchema,
  RectificationSchema,
  type RightsType,
  type RightsRequest,
  type Rectification,
  type SubjectDataParticipant,
} from './rights.js'
export { createRightsService, type RightsService } from './rights.service.js'
export { rightsRoutes, type RightsRoutesDeps } from './rights.routes.js'
export { outboxDataParticipant } from './rights.participant.js'
export {
  createOutboxNotifier,
  newestFirst,
  type Notifier,
  type OutboxMessage,
  type VerificationMessage,
} from './rights.notifier.js'
export { MAX_CODE_ATTEMPTS, MAX_RESENDS_PER_HOUR, type CodeState } from './rights.verification.js'
export { dueDate, extendedDueDate, regimeFor, addMonths } from './rights.deadlines.js'
