/**
 * The event gate: every rule that decides whether an event is kept, which of its fields, for which
 * purposes and until when. Pure: no storage, no clock, no I/O. The service reads what the gate needs
 * (who the owners are, their consent contexts), calls it, and writes what it answers in one transaction.
 *
 * Per event, in order:
 *
 * 1. **Check** its shape (`checkEvents`): `malformed`, naming the field (also neither or both of subject
 *    and session, a missing item or query, a quantity out of place, a timestamp too far ahead).
 * 2. **Decide** the purposes (`gate`): none for a subject at the `on_device` level (`on_device`); else those
 *    the charter maps to its type (for an anonymous session, only session-scoped ones, `retentionDays: 0`),
 *    each asked of `allowedToCollect` for the owner (`no_purpose`, `no_consent`). A repeat is a `duplicate`.
 * 3. **Retain**: a subject's event serves each purpose only within that purpose's retention, counted
 *    from when it happened; an event no purpose is still within is `expired`.
 * 4. **Minimize**: a field outside the type's vocabulary refuses the event (`undeclared_field`); a known
 *    field that no allowed purpose declares is removed and listed in the answer's `dropped`; free text
 *    (the search query) is scanned for emails, phone and card numbers (`personal_data`).
 * 5. **Expire**: a subject's event is kept until its time plus the longest retention among its purposes;
 *    a session's until the session ends (24 hours after it started). One past its expiry is `expired`.
 *
 * Owners are pseudonyms: the subject id for a customer reference (a subject is created only when one of
 * its events is stored), the session module's `ses_...` key for a session id. An event already stored
 * under its `(owner, id)` answers `duplicate` (`withStored`, and the insert itself).
 */
import { z } from 'zod'
import { DAY_MS } from '../../lib/clock.js'
import {
  type Charter,
  type EventType,
  type PurposeKey,
  EVENT_FIELDS,
  eventFieldsFor,
  findPurpose,
  purposesForEvent,
  retentionDaysFor,
} from '../charter/index.js'
import { type ConsentQuery, allowedToCollect } from '../consent/index.js'
import { SESSION_TTL_MS, type SessionRow, isSessionOpen } from '../session/index.js'
import {
  ENVELOPE_KEYS,
  EVENT_TYPE_ALIASES,
  type EventResult,
  type IncomingEvent,
  IncomingEventSchema,
  type RefusalReason,
  type StoredEvent,
} from './events.js'
import { findPersonalData } from './events.pii.js'
import type {
  Candidate,
  CheckedBatch,
  GateOutput,
  GateReads,
  GatedRow,
  StoreLookup,
} from './events.gate.types.js'
import { retentionMsOf, usableSinceAll } from './events.retention.js'

/** Timestamps may run this far ahead of our clock (client clocks drift). */
const FUTURE_SKEW_MS = 5 * 60_000

const ENVELOPE = new Set<string>(ENVELOPE_KEYS)
const FIELD_KEYS: Record<EventType, ReadonlySet<string>> = Object.fromEntries(
  Object.entries(EVENT_FIELDS).map(([type, fields]) => [type, new Set<string>(fields)]),
) as unknown as Record<EventType, ReadonlySet<string>>

/** Fields each type cannot do without. */
const REQUIRED_FIELD: Partial<Record<EventType, keyof IncomingEvent>> = {
  view: 'item',
  cart: 'item',
  purchase: 'item',
  feedback: 'item',
  search: 'query',
}

/** What the allowed purposes keep of an event of one type, and for how long. */
interface Keeping {
  refusal?: undefined
  allowed: PurposeKey[]
  keep: ReadonlySet<string>
  retentionMs: number
}
/** What a batch does with one owner's events of one type: refuse them all, or keep them for purposes. */
type Plan = { refusal: 'no_purpose' | 'no_consent' | 'on_device' } | Keeping
const NO_PURPOSE: Plan = { refusal: 'no_purpose' }
const NO_CONSENT: Plan = { refusal: 'no_consent' }
const ON_DEVICE: Plan = { refusal: 'on_device' }

