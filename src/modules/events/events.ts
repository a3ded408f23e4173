/**
 * Events: the shapes a shop sends, the shapes Candor keeps, and why an event can be refused.
 *
 * Event type names are the charter's (`view`, `cart`, `purchase`, `search`, `feedback`). The common
 * e-commerce names are accepted as aliases: `add_to_cart` is a `cart` event with a positive quantity
 * (default 1), `remove_from_cart` a `cart` event whose quantity is stored negated (a cart event's
 * quantity is the change to the basket).
 */
import { z } from 'zod'
import { EVENT_FIELDS, EVENT_TYPES, type EventType } from '../charter/index.js'
import { CustomerRefSchema } from '../identity/index.js'
import { SessionIdSchema } from '../session/index.js'

/** Aliases accepted on input, and the charter type each becomes. */
export const EVENT_TYPE_ALIASES = {
  add_to_cart: 'cart',
  remove_from_cart: 'cart',
} as const satisfies Record<string, EventType>

export const INPUT_EVENT_TYPES = [...EVENT_TYPES, ...Object.keys(EVENT_TYPE_ALIASES)] as [
  string,
  ...string[],
]

/** The most events one batch may carry. */
export const MAX_BATCH_EVENTS = 1000

/**
 * Why an event was not stored. Every event of a batch gets `stored`, `duplicate` or `refused` with one
 * of these; nothing is dropped without saying so.
 * - `malformed`: a field has the wrong shape (the answer names it), or neither/both of subject and session.
 * - `no_purpose`: the charter declares no purpose for this event type (for an anonymous visitor: no
 *   session-scoped purpose, i.e. one with `retentionDays: 0`).
 * - `no_consent`: no purpose that covers the type is allowed for this subject or session now.
 * - `undeclared_field`: the event carries a field that its type does not have in the charter's vocabulary
 *   (a misspelling, or personal data such as `email` sent by mistake); the answer names it.
 * - `personal_data`: a free-text field (a search query) looks like it holds an email address, a phone
 *   number or a card number.
 * - `expired`: by its timestamp, the event is already past the retention of every allowed purpose.
 */
export const REFUSAL_REASONS = [
  'malformed',
  'no_purpose',
  'no_consent',
  'undeclared_field',
  'personal_data',
  'expired',
  // The subject chose the `on_device` level: their history stays in their browser, none of it here.
  'on_device',
] as const
export type RefusalReason = (typeof REFUSAL_REASONS)[number]

/** Shop-chosen ids: event ids, items, recommendation ids. No `@` and no control characters. */
const Identifier = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[A-Za-z0-9][A-Za-z0-9 ._:/#+-]*$/, 'must be letters, digits and . _ : / # + - (no @)')

export const EventIdSchema = Identifier(128).meta({
  description: 'Unique per subject or session: retries reuse it',
  examples: ['evt-20260301-0001'],
})
export const SubjectRefSchema = CustomerRefSchema.meta({
  description: "The shop's own customer reference",
  examples: ['cust-1042'],
})
/** The fields of an incoming event, before minimization (the envelope is id, type, subject, session). */
export const IncomingEventSchema = z.looseObject({
  id: EventIdSchema,
  type: z.enum(INPUT_EVENT_TYPES).meta({ examples: ['view'] }),
  subject: SubjectRefSchema.optional(),
  session: SessionIdSchema.optional(),
  item: Identifier(64)
    .meta({ description: "The shop's item id", examples: ['85123A'] })
    .optional(),
  quantity: z
    .int()
    .min(-10_000)
    .max(10_000)
    .meta({ description: 'A cart event: the change to the basket', examples: [2] })
    .optional(),
  price: z
    .number()
    .min(0)
    .max(1e9)
    .meta({ description: 'Unit price', examples: [2.55] })
    .optional(),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as GBP')
    .meta({ examples: ['GBP'] })
    .optional(),
  query: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .meta({ description: 'A search event: what was searched for', examples: ['tea light holder'] })
    .optional(),
  placement: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, 'must be a lower-case identifier such as product_page')
    .meta({ examples: ['product_page'] })
    .optional(),
  recommId: Identifier(128)
    .meta({
      description: 'The `recommId` of the recommendations the shopper acted on',
      examples: ['rec_8c1f2a9b4e7d3c60'],
    })
    .optional(),
  kind: z
    .string()
    .regex(/^[a-z][a-z_]{0,31}$/, 'must be a lower-case word such as not_interested')
    .meta({ description: 'A feedback event: what kind', examples: ['not_interested'] })
    .optional(),
  rating: z
    .int()
    .min(1)
    .max(5)
    .meta({ examples: [4] })
    .optional(),
  timestamp: z.iso
    .datetime({ offset: true })
    .meta({ description: 'When it happened', examples: ['2026-03-01T10:15:00Z'] })
    .optional(),
})
export type IncomingEvent = z.infer<typeof IncomingEventSchema>

/** Keys that identify an event rather than describe it: never minimized away, never stored raw. */
export const ENVELOPE_KEYS = ['id', 'type', 'subject', 'session'] as const

