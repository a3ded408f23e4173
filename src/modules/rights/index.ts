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
export { createOutboxNotifier, type Notifier, type VerificationMessage } from './rights.notifier.js'
export { dueDate, extendedDueDate, regimeFor, addMonths } from './rights.deadlines.js'
