/**
 * The events module owns the `events` and `import_checkpoints` tables and everything about a stored event:
 * whether it is kept, which fields, for which purposes, until when, and who may read it.
 *
 * - The rules of what is kept are all in `events.gate.ts`, a pure function (checked events, owners' consent
 *   contexts, the charter, now) -> (one result per event, rows to store); its properties are in
 *   `events.gate.test.ts`. `events.ingest.ts` reads what the gate needs, calls it and writes in one
 *   transaction; nothing there decides.
 * - How long events serve and stay: `events.retention.ts` (per-purpose retention, narrowing, the sweep).
 * - Readers for recommend, training and online quality: `events.readers.ts`; the order import:
 *   `events.import.ts` (checkpoints: `events.checkpoints.ts`). SQL only in `*.repository.ts` and checkpoints;
 *   each write to `events` is made with the storage's `write` (announcing its owners); the row mapping:
 *   `events.rows.ts`. The in-memory copies (item histories, session histories): `events.cache.ts`, behind
 *   the repository's interface.
 *
 * May import: lib, storage, audit, charter, consent (the decision, contexts), identity (pseudonyms),
 * session (a visit's key, opening it, its expiry). Other modules use this one only through this file.
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
export type { ItemDemandDay } from './events.demand.repository.js'
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
