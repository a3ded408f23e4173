/**
 * An event's row in the `events` table: its columns, and the conversions between a row and a
 * `StoredEvent` (the repository's statements bind `rowValues` in `COLUMNS` order).
 */
import type { EventType } from '../charter/index.js'
import { SESSION_PREFIX } from '../session/index.js'
import type { StoredEvent } from './events.js'

export type EventRow = {
  owner: string
  event_id: string
  type: string
  item: string | null
  quantity: number | null
  price: number | null
  currency: string | null
  search_query: string | null
  placement: string | null
  recomm_id: string | null
  kind: string | null
  rating: number | null
  occurred_at: string | null
  received_at: string
  purposes: string
  expires_at: string
  /** `expiryBucket(expires_at, received_at)`: the PostgreSQL partition key (migration 0022). */
  expiry_bucket: string | null
}

// Purposes are stored as `,a,b,` so that one purpose can be matched with LIKE '%,a,%'.
function encodePurposes(purposes: readonly string[]): string {
  return `,${purposes.join(',')},`
}
export function decodePurposes(value: string): string[] {
  return value.split(',').filter((p) => p !== '')
}

// The stored columns, in the order `rowValues` gives them.
export const COLUMNS = [
  'owner',
  'event_id',
  'type',
  'item',
  'quantity',
  'price',
  'currency',
  'search_query',
  'placement',
  'recomm_id',
  'kind',
  'rating',
  'occurred_at',
  'received_at',
  'purposes',
  'expires_at',
  'expiry_bucket',
] as const satisfies readonly (keyof EventRow)[]

/**
 * How many months after the month it was received an event may expire and still have its expiry
 * month's partition (PostgreSQL, migration 0022): 14 covers the 395-day retentions from any day of
 * a month. Events kept longer share `LONG_BUCKET`.
 */
export const BUCKET_MONTHS = 14

/** The bucket of events kept longer than `BUCKET_MONTHS` (sorts after every `YYYY-MM`). */
export const LONG_BUCKET = '9999'

/**
 * The partition an event goes to on PostgreSQL: the month it expires in (`2027-01`), or `LONG_BUCKET`
 * when that is more than `BUCKET_MONTHS` after the month it was received. A month's partition then
 * holds only events that expire in that month, and goes as a whole once the month has ended; the
 * partitions stay few whatever the charter's longest retention (docs/scale.md).
 */
export function expiryBucket(expiresAt: string, receivedAt: string): string {
  const monthIndex = (iso: string) => Number(iso.slice(0, 4)) * 12 + Number(iso.slice(5, 7))
  return monthIndex(expiresAt) - monthIndex(receivedAt) <= BUCKET_MONTHS
    ? expiresAt.slice(0, 7)
    : LONG_BUCKET
}

/** An event's row as bound parameters, in `COLUMNS` order (no row object on the ingest path). */
export function rowValues(event: StoredEvent): (string | number | null)[] {
  return [
    event.subjectId ?? event.sessionKey ?? '',
    event.id,
    event.type,
    event.item ?? null,
    event.quantity ?? null,
    event.price ?? null,
    event.currency ?? null,
    event.query ?? null,
    event.placement ?? null,
    event.recommId ?? null,
    event.kind ?? null,
    event.rating ?? null,
    event.occurredAt ?? null,
    event.receivedAt,
    encodePurposes(event.purposes),
    event.expiresAt,
    expiryBucket(event.expiresAt, event.receivedAt),
  ]
}

export function fromRow(row: EventRow): StoredEvent {
  const event: StoredEvent = {
    id: row.event_id,
    type: row.type as EventType,
    receivedAt: row.received_at,
    purposes: decodePurposes(row.purposes),
    expiresAt: row.expires_at,
  }
  if (row.owner.startsWith(SESSION_PREFIX)) event.sessionKey = row.owner
  else event.subjectId = row.owner
  if (row.item !== null) event.item = row.item
  if (row.quantity !== null) event.quantity = Number(row.quantity)
  if (row.price !== null) event.price = Number(row.price)
  if (row.currency !== null) event.currency = row.currency
  if (row.search_query !== null) event.query = row.search_query
  if (row.placement !== null) event.placement = row.placement
  if (row.recomm_id !== null) event.recommId = row.recomm_id
  if (row.kind !== null) event.kind = row.kind
  if (row.rating !== null) event.rating = Number(row.rating)
  if (row.occurred_at !== null) event.occurredAt = row.occurred_at
  return event
}
