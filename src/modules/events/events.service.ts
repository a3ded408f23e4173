import { z } from 'zod'
import { DAY_MS, type Clock } from '../../lib/clock.js'
import { type ChangeFeed, createOwnerCache } from '../../storage/changes.js'
import type { Db } from '../../storage/db.js'
import type { Actor, AuditLog } from '../audit/index.js'
import {
  type Charter,
  type EventType,
  type LegalBasis,
  type PurposeKey,
  EVENT_FIELDS,
  eventFieldsFor,
  findPurpose,
  purposesForEvent,
  retentionDaysFor,
} from '../charter/index.js'
import { type ConsentQuery, allowedUnderDeclaredBasis, decideConsent } from '../consent/index.js'
import type { ConsentService, RequestSignals } from '../consent/index.js'
import type { IdentityService } from '../identity/index.js'
import { SESSION_TTL_MS, type SessionRow, type SessionService } from '../session/index.js'
import {
  ENVELOPE_KEYS,
  EVENT_TYPE_ALIASES,
  type EventResult,
  type IncomingEvent,
  IncomingEventSchema,
  type IngestCounts,
  type IngestResult,
  type RefusalReason,
  type StoredEvent,
  type SubjectItemEvent,
} from './events.js'
import { findPersonalData } from './events.pii.js'
import { type EventKey, type ItemEvent, createEventsRepository } from './events.repository.js'
import {
  createEventsRetention,
  retentionMsOf,
  usableSince,
  usableSinceAll,
} from './events.retention.js'

export interface EventsDeps {
  db: Db
  changes: ChangeFeed
  clock: Clock
  charter: Charter
  audit: AuditLog
  /** The session module: a visit's pseudonym, its row, opening it, and its expiry. */
  sessions: Pick<SessionService, 'keyOf' | 'find' | 'open' | 'deleteExpired'>
  identity: Pick<IdentityService, 'findSubjectIds' | 'ensureSubjectId'>
  consent: Pick<ConsentService, 'contextFor' | 'contextsFor' | 'observeSignals'>
}

export interface IngestOptions {
  actor: Actor
  /** What the request says: jurisdiction, `Sec-GPC: 1`. */
  signals?: RequestSignals
  /**
   * For imports of offline orders: the lawful basis the shop declares for them. A purpose with exactly
   * this legal basis is then allowed where the subject has no record of their own (instead of the
   * jurisdiction default), except consent, which only the subject's own grant gives; an explicit
   * denial, a GPC opt-out or a restriction still refuses (see `allowedUnderDeclaredBasis` in consent.decision.ts).
   */
  declaredBasis?: LegalBasis
  /** Runs inside the batch's transaction after the events are written (import checkpoints, catalog). */
  inTransaction?: (trx: Db, result: IngestResult) => Promise<void>
  /** Audit action for the batch entry (default `events.ingested`). */
  auditAction?: string
}

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

type Owner = { kind: 'subject'; ref: string } | { kind: 'session'; key: string }

interface Candidate {
  index: number
  event: IncomingEvent
  type: EventType
  owner: Owner
  /** `s:<ref>` or the session key, while subject ids are not known yet. */
  ownerTag: string
  quantity: number | undefined
  /** When it happened (its timestamp, or when it was received), in epoch milliseconds. */
  occurredMs: number
  provided: string[]
}

/** What the allowed purposes keep of an event, and for how long. */
type Keeping = {
  refusal?: undefined
  allowed: PurposeKey[]
  keep: ReadonlySet<string>
  retentionMs: number
}
/** What a batch does with one owner's events of one type: refuse them all, or keep them for purposes. */
type Plan = { refusal: 'no_purpose' | 'no_consent' } | Keeping
const NO_PURPOSE: Plan = { refusal: 'no_purpose' }
const NO_CONSENT: Plan = { refusal: 'no_consent' }

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

/**
 * An ISO timestamp as `toISOString` writes it. One sent in exactly that form (and checked as an ISO
 * date-time by the schema) is kept as sent: formatting its parsed time gives the same text back.
 */
function isoOf(timestamp: string, ms: number): string {
  return timestamp.length === 24 && timestamp[19] === '.' && timestamp[23] === 'Z'
    ? timestamp
    : new Date(ms).toISOString()
}

