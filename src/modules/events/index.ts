/**
 * The event pipeline: the privacy gate (validate, decide purposes with consent, minimize, scan free text,
 * pseudonymize, store with an expiry), readers for recommend, and the order import.
 */
export {
  EVENT_TYPE_ALIASES,
  INPUT_EVENT_TYPES,
  MAX_BATCH_EVENTS,
  REFUSAL_REASONS,
  EventBatchSchema,
  EventResultSchema,
  IncomingEventSchema,
  type EventResult,
  type EventStatus,
  type IncomingEvent,
  type IngestCounts,
  type IngestResult,
  type RefusalReason,
  type StoredEvent,
  type SubjectItemEvent,
} from './events.js'
export { findPersonalData, type PiiKind } from './events.pii.js'
export {
  createEventsService,
  type EventsService,
  type EventsDeps,
  type IngestOptions,
} from './events.service.js'
export {
  importBases,
  importOrders,
  parseCsvLine,
  parseOrderDate,
  ORDER_COLUMNS,
  type ImportOrdersOptions,
  type ImportReason,
  type ImportSummary,
} from './events.import.js'
export { eventsRoutes } from './events.routes.js'
export { eventsDataParticipant } from './events.participant.js'