/** The charter's answers the gate looks up per event, worked out once per charter. */
export interface GatePolicy {
  charter: Charter
  /** Purposes the charter maps to each type, for a subject and for an anonymous session. */
  purposesFor(type: EventType, owner: 'subject' | 'session'): readonly PurposeKey[]
  /** What `allowed` purposes keep of a `type` event, and for how long (the same object each time). */
  keeping(type: EventType, allowed: PurposeKey[]): Keeping
}

/** The gate's view of a charter: per-type purposes and kept fields, computed once and remembered. */
export function createGatePolicy(charter: Charter): GatePolicy {
  const subjectPurposes = new Map<EventType, PurposeKey[]>()
  const sessionPurposes = new Map<EventType, PurposeKey[]>()
  for (const type of Object.keys(EVENT_FIELDS) as EventType[]) {
    const purposes = purposesForEvent(charter, type)
    subjectPurposes.set(type, purposes)
    sessionPurposes.set(
      type,
      purposes.filter((p) => findPurpose(charter, p)?.retentionDays === 0),
    )
  }
  const kept = new Map<string, Keeping>()
  return {
    charter,
    purposesFor: (type, owner) =>
      (owner === 'subject' ? subjectPurposes : sessionPurposes).get(type) ?? [],
    keeping(type, allowed) {
      const key = `${type}|${allowed.join(',')}`
      let keeping = kept.get(key)
      if (keeping === undefined) {
        keeping = {
          allowed,
          keep: new Set<string>(eventFieldsFor(charter, type, allowed)),
          retentionMs: retentionMsOf(retentionDaysFor(charter, allowed)),
        }
        kept.set(key, keeping)
      }
      return keeping
    },
  }
}

/**
 * The event schema compiled once into a generated fast path (zod's `compile`); an event it refuses is
 * parsed again by zod's runtime, so the field a refusal names is the same either way.
 */
const parseEvent = z.compile(IncomingEventSchema)

/** The refusal of an event whose `field` has the wrong shape. */
function malformed(raw: Record<string, unknown>, field: string): EventResult {
  return {
    id: typeof raw.id === 'string' ? raw.id : '',
    status: 'refused',
    reason: 'malformed',
    field,
  }
}

/** Step 1 for one event: a candidate, or the refusal that names the malformed field. */
function checkEvent(
  raw: Record<string, unknown>,
  index: number,
  nowMs: number,
): Candidate | EventResult {
  const parsed = parseEvent.safeParse(raw)
  if (!parsed.success) {
    const path = parsed.error.issues[0]?.path ?? []
    return malformed(raw, path.length === 0 ? 'event' : path.map(String).join('.'))
  }
  const event = parsed.data
  const alias = event.type as keyof typeof EVENT_TYPE_ALIASES
  const type: EventType = Object.hasOwn(EVENT_TYPE_ALIASES, alias)
    ? EVENT_TYPE_ALIASES[alias]
    : (event.type as EventType)
  if ((event.subject === undefined) === (event.session === undefined))
    return malformed(raw, 'subject')
  const required = REQUIRED_FIELD[type]
  if (required !== undefined && event[required] === undefined) return malformed(raw, required)

  let quantity = event.quantity
  if (event.type === 'add_to_cart' || event.type === 'remove_from_cart' || type === 'purchase') {
    if (quantity !== undefined && quantity <= 0) return malformed(raw, 'quantity')
    if (event.type === 'remove_from_cart') quantity = -(quantity ?? 1)
    else if (type === 'cart') quantity ??= 1
  } else if (type === 'cart' && quantity === 0) return malformed(raw, 'quantity')

  let occurredMs = nowMs
  if (event.timestamp !== undefined) {
    occurredMs = Date.parse(event.timestamp)
    if (occurredMs > nowMs + FUTURE_SKEW_MS) return malformed(raw, 'timestamp')
  }
  const provided: string[] = []
  for (const key of Object.keys(raw)) {
    if (!ENVELOPE.has(key) && raw[key] !== undefined) provided.push(key)
  }
  const owner: Candidate['owner'] =
    event.subject !== undefined
      ? { kind: 'subject', ref: event.subject }
      : { kind: 'session', sessionId: event.session! }
  return { index, event, type, owner, quantity, occurredMs, provided }
}