/**
 * `new Date(Date.parse(iso) + retentionMs).toISOString()`, the expiry of an event: for a retention of
 * whole days only the date moves (UTC has no shifts), so the new date is worked out once per date and
 * retention (kept in `dates`) and the time of day is copied.
 */
function plusRetention(
  iso: string,
  retentionMs: number,
  dates: Map<number, Map<string, string>>,
): string {
  if (retentionMs % DAY_MS !== 0) return new Date(Date.parse(iso) + retentionMs).toISOString()
  let moved = dates.get(retentionMs)
  if (moved === undefined) dates.set(retentionMs, (moved = new Map<string, string>()))
  const date = iso.slice(0, 10)
  let expiryDate = moved.get(date)
  if (expiryDate === undefined) {
    expiryDate = new Date(Date.parse(date) + retentionMs).toISOString().slice(0, 10)
    moved.set(date, expiryDate)
  }
  return expiryDate + iso.slice(10)
}

export type EventsService = ReturnType<typeof createEventsService>

/**
 * The privacy gate every event passes before anything is kept. Per event, in order:
 *
 * 1. **Validate** its shape (`malformed`, naming the field).
 * 2. **Decide** the purposes: those the charter maps to its type (for an anonymous session, only
 *    session-scoped ones, `retentionDays: 0`), each asked of the consent decision with one ledger read per
 *    subject or session per batch (`no_purpose`, `no_consent`).
 * 3. **Minimize**: a field outside the type's vocabulary refuses the event (`undeclared_field`); a known
 *    field that no allowed purpose declares is removed and listed in the answer's `dropped`; free text
 *    (the search query) is scanned for emails, phone and card numbers (`personal_data`).
 * 4. **Pseudonymize**: the customer reference becomes the subject id (created only when something is
 *    stored); a session id becomes a keyed HMAC pseudonym `ses_...`; neither is stored raw.
 * 5. **Store** with the allowed purposes and an expiry: the event's time plus the longest retention among
 *    them (a `retentionDays: 0` purpose: one day, the longest a visit lasts); an anonymous session's
 *    events expire with the session, 24 hours after its start. An event already past its expiry is
 *    refused (`expired`). The batch is written in one transaction with its audit entry (counts only), and
 *    committed before the answer; `(owner, event id)` is unique, so a retried batch answers `duplicate`.
 *
 * Anonymous visitors state their choices through consent records kept under the session pseudonym
 * (the consent module's `sessions`); they, the session's events and the session go together when the
 * session ends or expires (the session module).
 */
