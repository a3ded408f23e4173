/**
 * The consent ledger as the consent service reads and appends it: a subject's (or session's) settings
 * and records, the consent context decided from them, the settings view, and the one append path (each
 * record with its audit entry). The rules themselves live in `consent.decision.ts`; the service
 * (`consent.service.ts`, reads) and `consent.changes.ts` (writes) build on this file.
 */
import type { Clock } from '../../lib/clock.js'
import { newSortableId } from '../../lib/ids.js'
import type { ChangeFeed } from '../../storage/changes.js'
import type { Db } from '../../storage/db.js'
import type { Actor, AuditLog } from '../audit/index.js'
import { type Charter, resolveJurisdiction } from '../charter/index.js'
import type { ConsentPrompt, PersonalizationLevel } from './consent.js'
import {
  type ConsentContext,
  type PersonalizationDecision,
  decidePersonalizationLevel,
  gpcRecords,
} from './consent.decision.js'
import type { SessionsPort } from './consent.sessions.js'
import type {
  ConsentRepository,
  Ledger,
  StoredConsentRecord,
  SubjectSettings,
} from './consent.repository.js'

export interface ConsentDeps {
  db: Db
  clock: Clock
  charter: Charter
  audit: AuditLog
  changes: ChangeFeed
  /** The session module, for consent under an anonymous visit's pseudonym (`consent.sessions.ts`). */
  sessions: SessionsPort
  /**
   * Called inside the transaction of a subject's denial of a purpose (the vendors module files its
   * deletion requests there, so the withdrawal and the requests commit together).
   */
  onWithdrawal?: (executor: Db, subjectId: string, purpose: string) => Promise<unknown>
}

export type { ConsentRepository, Ledger } from './consent.repository.js'

/**
 * The subject a write is about, resolved inside the write's own transaction: a reference seen for the
 * first time becomes a subject only together with the first write accepted for it, so a refused request
 * (rolled back) leaves no `subjects` or `subject_refs` row behind. A known subject id passes as a string.
 */
export type SubjectOf = string | ((executor: Db) => Promise<string>)

export function resolveSubject(subject: SubjectOf, executor: Db): Promise<string> {
  return typeof subject === 'string' ? Promise.resolve(subject) : subject(executor)
}

/** What a request says about where the shopper is and which signals their browser sent. */
export interface RequestSignals {
  /** A charter jurisdiction code the caller states (else the subject's last known one, else default). */
  jurisdiction?: string | undefined
  /** The request carried `Sec-GPC: 1`. */
  gpc?: boolean
}

export interface SettingsView {
  level: PersonalizationLevel
  effectiveLevel: PersonalizationLevel
  reason: PersonalizationDecision['reason']
  jurisdiction: string
  prompt?: ConsentPrompt
}

/**
 * Until a shopper chooses, the level asked for is the highest; consent then decides the level in effect,
 * so nobody is personalized without consent and nobody who consented has to choose twice.
 */
export const DEFAULT_LEVEL: PersonalizationLevel = 'personal'

export type ConsentLedger = ReturnType<typeof createConsentLedger>

export function settingsView(context: ConsentContext, level: PersonalizationLevel): SettingsView {
  const decision = decidePersonalizationLevel({ ...context, requested: level })
  return {
    level,
    effectiveLevel: decision.effective,
    reason: decision.reason,
    jurisdiction: context.jurisdiction ?? 'default',
    ...(decision.prompt === undefined ? {} : { prompt: decision.prompt }),
  }
}

/**
 * The ledger reads and the append path, over one repository. Records are only ever appended; every
 * decision is computed from the ledger at the moment it is asked.
 */