/** Step 1 for a batch: which events are malformed, and the candidates whose owners the service reads. */
export function checkEvents(
  rawEvents: readonly Record<string, unknown>[],
  now: Date,
): CheckedBatch {
  const nowMs = now.getTime()
  const results = new Array<EventResult>(rawEvents.length)
  const candidates: Candidate[] = []
  rawEvents.forEach((raw, index) => {
    const checked = checkEvent(raw, index, nowMs)
    if ('status' in checked) results[index] = checked
    else candidates.push(checked)
  })
  return { results, candidates }
}

/**
 * An ISO timestamp as `toISOString` writes it. One sent in exactly that form (and checked as an ISO
 * date-time by the schema) is kept as sent: formatting its parsed time gives the same text back.
 */
function isoOf(timestamp: string, ms: number): string {
  return timestamp.length === 24 && timestamp[19] === '.' && timestamp[23] === 'Z'
    ? timestamp
    : new Date(ms).toISOString()
}

/** One owner of a batch, with its consent asked once per purpose and its plans once per type. */
interface OwnerState {
  kind: 'subject' | 'session'
  /** The subject's reference (subjects only). */
  ref?: string
  /** Subject id or session pseudonym; undefined for a subject not known yet. */
  id: string | undefined
  /** The session row in force (sessions only; undefined when not open). */
  session?: SessionRow | undefined
  query: ConsentQuery
  allowed: Map<PurposeKey, boolean>
  plans: Map<EventType, Plan>
}

/** The per-batch lookups that repeat across events: owners, expiry dates, retention bounds. */
class Batch {
  readonly nowIso: string
  readonly newSessionExpiry: string
  private readonly owners = new Map<string, OwnerState>()
  private readonly expiryDates = new Map<number, Map<string, string>>()
  private readonly usableFrom: Map<PurposeKey, string>
  private readonly freshAfter = new Map<Keeping, string>()

  constructor(
    readonly reads: GateReads,
    readonly policy: GatePolicy,
    now: Date,
  ) {
    this.nowIso = now.toISOString()
    this.newSessionExpiry = new Date(now.getTime() + SESSION_TTL_MS).toISOString()
    this.usableFrom = usableSinceAll(policy.charter, now)
  }

  /** The owner of a candidate (`s:<ref>` or the session pseudonym tells owners apart in the batch). */
  ownerOf(c: Candidate): { tag: string; state: OwnerState } {
    const { reads } = this
    const tag =
      c.owner.kind === 'subject' ? `s:${c.owner.ref}` : reads.sessionKeys.get(c.owner.sessionId)!
    let state = this.owners.get(tag)
    if (state === undefined) {
      let id: string | undefined
      let session: SessionRow | undefined
      if (c.owner.kind === 'subject') id = reads.subjectIds.get(c.owner.ref)
      else {
        id = tag
        const row = reads.sessions.get(tag)
        session = row !== undefined && isSessionOpen(row, this.nowIso) ? row : undefined
      }
      const context = (id === undefined ? undefined : reads.contexts.get(id)) ?? reads.anonymous
      state = {
        kind: c.owner.kind,
        id,
        session,
        query: { ...context, purpose: '' },
        allowed: new Map(),
        plans: new Map(),
      }
      if (c.owner.kind === 'subject') state.ref = c.owner.ref
      this.owners.set(tag, state)
    }
    return { tag, state }
  }

  /** Step 2: the purposes the charter maps to the type, each decided by consent for the owner. */
  planFor(type: EventType, owner: OwnerState): Plan {
    let plan = owner.plans.get(type)
    if (plan !== undefined) return plan
    // `on_device`: the history stays in the browser; nothing is stored, whatever consent says.
    if (owner.query.level === 'on_device') return ON_DEVICE
    const purposes = this.policy.purposesFor(type, owner.kind)
    const allowed: PurposeKey[] = []
    for (const purpose of purposes) {
      let ok = owner.allowed.get(purpose)
      if (ok === undefined) {
        owner.query.purpose = purpose
        ok = allowedToCollect(owner.query, this.reads.declaredBasis)
        owner.allowed.set(purpose, ok)
      }
      if (ok) allowed.push(purpose)
    }
    plan =
      purposes.length === 0
        ? NO_PURPOSE
        : allowed.length === 0
          ? NO_CONSENT
          : this.policy.keeping(type, allowed)
    owner.plans.set(type, plan)
    return plan
  }

