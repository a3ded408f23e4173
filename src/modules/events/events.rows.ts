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
] as const satisfies readonly (keyof EventRow)[]

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