export function createEventsService(deps: EventsDeps) {
  const repo = createEventsRepository(deps.changes)
  // What the recommendation path reads on every request, as last read (see `ChangeFeed`): a shopper's
  // item events, a session's events. Expiry is applied on every read of a copy.
  // Histories are the large copies: a few thousand shoppers' worth at most (the most recently served).
  const itemHistories = createOwnerCache<ItemEvent[]>(deps.changes, { max: 2000 })
  const sessionHistories = createOwnerCache<StoredEvent[]>(deps.changes, { max: 2000 })
  const { charter, db } = deps
  const retention = createEventsRetention({ charter, repo, sessions: deps.sessions })

  // Per-type answers from the charter, worked out once: the hot path only looks them up.
  const subjectPurposesByType = new Map<EventType, PurposeKey[]>()
  const sessionPurposesByType = new Map<EventType, PurposeKey[]>()
  for (const type of Object.keys(EVENT_FIELDS) as EventType[]) {
    const purposes = purposesForEvent(charter, type)
    subjectPurposesByType.set(type, purposes)
    sessionPurposesByType.set(
      type,
      purposes.filter((p) => findPurpose(charter, p)?.retentionDays === 0),
    )
  }
  // What a type keeps for a set of allowed purposes, and for how long (the plan of the events it covers).
  const keptFields = new Map<string, Keeping>()
  function policyFor(type: EventType, allowed: PurposeKey[]): Keeping {
    const key = `${type}|${allowed.join(',')}`
    let policy = keptFields.get(key)
    if (policy === undefined) {
      const days = retentionDaysFor(charter, allowed)
      policy = {
        allowed,
        keep: new Set<string>(eventFieldsFor(charter, type, allowed)),
        retentionMs: retentionMsOf(days),
      }
      keptFields.set(key, policy)
    }
    return policy
  }

  function validate(
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
    const owner: Owner =
      event.subject !== undefined
        ? { kind: 'subject', ref: event.subject }
        : { kind: 'session', key: deps.sessions.keyOf(event.session!) }
    return {
      index,
      event,
      type,
      owner,
      ownerTag: owner.kind === 'subject' ? `s:${owner.ref}` : owner.key,
      quantity,
      occurredMs,
      provided,
    }
  }

  /** A copy read earlier, without what expired since (retention deletes the rows later). */
  function unexpired<T extends { expiresAt: string }>(
    events: readonly T[],
    now: string,
  ): readonly T[] {
    return events.every((e) => e.expiresAt > now) ? events : events.filter((e) => e.expiresAt > now)
  }

  function countsOf(results: readonly EventResult[]): IngestCounts {
    const counts: IngestCounts = { stored: 0, duplicate: 0, refused: 0, reasons: {} }
    for (const r of results) {
      counts[r.status] += 1
      if (r.reason !== undefined) counts.reasons[r.reason] = (counts.reasons[r.reason] ?? 0) + 1
    }
    return counts
  }

  /**
   * Passes a batch through the gate and stores what may be kept, in one transaction; the answer has one
   * entry per event, in input order. See the service's description for the steps.
   *
   * @example
   *   const { results } = await events.ingest([{ id: 'e-1', type: 'view', subject: 'C-1', item: '85123A' }],
   *                                           { actor, signals: { jurisdiction: 'UK' } })
   */
  async function ingest(
    rawEvents: readonly Record<string, unknown>[],
    options: IngestOptions,
  ): Promise<IngestResult> {
    const now = deps.clock.now()
    const nowMs = now.getTime()
    const nowIso = now.toISOString()
    const signals = options.signals ?? {}
    const results: EventResult[] = new Array<EventResult>(rawEvents.length)

    // 1. Validate.
    const candidates: Candidate[] = []
    rawEvents.forEach((raw, index) => {
      const checked = validate(raw, index, nowMs)
      if ('status' in checked) results[index] = checked
      else candidates.push(checked)
    })

    // Owners: known subjects (not created yet), sessions.
    const refs = new Set<string>()
    const sessionKeys = new Set<string>()
    for (const c of candidates) {
      if (c.owner.kind === 'subject') refs.add(c.owner.ref)
      else sessionKeys.add(c.owner.key)
    }
    const subjectIds = await deps.identity.findSubjectIds([...refs])
    const sessions = await deps.sessions.find(db, [...sessionKeys])
    const liveSession = (key: string) => {
      const row = sessions.get(key)
      return row !== undefined && row.expiresAt > nowIso ? row : undefined
    }
    const ownerId = (c: Candidate): string | undefined =>
      c.owner.kind === 'subject' ? subjectIds.get(c.owner.ref) : c.owner.key

    // Duplicates repeated within this batch (already stored ones: after minimizing).
    const seen = new Set<string>()
    const fresh: Candidate[] = []
    for (const c of candidates) {
      const tag = `${c.ownerTag}\u0000${c.event.id}`
      if (seen.has(tag)) {
        results[c.index] = { id: c.event.id, status: 'duplicate' }
        continue
      }
      seen.add(tag)
      fresh.push(c)
    }

    // 2. Decide: every owner's consent context read at once (a visitor without a subject or a live
    // session has no records: the defaults decide).
    if (signals.gpc === true) {
      for (const id of new Set(subjectIds.values())) {
        await deps.consent.observeSignals(id, signals, options.actor)
      }
    }
    const consentOwners = new Set<string>(subjectIds.values())
    for (const key of sessionKeys) if (liveSession(key) !== undefined) consentOwners.add(key)
    const contexts = await deps.consent.contextsFor([...consentOwners], signals)
    const anonymous = await deps.consent.contextFor(undefined, signals)
    // One plan per owner and type: the purposes the charter maps to the type, each decided for the
    // owner, and what the allowed ones keep. A decision depends on the owner and the purpose only, so
    // types that share a purpose ask for it once.
    interface OwnerState {
      query: ConsentQuery
      decided: Map<PurposeKey, boolean>
      plans: Map<EventType, Plan>
    }
    const owners = new Map<string, OwnerState>()
    const decide = (c: Candidate, { query, decided }: OwnerState): Plan => {
      const purposes =
        (c.owner.kind === 'subject' ? subjectPurposesByType : sessionPurposesByType).get(c.type) ??
        []
      if (purposes.length === 0) return NO_PURPOSE
      const allowed: PurposeKey[] = []
      for (const purpose of purposes) {
        let ok = decided.get(purpose)
        if (ok === undefined) {
          query.purpose = purpose
          const decision = decideConsent(query)
          ok = decision.allowed || allowedUnderDeclaredBasis(options.declaredBasis, decision)
          decided.set(purpose, ok)
        }
        if (ok) allowed.push(purpose)
      }
      return allowed.length === 0 ? NO_CONSENT : policyFor(c.type, allowed)
    }
    const planFor = (c: Candidate): Plan => {
      let state = owners.get(c.ownerTag)
      if (state === undefined) {
        const owner = ownerId(c)
        const context = (owner === undefined ? undefined : contexts.get(owner)) ?? anonymous
        state = { query: { ...context, purpose: '' }, decided: new Map(), plans: new Map() }
        owners.set(c.ownerTag, state)
      }
      let plan = state.plans.get(c.type)
      if (plan === undefined) state.plans.set(c.type, (plan = decide(c, state)))
      return plan
    }

    // 3. Minimize, and work out the expiry.
    // Stored events get their owner (subject id or session) when they are written.
    let toStore: { candidate: Candidate; event: StoredEvent }[] = []
    const refused: Candidate[] = []
    const refuse = (c: Candidate, reason: RefusalReason, field?: string) => {
      refused.push(c)
      results[c.index] = {
        id: c.event.id,
        status: 'refused',
        reason,
        ...(field === undefined ? {} : { field }),
      }
    }
    const newSessionExpiry = new Date(nowMs + SESSION_TTL_MS).toISOString()
    const expiryDates = new Map<number, Map<string, string>>()
    // Where each purpose's own retention starts now (see `usableSince`): an older event is not kept for
    // it. Per plan, the latest of those: an event after it is within every allowed purpose's retention.
    const usableFrom = usableSinceAll(charter, now)
    const liveFor = (purpose: PurposeKey) => usableFrom.get(purpose)!
    const freshAfter = new Map<Keeping, string>()
    const allLiveAfter = (plan: Keeping) => {
      let since = freshAfter.get(plan)
      if (since === undefined) {
        since = plan.allowed.map(liveFor).reduce((a, b) => (a > b ? a : b))
        freshAfter.set(plan, since)
      }
      return since
    }
    for (const c of fresh) {
      const planned = planFor(c)
      if (planned.refusal !== undefined) {
        refuse(c, planned.refusal)
        continue
      }
      let plan = planned
      const e = c.event
      const occurredAt = e.timestamp === undefined ? nowIso : isoOf(e.timestamp, c.occurredMs)
      if (c.owner.kind === 'subject' && occurredAt <= allLiveAfter(plan)) {
        const live = plan.allowed.filter((purpose) => occurredAt > liveFor(purpose))
        if (live.length === 0) {
          refuse(c, 'expired')
          continue
        }
        if (live.length < plan.allowed.length) plan = policyFor(c.type, live)
      }
      const { allowed, keep } = plan
      const vocabulary = FIELD_KEYS[c.type]
      let unknown: string | undefined
      let dropped: string[] | undefined
      for (const field of c.provided) {
        if (!vocabulary.has(field)) {
          unknown = field
          break
        }
        if (!keep.has(field)) (dropped ??= []).push(field)
      }
      if (unknown !== undefined) {
        refuse(c, 'undeclared_field', unknown)
        continue
      }
      if (keep.has('query') && e.query !== undefined && findPersonalData(e.query) !== undefined) {
        refuse(c, 'personal_data', 'query')
        continue
      }
      const expiresAt =
        c.owner.kind === 'session'
          ? (liveSession(c.owner.key)?.expiresAt ?? newSessionExpiry)
          : plusRetention(occurredAt, plan.retentionMs, expiryDates)
      if (expiresAt <= nowIso) {
        refuse(c, 'expired')
        continue
      }
      const stored: StoredEvent = {
        id: e.id,
        type: c.type,
        receivedAt: nowIso,
        purposes: allowed,
        expiresAt,
      }
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
      results[c.index] =
        dropped === undefined
          ? { id: e.id, status: 'stored' }
          : { id: e.id, status: 'stored', dropped }
      toStore.push({ candidate: c, event: stored })
    }

    // Already stored (a retried event): `duplicate`, whatever the gate says now. A subject's event bound
    // for the store needs no read: its insert skips it and says so (below). The others are looked up:
    // refused ones, and a session's, whose session may be purged and started afresh before its insert.
    const pairs: { owner: string; eventId: string }[] = []
    for (const c of refused) {
      const owner = ownerId(c)
      if (owner !== undefined) pairs.push({ owner, eventId: c.event.id })
    }
    for (const { candidate: c } of toStore) {
      if (c.owner.kind === 'session') pairs.push({ owner: c.owner.key, eventId: c.event.id })
    }
    if (pairs.length > 0) {
      const existing = await repo.findExisting(db, pairs)
      const markIfStored = (c: Candidate) => {
        const owner = ownerId(c)
        if (owner === undefined || !existing.has(`${owner}\u0000${c.event.id}`)) return false
        results[c.index] = { id: c.event.id, status: 'duplicate' }
        return true
      }
      for (const c of refused) markIfStored(c)
      toStore = toStore.filter(({ candidate: c }) => c.owner.kind === 'subject' || !markIfStored(c))
    }

    // 4 and 5. Pseudonymize and store, in one transaction with the audit entry.
    return db.transaction().execute(async (trx) => {
      const rows: StoredEvent[] = []
      const openedSessions = new Map<string, SessionRow>()
      for (const { candidate: c, event } of toStore) {
        if (c.owner.kind === 'subject') {
          let subjectId = subjectIds.get(c.owner.ref)
          if (subjectId === undefined) {
            subjectId = await deps.identity.ensureSubjectId(c.owner.ref, trx)
            subjectIds.set(c.owner.ref, subjectId)
          }
          event.subjectId = subjectId
          rows.push(event)
        } else {
          let session = openedSessions.get(c.owner.key)
          if (session === undefined) {
            session = await deps.sessions.open(trx, c.owner.key, now)
            openedSessions.set(c.owner.key, session)
          }
          event.sessionKey = c.owner.key
          event.expiresAt = session.expiresAt
          rows.push(event)
        }
      }
      const inserted = await repo.insertMany(trx, rows)
      rows.forEach((row, i) => {
        // Already stored, by an earlier batch or a concurrent retry of this one: stored once.
        if (!inserted[i]) results[toStore[i]!.candidate.index] = { id: row.id, status: 'duplicate' }
      })
      const result = { results, counts: countsOf(results) }
      await deps.audit.record(trx, {
        actor: options.actor,
        action: options.auditAction ?? 'events.ingested',
        details: { ...result.counts, events: rawEvents.length },
      })
      await options.inTransaction?.(trx, result)
      return result
    })
  }

  return {
    ingest,
    /**
     * Views, carts and purchases received since `since` that cite a recommendation answer (`recommId`):
     * the answer, the type and the item, never whose they were. Online quality is counted from them.
     */
    async listCitations(since: string) {
      return repo.listCitations(db, since, deps.clock.now().toISOString())
    },

    /** A subject's unexpired events, oldest first: what `personal` recommendations may read. */
    async listSubjectEvents(
      subjectId: string,
      options: { limit?: number } = {},
    ): Promise<StoredEvent[]> {
      return repo.listByOwner(db, subjectId, deps.clock.now().toISOString(), options)
    },

    /**
     * `listSubjectEvents` reduced to the events that name an item and the fields a recommendation
     * reads (type, item, times, purposes), same order: the per-request read of `personal` answers.
     */
    async listSubjectItemEvents(subjectId: string, purpose: PurposeKey): Promise<ItemEvent[]> {
      const now = deps.clock.now()
      const nowIso = now.toISOString()
      const since = usableSince(charter, purpose, now)
      const events = await itemHistories.get(subjectId, () =>
        repo.listItemEventsByOwner(db, subjectId, nowIso),
      )
      return events.filter(
        (e) =>
          e.expiresAt > nowIso &&
          e.purposes.includes(purpose) &&
          (e.occurredAt ?? e.receivedAt) > since,
      )
    },

    /** A session's unexpired events (by pseudonym, the session module's `keyOf`): what `session` level reads. */
    async listSessionEvents(
      sessionKey: string,
      options: { limit?: number } = {},
    ): Promise<readonly StoredEvent[]> {
      const now = deps.clock.now().toISOString()
      if (options.limit !== undefined) return repo.listByOwner(db, sessionKey, now, options)
      return unexpired(
        await sessionHistories.get(sessionKey, () => repo.listByOwner(db, sessionKey, now)),
        now,
      )
    },

    /**
     * Every unexpired subject event stored for `purpose` (default: personalized recommendations, which
     * includes training), a page at a time in a stable order. Session events are never included.
     * Callers still check each subject's current consent: a withdrawal stops use before retention runs.
     */
    async *readEventsForPurpose(
      purpose: PurposeKey = 'personalize.recommendations',
      pageSize = 5000,
    ): AsyncGenerator<StoredEvent[]> {
      const now = deps.clock.now()
      const since = usableSince(charter, purpose, now)
      let after: { owner: string; eventId: string } | undefined
      for (;;) {
        const page = await repo.listForPurpose(
          db,
          purpose,
          now.toISOString(),
          since,
          after,
          pageSize,
        )
        if (page.length === 0) return
        yield page
        const last = page.at(-1)!
        after = { owner: last.subjectId ?? '', eventId: last.id }
        if (page.length < pageSize) return
      }
    },

    /**
     * `readEventsForPurpose` narrowed to what training reads: the events that name an item, with whose
     * they are, their type and times only (a fraction of a `StoredEvent`'s memory and cost), a page at a
     * time in the same order. Callers still check each subject's current consent.
     */
    async *readItemEventsForPurpose(
      purpose: PurposeKey = 'personalize.recommendations',
      pageSize = 5000,
    ): AsyncGenerator<SubjectItemEvent[]> {
      const now = deps.clock.now()
      const since = usableSince(charter, purpose, now)
      let after: EventKey | undefined
      do {
        const page = await repo.listItemEventsForPurpose(
          db,
          purpose,
          now.toISOString(),
          since,
          after,
          pageSize,
        )
        if (page.events.length > 0) yield page.events
        after = page.next
      } while (after !== undefined)
    },

    /**
     * Rectification: the events the subject says are not theirs (a shared account, a gift bought for
     * someone else) are deleted, so the next recommendation no longer reads them.
     */
    async deleteSubjectEvents(executor: Db, subjectId: string, eventIds: readonly string[]) {
      return { events: await repo.deleteByIds(executor, subjectId, eventIds) }
    },

    /** Everything stored on a subject, for access and portability requests. */
    async exportSubject(subjectId: string): Promise<{ events: StoredEvent[] }> {
      return { events: await repo.listAllByOwner(db, subjectId) }
    },

    /** Deletes all of a subject's events (erasure); returns how many went. */
    async eraseSubject(executor: Db, subjectId: string): Promise<{ events: number }> {
      return { events: await repo.deleteByOwner(executor, subjectId) }
    },

    /** The retention sweep (`events.retention.ts`); the retention job runs it in its transaction. */
    deleteExpired: (executor: Db, now: Date) => retention.deleteExpired(executor, now),

    /** Import checkpoints (used by the order import). */
    checkpoints: {
      find: (fileHash: string) => repo.findCheckpoint(db, fileHash),
      save: (executor: Db, row: Parameters<typeof repo.upsertCheckpoint>[1]) =>
        repo.upsertCheckpoint(executor, row),
      remove: (fileHash: string) => repo.deleteCheckpoint(db, fileHash),
    },
  }
}