  /**
   * Step 3: the plan narrowed to the purposes whose retention an event that happened at `occurredAt`
   * is still within (undefined: none is). Per plan, the latest start of those retentions is kept: an
   * event after it is within every allowed purpose's.
   */
  withinRetention(type: EventType, plan: Keeping, occurredAt: string): Keeping | undefined {
    let since = this.freshAfter.get(plan)
    if (since === undefined) {
      since = plan.allowed.map((p) => this.usableFrom.get(p)!).reduce((a, b) => (a > b ? a : b))
      this.freshAfter.set(plan, since)
    }
    if (occurredAt > since) return plan
    const live = plan.allowed.filter((p) => occurredAt > this.usableFrom.get(p)!)
    if (live.length === 0) return undefined
    return live.length < plan.allowed.length ? this.policy.keeping(type, live) : plan
  }

  /**
   * Step 5: `occurredAt` plus the retention, as `toISOString` writes it. For whole days only the date
   * moves (UTC has no shifts), so the new date is worked out once per date and retention.
   */
  expiryOf(occurredAt: string, retentionMs: number): string {
    if (retentionMs % DAY_MS !== 0)
      return new Date(Date.parse(occurredAt) + retentionMs).toISOString()
    let moved = this.expiryDates.get(retentionMs)
    if (moved === undefined) this.expiryDates.set(retentionMs, (moved = new Map<string, string>()))
    const date = occurredAt.slice(0, 10)
    let expiryDate = moved.get(date)
    if (expiryDate === undefined) {
      expiryDate = new Date(Date.parse(date) + retentionMs).toISOString().slice(0, 10)
      moved.set(date, expiryDate)
    }
    return expiryDate + occurredAt.slice(10)
  }
}

function refusal(c: Candidate, reason: RefusalReason, field?: string): EventResult {
  return field === undefined
    ? { id: c.event.id, status: 'refused', reason }
    : { id: c.event.id, status: 'refused', reason, field }
}

/**
 * Step 4: the field sent outside the type's vocabulary (refuses the event), or the known fields the
 * allowed purposes do not keep (dropped from it).
 */
function minimize(
  c: Candidate,
  keep: ReadonlySet<string>,
): { unknown: string } | { unknown?: undefined; dropped: string[] | undefined } {
  const vocabulary = FIELD_KEYS[c.type]
  let dropped: string[] | undefined
  for (const field of c.provided) {
    if (!vocabulary.has(field)) return { unknown: field }
    if (!keep.has(field)) (dropped ??= []).push(field)
  }
  return { dropped }
}

/** The event as stored: the envelope, and only the fields `keep` names. */
function keptEvent(
  c: Candidate,
  plan: Keeping,
  owner: OwnerState,
  occurredAt: string,
  expiresAt: string,
  nowIso: string,
): StoredEvent {
  const e = c.event
  const { keep } = plan
  const stored: StoredEvent = {
    id: e.id,
    type: c.type,
    receivedAt: nowIso,
    purposes: plan.allowed,
    expiresAt,
  }
  if (owner.kind === 'session') stored.sessionKey = owner.id!
  else if (owner.id !== undefined) stored.subjectId = owner.id
  if (keep.has('item') && e.item !== undefined) stored.item = e.item
  if (keep.has('quantity') && c.quantity !== undefined) stored.quantity = c.quantity
  if (keep.has('price') && e.price !== undefined) stored.price = e.price
  if (keep.has('currency') && e.currency !== undefined) stored.currency = e.currency
  if (keep.has('query') && e.query !== undefined) stored.query = e.query
  if (keep.has('placement') && e.placement !== undefined) stored.placement = e.placement
  if (keep.has('recommId') && e.recommId !== undefined) stored.recommId = e.recommId
  if (keep.has('kind') && e.kind !== undefined) stored.kind = e.kind
  if (keep.has('rating') && e.rating !== undefined) stored.rating = e.rating
  if (keep.has('timestamp')) stored.occurredAt = occurredAt
  return stored
}

