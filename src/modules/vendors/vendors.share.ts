import { hkdfSync } from 'node:crypto'
import { vendorEnvKey, type VendorDestination } from '../../config.vendors.js'
import { hmacSha256 } from '../../lib/crypto.js'
import { type Charter, type EventType, vendorFieldsOf } from '../charter/index.js'
import type { StoredEvent } from '../events/index.js'

/**
 * What goes to which vendor: pure functions, no I/O.
 *
 * An event is shared with a vendor when one of the purposes it was stored for (those the owner allowed
 * at ingest) is a purpose the charter gives the vendor, the vendor has a destination configured, and
 * the event type is one those purposes keep. It is minimized to the fields those purposes keep of that
 * type, narrowed by the vendor's own `fields`. The owner becomes a vendor-specific pseudonym: HMAC of
 * the owner's pseudonymous id under a key derived (HKDF) per vendor from the key file's pseudonym key,
 * so that two vendors cannot join their data, and none can compute Candor's own ids. The shop's event
 * id is never sent (two vendors could join on it); the delivery id is the idempotency id.
 */

/** HKDF label prefix of the per-vendor pseudonym keys. */
export const VENDOR_PSEUDONYM_LABEL = 'candor/vendors/pseudonym/v1/'

/** The pseudonym key of one vendor, from a pseudonym key secret of the key file. */
export function vendorPseudonymKey(pseudonymSecret: Uint8Array, vendor: string): Buffer {
  return Buffer.from(
    hkdfSync('sha256', pseudonymSecret, Buffer.alloc(0), `${VENDOR_PSEUDONYM_LABEL}${vendor}`, 32),
  )
}

/** The id a vendor knows an owner (subject id or session key) by: `vp_` and 32 hex digits. */
export function vendorPseudonym(key: Uint8Array, owner: string): string {
  return `vp_${hmacSha256(key, owner).subarray(0, 16).toString('hex')}`
}

/** A charter vendor with a destination: the only ones Candor sends anything to. */
export interface Destination extends VendorDestination {
  readonly vendor: string
}

/** The destinations of the charter's vendors; a destination for a vendor the charter lacks is an error. */
export function destinationsOf(
  charter: Charter,
  configured: Readonly<Record<string, VendorDestination>>,
): Destination[] {
  const byEnvKey = new Map(Object.keys(charter.vendors).map((k) => [vendorEnvKey(k), k]))
  return Object.entries(configured).map(([envKey, destination]) => {
    const vendor = byEnvKey.get(envKey)
    if (vendor === undefined) {
      throw new Error(
        `CANDOR_VENDOR_${envKey}_URL: the charter declares no vendor ${envKey.toLowerCase().replace(/_/g, '-')} (declared: ${[...byEnvKey.values()].join(', ') || 'none'})`,
      )
    }
    return { vendor, ...destination }
  })
}

/** One event's share for one vendor, before it is written to the outbox. */
export interface Share {
  vendor: string
  purposes: string[]
  fields: string[]
  data: Record<string, unknown>
}

/** The event's fields for a vendor under some of its purposes (empty: nothing to send). */
export function minimize(
  charter: Charter,
  vendor: string,
  type: EventType,
  purposes: readonly string[],
  values: Readonly<Record<string, unknown>>,
): { purposes: string[]; fields: string[]; data: Record<string, unknown> } | undefined {
  const declared = charter.vendors[vendor]
  if (declared === undefined) return undefined
  const shared = purposes.filter(
    (p) => declared.purposes.includes(p) && charter.purposes[p]?.events[type] !== undefined,
  )
  if (shared.length === 0) return undefined
  const fields = vendorFieldsOf(charter, declared, type, shared)
  const data: Record<string, unknown> = {}
  for (const field of fields) if (values[field] !== undefined) data[field] = values[field]
  return { purposes: shared, fields: Object.keys(data), data }
}

