/** The shapes the event gate (`events.gate.ts`) takes and answers; its rules are all in that file. */
import type { EventType, LegalBasis } from '../charter/index.js'
import type { ConsentContext } from '../consent/index.js'
import type { SessionRow } from '../session/index.js'
import type { EventResult, IncomingEvent, StoredEvent } from './events.js'

/** An event that passed the check, with what the gate reads of it. */
export interface Candidate {
  /** Its place in the batch. */
  index: number
  event: IncomingEvent
  type: EventType
  owner: { kind: 'subject'; ref: string } | { kind: 'session'; sessionId: string }
  /** The quantity as kept: `remove_from_cart` negated, `add_to_cart` 1 by default. */
  quantity: number | undefined
  /** When it happened (its timestamp, or now), in epoch milliseconds. */
  occurredMs: number
  /** The fields sent besides the envelope. */
  provided: string[]
}

/** A batch after the check: a result for each malformed event, a candidate for each other one. */
export interface CheckedBatch {
  /** One entry per input event; only the malformed ones are filled in so far. */
  results: EventResult[]
  candidates: Candidate[]
}

/** What the gate needs to know of the world, read by the service before it runs. */
export interface GateReads {
  /** Subject ids of the customer references already known (a new one becomes a subject when stored). */
  subjectIds: ReadonlyMap<string, string>
  /** The pseudonym of every session id in the batch (the session module's `keyOf`). */
  sessionKeys: ReadonlyMap<string, string>
  /** The stored sessions, by pseudonym (expired ones may be among them). */
  sessions: ReadonlyMap<string, SessionRow>
  /** Consent contexts by owner (subject id, or the pseudonym of an open session). */
  contexts: ReadonlyMap<string, ConsentContext>
  /** The context of an owner without records (a new subject, a visit not open). */
  anonymous: ConsentContext
  /** An import's declared lawful basis (see `allowedToCollect`). */
  declaredBasis?: LegalBasis | undefined
}

/** A row to store: the event as kept, and the customer reference when its subject is not known yet. */
export interface GatedRow {
  index: number
  /** Set when the subject does not exist yet: the writer creates it and sets `event.subjectId`. */
  ref?: string
  event: StoredEvent
}

/** An `(owner, event id)` whose answer is `duplicate` if the store already holds it. */
export interface StoreLookup {
  index: number
  owner: string
  eventId: string
}

export interface GateOutput {
  /** One result per input event, in input order. */
  results: EventResult[]
  /** What to store, in input order: only events whose result is `stored`. */
  rows: GatedRow[]
  /** Refused events of known owners, and session rows: answered `duplicate` if already stored. */
  lookups: StoreLookup[]
}