/** Steps 2 to 5 for one candidate: its result, and the event to store when it is kept. */
function judge(
  c: Candidate,
  owner: OwnerState,
  batch: Batch,
): { result: EventResult; event?: StoredEvent } {
  const planned = batch.planFor(c.type, owner)
  if (planned.refusal !== undefined) return { result: refusal(c, planned.refusal) }
  const e = c.event
  const occurredAt = e.timestamp === undefined ? batch.nowIso : isoOf(e.timestamp, c.occurredMs)
  const plan =
    owner.kind === 'subject' ? batch.withinRetention(c.type, planned, occurredAt) : planned
  if (plan === undefined) return { result: refusal(c, 'expired') }
  const minimized = minimize(c, plan.keep)
  if (minimized.unknown !== undefined)
    return { result: refusal(c, 'undeclared_field', minimized.unknown) }
  if (plan.keep.has('query') && e.query !== undefined && findPersonalData(e.query) !== undefined)
    return { result: refusal(c, 'personal_data', 'query') }
  const expiresAt =
    owner.kind === 'session'
      ? (owner.session?.expiresAt ?? batch.newSessionExpiry)
      : batch.expiryOf(occurredAt, plan.retentionMs)
  if (expiresAt <= batch.nowIso) return { result: refusal(c, 'expired') }
  const { dropped } = minimized
  return {
    result:
      dropped === undefined
        ? { id: e.id, status: 'stored' }
        : { id: e.id, status: 'stored', dropped },
    event: keptEvent(c, plan, owner, occurredAt, expiresAt, batch.nowIso),
  }
}

/**
 * Steps 2 to 5 for a checked batch: one result per input event and the rows to store. Pure: the same
 * batch, reads, policy and `now` give the same answer.
 *
 * @example
 *   const batch = checkEvents(raw, now)
 *   const out = gate(batch, await readsFor(batch), policy, now)   // then withStored, then write out.rows
 */
export function gate(
  checked: CheckedBatch,
  reads: GateReads,
  policy: GatePolicy,
  now: Date,
): GateOutput {
  const results = checked.results.slice()
  const rows: GatedRow[] = []
  const lookups: StoreLookup[] = []
  const batch = new Batch(reads, policy, now)
  const seen = new Set<string>()
  for (const c of checked.candidates) {
    const { tag, state } = batch.ownerOf(c)
    const key = `${tag}\u0000${c.event.id}`
    if (seen.has(key)) {
      results[c.index] = { id: c.event.id, status: 'duplicate' }
      continue
    }
    seen.add(key)
    const { result, event } = judge(c, state, batch)
    results[c.index] = result
    if (event !== undefined) {
      rows.push(
        state.id === undefined
          ? { index: c.index, ref: state.ref!, event }
          : { index: c.index, event },
      )
    } else if (state.id !== undefined) {
      lookups.push({ index: c.index, owner: state.id, eventId: c.event.id })
    }
  }
  // A subject's row bound for the store needs no lookup: its insert skips it and says so. A session's
  // does: its session may be purged and started afresh before the insert.
  for (const row of rows) {
    if (row.event.sessionKey !== undefined)
      lookups.push({ index: row.index, owner: row.event.sessionKey, eventId: row.event.id })
  }
  return { results, rows, lookups }
}

/** The `owner\u0000id` key of a stored event, as `withStored` is given them. */
export function storedKey(owner: string, eventId: string): string {
  return `${owner}\u0000${eventId}`
}

/**
 * The gate's answer once the store was asked about its lookups: an event already stored (a retried
 * one) answers `duplicate` whatever the gate says now, and is not stored again.
 */
export function withStored(out: GateOutput, stored: ReadonlySet<string>): GateOutput {
  if (out.lookups.length === 0 || stored.size === 0) return out
  const results = out.results.slice()
  const again = new Set<number>()
  for (const { index, owner, eventId } of out.lookups) {
    if (!stored.has(storedKey(owner, eventId))) continue
    results[index] = { id: eventId, status: 'duplicate' }
    again.add(index)
  }
  return { results, rows: out.rows.filter((r) => !again.has(r.index)), lookups: out.lookups }
}