/** The stored event's field values by charter field name (`timestamp` is when it happened). */
export function eventValues(event: StoredEvent): Record<string, unknown> {
  return {
    item: event.item,
    quantity: event.quantity,
    price: event.price,
    currency: event.currency,
    query: event.query,
    placement: event.placement,
    recommId: event.recommId,
    kind: event.kind,
    rating: event.rating,
    timestamp: event.occurredAt,
  }
}

/** Every vendor share of a stored event, for the destinations configured. */
export function sharesOf(
  charter: Charter,
  destinations: readonly Destination[],
  event: StoredEvent,
): Share[] {
  const out: Share[] = []
  if (event.purposes.length === 0) return out
  let values: Record<string, unknown> | undefined
  for (const { vendor } of destinations) {
    values ??= eventValues(event)
    const share = minimize(charter, vendor, event.type, event.purposes, values)
    if (share !== undefined) out.push({ vendor, ...share })
  }
  return out
}

/**
 * What the outbox keeps of one stored event (migration 0040): the vendors it goes to, the purposes it
 * is shared under (with any of them) and its fields minimized to what those vendors may receive. The
 * vendor pseudonym and each vendor's own fields are worked out when the delivery job takes it.
 */
export interface OutboxEntry {
  type: EventType
  purposes: string[]
  vendors: string[]
  data: Record<string, unknown>
}

/** The outbox entry of a stored event (undefined: no configured vendor receives it). */
export function outboxEntryOf(
  charter: Charter,
  destinations: readonly Destination[],
  event: StoredEvent,
): OutboxEntry | undefined {
  const shares = sharesOf(charter, destinations, event)
  const [first] = shares
  if (first === undefined) return undefined
  if (shares.length === 1)
    return { type: event.type, purposes: first.purposes, vendors: [first.vendor], data: first.data }
  const purposes = new Set<string>()
  const data: Record<string, unknown> = {}
  for (const share of shares) {
    for (const purpose of share.purposes) purposes.add(purpose)
    Object.assign(data, share.data)
  }
  return { type: event.type, purposes: [...purposes], vendors: shares.map((s) => s.vendor), data }
}

/**
 * The shares of an outbox entry, one per vendor, minimized again to each vendor's own purposes and
 * fields (the same as at ingest, unless the charter changed since: then the narrower one).
 */
export function sharesOfEntry(charter: Charter, entry: OutboxEntry): Share[] {
  const out: Share[] = []
  for (const vendor of entry.vendors) {
    const share = minimize(charter, vendor, entry.type, entry.purposes, entry.data)
    if (share !== undefined) out.push({ vendor, ...share })
  }
  return out
}

/** The body of an event delivery, in the Standard Webhooks shape `{type, timestamp, data}`. */
export function deliveryBody(input: {
  type: EventType
  pseudonym: string
  purposes: readonly string[]
  data: Readonly<Record<string, unknown>>
  now: Date
}): string {
  return JSON.stringify({
    type: `event.${input.type}`,
    timestamp: input.now.toISOString(),
    data: { subject: input.pseudonym, purposes: input.purposes, ...input.data },
  })
}

/** The body of a deletion request: every pseudonym the vendor received for the subject. */
export function deletionBody(input: {
  pseudonyms: readonly string[]
  reason: 'erasure' | 'objection' | 'withdrawal'
  now: Date
}): string {
  return JSON.stringify({
    type: 'subject.deletion_requested',
    timestamp: input.now.toISOString(),
    data: { subjects: input.pseudonyms, reason: input.reason },
  })
}

/**
 * The wait before try `attempts + 1` after `attempts` failed ones: exponential (2 s, 4 s, 8 s ...,
 * at most an hour) with equal jitter (half fixed, half random), so that receivers coming back are not
 * hit by every sender at once. `random` in [0, 1).
 */
export function backoffMs(attempts: number, random: number): number {
  const ceiling = Math.min(3_600_000, 2_000 * 2 ** Math.max(0, attempts - 1))
  return Math.round(ceiling / 2 + (ceiling / 2) * random)
}