/**
 * How the document shows one event of a batch: the batch itself checks only the `id`, and each event is
 * then checked against `IncomingEventSchema` on its own (a failing one is refused, its result naming the
 * field, without failing the batch), so the fields listed are that schema's.
 */
const INCOMING_EVENT_DOC = {
  description:
    'One event. `subject` for a known shopper or `session` for an anonymous visit; the fields each type ' +
    'may carry are those its charter purposes declare (others are refused as `undeclared_field`).',
  properties: z.toJSONSchema(IncomingEventSchema, { io: 'input', unrepresentable: 'any' })
    .properties,
  required: ['id', 'type'],
}

/** The batch body of `POST /v1/events`: each event is checked one by one, so only its id is required here. */
export const EventBatchSchema = z
  .strictObject({
    events: z
      .array(z.looseObject({ id: EventIdSchema }).meta(INCOMING_EVENT_DOC))
      .min(1)
      .max(MAX_BATCH_EVENTS),
    jurisdiction: z
      .string()
      .min(1)
      .max(16)
      .meta({
        description: 'Where the shopper is: a jurisdiction code of the charter',
        examples: ['UK'],
      })
      .optional(),
  })
  .meta({
    examples: [
      {
        events: [
          {
            id: 'evt-1',
            type: 'view',
            subject: 'cust-1042',
            item: '85123A',
            placement: 'product_page',
            timestamp: '2026-03-01T10:15:00Z',
          },
          {
            id: 'evt-2',
            type: 'add_to_cart',
            subject: 'cust-1042',
            item: '85123A',
            quantity: 2,
            price: 2.55,
            currency: 'GBP',
            timestamp: '2026-03-01T10:16:30Z',
          },
          {
            id: 'evt-3',
            type: 'purchase',
            subject: 'cust-1042',
            item: '85123A',
            quantity: 2,
            price: 2.55,
            currency: 'GBP',
            timestamp: '2026-03-01T10:21:05Z',
          },
          {
            id: 'evt-4',
            type: 'search',
            session: 'sess-7f3a9c2e51',
            query: 'tea light holder',
            timestamp: '2026-03-01T10:22:00Z',
          },
        ],
      },
    ],
  })

export type EventStatus = 'stored' | 'refused' | 'duplicate'

/** What the answer says about one event. */
export interface EventResult {
  id: string
  status: EventStatus
  reason?: RefusalReason
  /** The field a `malformed`, `undeclared_field` or `personal_data` refusal is about. */
  field?: string
  /** Fields the event carried that no allowed purpose declares: removed before storing. */
  dropped?: string[]
}

export const EventResultSchema = z.object({
  id: z.string(),
  status: z.enum(['stored', 'refused', 'duplicate']),
  reason: z.enum(REFUSAL_REASONS).optional(),
  field: z.string().optional(),
  dropped: z.array(z.string()).optional(),
})

export interface IngestCounts {
  stored: number
  duplicate: number
  refused: number
  /** Refusals by reason. */
  reasons: Partial<Record<RefusalReason, number>>
}

export interface IngestResult {
  results: EventResult[]
  counts: IngestCounts
}

/** The answer of `POST /v1/events`. */
export const IngestResultSchema = z
  .object({
    results: z.array(EventResultSchema),
    counts: z.object({
      stored: z.number().int(),
      duplicate: z.number().int(),
      refused: z.number().int(),
      reasons: z.record(z.string(), z.number().int()).meta({ description: 'Refusals by reason' }),
    }),
  })
  .meta({
    examples: [
      {
        results: [
          { id: 'evt-1', status: 'stored' },
          { id: 'evt-2', status: 'stored', dropped: ['currency'] },
          { id: 'evt-3', status: 'duplicate' },
          { id: 'evt-4', status: 'refused', reason: 'no_consent' },
        ],
        counts: { stored: 2, duplicate: 1, refused: 1, reasons: { no_consent: 1 } },
      },
    ],
  })

/** An event as stored: pseudonymous owner, minimized fields, the purposes it serves and its expiry. */
export interface StoredEvent {
  id: string
  type: EventType
  /** The subject id (`sub_...`) for a known shopper; undefined for an anonymous session's event. */
  subjectId?: string
  /** The session pseudonym (`ses_...`) for an anonymous visitor's event. */
  sessionKey?: string
  item?: string
  quantity?: number
  price?: number
  currency?: string
  query?: string
  placement?: string
  recommId?: string
  kind?: string
  rating?: number
  /** When it happened (when the charter lets a purpose keep the timestamp). */
  occurredAt?: string
  receivedAt: string
  purposes: string[]
  expiresAt: string
}

/** The charter's field vocabulary for one type (what a field may be called at all). */
export function knownFieldsOf(type: EventType): readonly string[] {
  return EVENT_FIELDS[type]
}

/**
 * What training reads of a subject's event that names an item (`readItemEventsForPurpose`): whose it is,
 * what, and when; nothing else of the row.
 */
export interface SubjectItemEvent {
  subjectId: string
  type: EventType
  item: string
  occurredAt?: string
  receivedAt: string
}
