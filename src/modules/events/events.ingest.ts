/**
 * Ingest: read what the gate needs, run the gate (`events.gate.ts`, where every rule lives), write what
 * it keeps in one transaction with the batch's audit entry. Nothing here decides whether an event is
 * kept; this file only reads and writes.
 */
import type { Clock } from '../../lib/clock.js'
import type { Db } from '../../storage/db.js'
import type { Actor, AuditLog } from '../audit/index.js'
import type { Charter, LegalBasis } from '../charter/index.js'
import type { ConsentService, RequestSignals } from '../consent/index.js'
import type { IdentityService } from '../identity/index.js'
import { type SessionRow, type SessionService, isSessionOpen } from '../session/index.js'
import type { EventResult, IngestCounts, IngestResult, StoredEvent } from './events.js'
import type { CheckedBatch, GateOutput, GateReads } from './events.gate.types.js'
import { checkEvents, createGatePolicy, gate, withStored } from './events.gate.js'
import type { EventsRepository } from './events.repository.js'

export interface IngestDeps {
  db: Db
  clock: Clock
  charter: Charter
  audit: AuditLog
  repo: EventsRepository
  sessions: Pick<SessionService, 'keyOf' | 'find' | 'open'>
  identity: Pick<IdentityService, 'findSubjectIds' | 'ensureSubjectId'>
  consent: Pick<ConsentService, 'contextFor' | 'contextsFor' | 'observeSignals'>
  /**
   * The vendor outbox (`src/modules/vendors/`): called with the newly stored events inside the
   * transaction that stores them, so an event is never stored without its deliveries (or the reverse).
   */
  shareWithVendors?: (trx: Db, stored: readonly StoredEvent[], now: Date) => Promise<unknown>
}

export interface IngestOptions {
  actor: Actor
  /** What the request says: jurisdiction, `Sec-GPC: 1`. */
  signals?: RequestSignals
  /**
   * For imports of offline orders: the lawful basis the shop declares for them. A purpose with exactly
   * this legal basis is then allowed where the subject has no record of their own (instead of the
   * jurisdiction default), except consent, which only the subject's own grant gives; an explicit
   * denial, a GPC opt-out or a restriction still refuses (see `allowedToCollect` in consent.decision.ts).
   */
  declaredBasis?: LegalBasis
  /** Runs inside the batch's transaction after the events are written (import checkpoints, catalog). */
  inTransaction?: (trx: Db, result: IngestResult) => Promise<void>
  /** Audit action for the batch entry (default `events.ingested`). */
  auditAction?: string
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
 * Who the batch's owners are and what consent says for each: subject ids of known references,
 * session pseudonyms and rows, consent contexts (one ledger read per owner; a visitor without a
 * subject or an open session has no records: the defaults decide). A GPC signal is recorded first.
 */
async function readsFor(
  deps: IngestDeps,
  batch: CheckedBatch,
  options: IngestOptions,
  now: Date,
): Promise<GateReads> {
  const signals = options.signals ?? {}
  const refs = new Set<string>()
  const sessionKeys = new Map<string, string>()
  for (const { owner } of batch.candidates) {
    if (owner.kind === 'subject') refs.add(owner.ref)
    else if (!sessionKeys.has(owner.sessionId))
      sessionKeys.set(owner.sessionId, deps.sessions.keyOf(owner.sessionId))
  }
  const subjectIds = await deps.identity.findSubjectIds([...refs])
  const sessions = await deps.sessions.find(deps.db, [...new Set(sessionKeys.values())])
  if (signals.gpc === true) {
    for (const id of new Set(subjectIds.values())) {
      await deps.consent.observeSignals(id, signals, options.actor)
    }
  }
  const nowIso = now.toISOString()
  const consentOwners = new Set<string>(subjectIds.values())
  for (const [key, row] of sessions) if (isSessionOpen(row, nowIso)) consentOwners.add(key)
  return {
    subjectIds,
    sessionKeys,
    sessions,
    contexts: await deps.consent.contextsFor([...consentOwners], signals),
    anonymous: await deps.consent.contextFor(undefined, signals),
    declaredBasis: options.declaredBasis,
  }
}

/** The gate's answer with the events the store already holds answered `duplicate`. */
async function checkStored(deps: IngestDeps, out: GateOutput): Promise<GateOutput> {
  if (out.lookups.length === 0) return out
  return withStored(out, await deps.repo.findExisting(deps.db, out.lookups))
}

/**
 * Writes the kept rows: a new customer reference becomes a subject, a visit is opened (or started
 * afresh) and its events expire with it; then the audit entry (counts only) and `inTransaction`.
 */
async function write(
  deps: IngestDeps,
  trx: Db,
  out: GateOutput,
  total: number,
  options: IngestOptions,
  now: Date,
): Promise<IngestResult> {
  const { results } = out
  const subjectIds = new Map<string, string>()
  const opened = new Map<string, SessionRow>()
  const rows: StoredEvent[] = []
  for (const { ref, event } of out.rows) {
    if (ref !== undefined) {
      let subjectId = subjectIds.get(ref)
      if (subjectId === undefined) {
        subjectId = await deps.identity.ensureSubjectId(ref, trx)
        subjectIds.set(ref, subjectId)
      }
      event.subjectId = subjectId
    } else if (event.sessionKey !== undefined) {
      let session = opened.get(event.sessionKey)
      if (session === undefined) {
        session = await deps.sessions.open(trx, event.sessionKey, now)
        opened.set(event.sessionKey, session)
      }
      event.expiresAt = session.expiresAt
    }
    rows.push(event)
  }
  const inserted = await deps.repo.insertMany(trx, rows)
  rows.forEach((row, i) => {
    // Already stored, by an earlier batch or a concurrent retry of this one: stored once.
    if (!inserted[i]) results[out.rows[i]!.index] = { id: row.id, status: 'duplicate' }
  })
  // The outbox step: what vendors may receive of the events stored now, in this same transaction.
  await deps.shareWithVendors?.(
    trx,
    rows.filter((_, i) => inserted[i]),
    now,
  )
  const result = { results, counts: countsOf(results) }
  await deps.audit.record(trx, {
    actor: options.actor,
    action: options.auditAction ?? 'events.ingested',
    details: { ...result.counts, events: total },
  })
  await options.inTransaction?.(trx, result)
  return result
}

export function createIngest(deps: IngestDeps) {
  const policy = createGatePolicy(deps.charter)

  /**
   * Passes a batch through the gate and stores what may be kept, in one transaction, committed before
   * the answer; the answer has one entry per event, in input order.
   *
   * @example
   *   const { results } = await events.ingest([{ id: 'e-1', type: 'view', subject: 'C-1', item: '85123A' }],
   *                                           { actor, signals: { jurisdiction: 'UK' } })
   */
  return async function ingest(
    rawEvents: readonly Record<string, unknown>[],
    options: IngestOptions,
  ): Promise<IngestResult> {
    const now = deps.clock.now()
    const batch = checkEvents(rawEvents, now)
    const reads = await readsFor(deps, batch, options, now)
    const out = await checkStored(deps, gate(batch, reads, policy, now))
    return deps.db
      .transaction()
      .execute((trx) => write(deps, trx, out, rawEvents.length, options, now))
  }
}