export function createConsentLedger(
  deps: ConsentDeps,
  repo: ConsentRepository,
  noticeVersion: string,
) {
  const { charter } = deps

  async function loadContext(
    executor: Db,
    subjectId: string | undefined,
    signals: RequestSignals,
  ): Promise<{
    context: ConsentContext
    settings: SubjectSettings | undefined
    records: readonly StoredConsentRecord[]
    ledger: Ledger | undefined
  }> {
    // Outside a transaction, the repository answers from its copies (`consent.cache.ts`).
    const ledger = subjectId === undefined ? undefined : await repo.findLedger(executor, subjectId)
    const settings = ledger?.settings
    const records = ledger?.records ?? []
    const jurisdiction = resolveJurisdiction(
      charter,
      signals.jurisdiction ?? settings?.jurisdiction ?? undefined,
    )
    return {
      context: {
        charter,
        jurisdiction,
        records,
        restricted: settings?.restricted ?? false,
        gpc: signals.gpc === true,
        ...(settings === undefined ? {} : { level: settings.level }),
        now: deps.clock.now(),
      },
      settings,
      records,
      ledger,
    }
  }

  /**
   * Consent contexts for many subjects with two queries in all (the event pipeline decides a whole
   * batch at once). Same answers as `loadContext` for each subject, read at the same moment.
   */
  async function contextsFor(
    subjectIds: readonly string[],
    signals: RequestSignals,
  ): Promise<Map<string, ConsentContext>> {
    const unique = [...new Set(subjectIds)]
    const ledgersOf = await repo.findLedgers(deps.db, unique)
    const now = deps.clock.now()
    const out = new Map<string, ConsentContext>()
    for (const subjectId of unique) {
      const ledger = ledgersOf.get(subjectId)!
      const stated = signals.jurisdiction ?? ledger.settings?.jurisdiction ?? undefined
      out.set(subjectId, {
        charter,
        jurisdiction: resolveJurisdiction(charter, stated),
        records: ledger.records,
        restricted: ledger.settings?.restricted ?? false,
        gpc: signals.gpc === true,
        ...(ledger.settings === undefined ? {} : { level: ledger.settings.level }),
        now,
      })
    }
    return out
  }

  async function appendRecords(
    executor: Db,
    subjectId: string,
    records: Omit<StoredConsentRecord, 'id'>[],
    actor: Actor,
  ): Promise<StoredConsentRecord[]> {
    const stored: StoredConsentRecord[] = []
    for (const record of records) {
      const withId = { ...record, id: newSortableId('cr', record.recordedAt.getTime()) }
      await repo.insertRecord(executor, subjectId, withId)
      await deps.audit.record(executor, {
        actor,
        action: 'consent.recorded',
        subjectId,
        details: { purpose: record.purpose, decision: record.decision, method: record.method },
      })
      stored.push(withId)
    }
    return stored
  }

  /** Appends the `gpc` opt-outs a `Sec-GPC: 1` request implies (none when already on record). */
  async function applyGpc(executor: Db, subjectId: string, signals: RequestSignals, actor: Actor) {
    if (signals.gpc !== true) return
    const { context } = await loadContext(executor, subjectId, signals)
    const records = gpcRecords({ ...context, noticeVersion })
    if (records.length > 0) await appendRecords(executor, subjectId, records, actor)
  }

  /**
   * Settings views decided from one copy of a subject's ledger, by what else the decision reads (level,
   * jurisdiction, GPC). A copy is replaced whenever anything of the subject changes (see `ChangeFeed`),
   * and time enters a decision only through records dated after the moment of deciding, so a view holds
   * from the latest record already in effect until the next one dated later. Asked on every
   * recommendation; deciding afresh each time cost more than the rest of the consent read.
   */
  type Decided = Map<string, { view: SettingsView; from: number; until: number }>
  const decided = new WeakMap<Ledger, Decided>()

  function decidedFor(
    ledger: Ledger,
    context: ConsentContext,
    level: PersonalizationLevel,
  ): SettingsView {
    const now = context.now.getTime()
    const key = `${level}|${context.jurisdiction ?? ''}|${context.gpc === true}`
    let views = decided.get(ledger)
    const kept = views?.get(key)
    if (kept !== undefined && kept.from <= now && now < kept.until) return kept.view
    const view = Object.freeze(settingsView(context, level))
    let from = -Infinity
    let until = Infinity
    for (const record of ledger.records) {
      const time = record.recordedAt.getTime()
      if (time <= now) from = Math.max(from, time)
      else until = Math.min(until, time)
    }
    if (views === undefined) decided.set(ledger, (views = new Map() as Decided))
    views.set(key, { view, from, until })
    return view
  }

  return { loadContext, contextsFor, appendRecords, applyGpc, decidedFor }
}
