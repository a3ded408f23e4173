import type { Clock } from '../../lib/clock.js'
import { AppError } from '../../lib/errors.js'
import { newSortableId } from '../../lib/ids.js'
import { type ChangeFeed, createOwnerCache } from '../../storage/changes.js'
import type { Db } from '../../storage/db.js'
import type { Actor, AuditLog } from '../audit/index.js'
import {
  type Charter,
  type PurposeKey,
  REQUIRED_PURPOSES,
  SERVED_TOUCHPOINTS,
  capWindow,
  findPurpose,
  noticeVersionOf,
  resolveJurisdiction,
} from '../charter/index.js'
import type {
  ConsentChange,
  ConsentDecision,
  ConsentPrompt,
  PersonalizationLevel,
  PromptShown,
} from './consent.js'
import {
  type ConsentContext,
  type PersonalizationDecision,
  decideAll,
  decideConsent,
  decidePersonalizationLevel,
  gpcRecords,
  progressivePrompt,
} from './consent.decision.js'
import { buildConsentRecord } from './consent.record.js'
import { consentRatesByDay, ratePeriod } from './consent.rates.js'
import { decodeTcfString, encodeTcfString } from './consent.tcf.js'
import { type SessionsPort, createSessionConsent } from './consent.sessions.js'
import {
  type StoredConsentRecord,
  type SubjectSettings,
  createConsentRepository,
} from './consent.repository.js'

export interface ConsentDeps {
  db: Db
  clock: Clock
  charter: Charter
  audit: AuditLog
  changes: ChangeFeed
  /** The session module, for consent under an anonymous visit's pseudonym (`consent.sessions.ts`). */
  sessions: SessionsPort
}

/**
 * The subject a write is about, resolved inside the write's own transaction: a reference seen for the
 * first time becomes a subject only together with the first write accepted for it, so a refused request
 * (rolled back) leaves no `subjects` or `subject_refs` row behind. A known subject id passes as a string.
 */
export type SubjectOf = string | ((executor: Db) => Promise<string>)

function resolveSubject(subject: SubjectOf, executor: Db): Promise<string> {
  return typeof subject === 'string' ? Promise.resolve(subject) : subject(executor)
}

/** What a request says about where the shopper is and which signals their browser sent. */
export interface RequestSignals {
  /** A charter jurisdiction code the caller states (else the subject's last known one, else default). */
  jurisdiction?: string | undefined
  /** The request carried `Sec-GPC: 1`. */
  gpc?: boolean
}

export interface ConsentState {
  noticeVersion: string
  jurisdiction: string
  restricted: boolean
  decisions: ConsentDecision[]
  history: StoredConsentRecord[]
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
const DEFAULT_LEVEL: PersonalizationLevel = 'personal'

export type ConsentService = ReturnType<typeof createConsentService>

/**
 * The consent ledger and the decisions every module obeys. Records are only ever appended; every
 * decision is computed from the ledger at the moment it is asked, so a withdrawal decides the very next
 * request. Changes are written with their audit entry in one transaction.
 */
interface Ledger {
  settings: SubjectSettings | undefined
  records: readonly StoredConsentRecord[]
}

export function createConsentService(deps: ConsentDeps) {
  const repo = createConsentRepository(deps.changes)
  const { charter } = deps
  const noticeVersion = noticeVersionOf(charter)

  /** A subject's (or session's) settings and ledger, and the prompts shown, as last read; see `ChangeFeed`. */
  const ledgers = createOwnerCache<Ledger>(deps.changes)
  const promptsShown = createOwnerCache<readonly PromptShown[]>(deps.changes)

  async function readLedger(executor: Db, subjectId: string): Promise<Ledger> {
    return {
      settings: await repo.findSettings(executor, subjectId),
      records: await repo.listRecords(executor, subjectId),
    }
  }

  /** Inside a transaction the rows are read afresh; outside, the last copy serves while nothing changed. */
  async function ledgerOf(executor: Db, subjectId: string): Promise<Ledger> {
    if (executor !== deps.db) return readLedger(executor, subjectId)
    return ledgers.get(subjectId, () => readLedger(executor, subjectId))
  }

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
    const ledger = subjectId === undefined ? undefined : await ledgerOf(executor, subjectId)
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
        now: deps.clock.now(),
      },
      settings,
      records,
      ledger,
    }
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

  function settingsView(context: ConsentContext, level: PersonalizationLevel): SettingsView {
    const decision = decidePersonalizationLevel({ ...context, requested: level })
    return {
      level,
      effectiveLevel: decision.effective,
      reason: decision.reason,
      jurisdiction: context.jurisdiction ?? 'default',
      ...(decision.prompt === undefined ? {} : { prompt: decision.prompt }),
    }
  }

  const service = {
    charter,
    noticeVersion,

    /**
     * May this subject be processed for this purpose now? `subjectId` undefined means an anonymous
     * visitor (no records: default deny for consent-based purposes).
     */
    async decide(subjectId: string | undefined, purpose: PurposeKey, signals: RequestSignals = {}) {
      const { context } = await loadContext(deps.db, subjectId, signals)
      return decideConsent({ ...context, purpose })
    },

    /** The whole consent context for a subject, for modules that decide several purposes at once. */
    async contextFor(
      subjectId: string | undefined,
      signals: RequestSignals = {},
    ): Promise<ConsentContext> {
      return (await loadContext(deps.db, subjectId, signals)).context
    },

    /**
     * Consent contexts for many subjects with two queries in all (the event pipeline decides a whole
     * batch at once). Same answers as `contextFor` for each subject, read at the same moment.
     */
    async contextsFor(
      subjectIds: readonly string[],
      signals: RequestSignals = {},
    ): Promise<Map<string, ConsentContext>> {
      const unique = [...new Set(subjectIds)]
      const ledgersOf = await ledgers.getMany(unique, async (missing) => {
        const settings = await repo.findSettingsMany(deps.db, missing)
        const records = await repo.listRecordsMany(deps.db, missing)
        return new Map(
          missing.map((id) => [id, { settings: settings.get(id), records: records.get(id) ?? [] }]),
        )
      })
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
          now,
        })
      }
      return out
    },

    /** Records GPC opt-outs for a request that carries the signal; call before deciding anything. */
    async observeSignals(subjectId: string, signals: RequestSignals, actor: Actor): Promise<void> {
      if (signals.gpc !== true) return
      await deps.db.transaction().execute((trx) => applyGpc(trx, subjectId, signals, actor))
    },

    /** Current decision per purpose and the full history: the proof GDPR Art. 7(1) asks for. */
    async state(subjectId: string | undefined, signals: RequestSignals): Promise<ConsentState> {
      const { context, records } = await loadContext(deps.db, subjectId, signals)
      return {
        noticeVersion,
        jurisdiction: context.jurisdiction ?? 'default',
        restricted: context.restricted === true,
        decisions: decideAll(context),
        history: [...records],
      }
    },

    /**
     * Grants or withdraws one purpose (append-only), with its audit entry and the opt-outs a GPC signal
     * implies, in one transaction (with the subject's creation, when `subject` creates it).
     */
    async recordChange(
      subject: SubjectOf,
      purpose: PurposeKey,
      change: ConsentChange,
      signals: RequestSignals,
      actor: Actor,
    ): Promise<{ record: StoredConsentRecord; decision: ConsentDecision }> {
      return deps.db.transaction().execute(async (trx) => {
        const subjectId = await resolveSubject(subject, trx)
        await applyGpc(trx, subjectId, signals, actor)
        const settings = await repo.findSettings(trx, subjectId)
        const jurisdiction = signals.jurisdiction ?? settings?.jurisdiction ?? undefined
        const record = buildConsentRecord({
          charter,
          purpose,
          body: change,
          jurisdiction,
          now: deps.clock.now(),
        })
        if (signals.jurisdiction !== undefined) {
          await repo.upsertSettings(trx, subjectId, {
            level: settings?.level ?? DEFAULT_LEVEL,
            restricted: settings?.restricted ?? false,
            jurisdiction: record.jurisdiction,
            updatedAt: deps.clock.now().toISOString(),
          })
        }
        const [stored] = await appendRecords(trx, subjectId, [record], actor)
        const { context } = await loadContext(trx, subjectId, signals)
        return { record: stored!, decision: decideConsent({ ...context, purpose }) }
      })
    },

    async getSettings(
      subjectId: string | undefined,
      signals: RequestSignals,
    ): Promise<SettingsView> {
      const { context, settings, ledger } = await loadContext(deps.db, subjectId, signals)
      const level = settings?.level ?? DEFAULT_LEVEL
      if (ledger === undefined || !deps.changes.cacheable) return settingsView(context, level)
      return decidedFor(ledger, context, level)
    },

    /**
     * Stores the shopper's chosen level. Choosing `personal` without consent is not an error: the level
     * is kept, the effective level stays lower, and the answer carries the consent prompt to show.
     */
    async putSettings(
      subject: SubjectOf,
      input: { level: PersonalizationLevel; jurisdiction?: string | undefined },
      signals: RequestSignals,
      actor: Actor,
    ): Promise<SettingsView> {
      if (
        input.jurisdiction !== undefined &&
        charter.jurisdictions[input.jurisdiction] === undefined
      ) {
        throw new AppError(
          'validation_failed',
          'The jurisdiction is not one the charter declares',
          {
            issues: [
              {
                field: 'body.jurisdiction',
                reason: `must be one of ${Object.keys(charter.jurisdictions).join(', ')}`,
              },
            ],
          },
        )
      }
      return deps.db.transaction().execute(async (trx) => {
        const subjectId = await resolveSubject(subject, trx)
        await applyGpc(trx, subjectId, signals, actor)
        const existing = await repo.findSettings(trx, subjectId)
        const settings: SubjectSettings = {
          level: input.level,
          jurisdiction: input.jurisdiction ?? existing?.jurisdiction ?? null,
          restricted: existing?.restricted ?? false,
          updatedAt: deps.clock.now().toISOString(),
        }
        await repo.upsertSettings(trx, subjectId, settings)
        await deps.audit.record(trx, {
          actor,
          action: 'settings.updated',
          subjectId,
          details: { level: input.level },
        })
        const { context } = await loadContext(trx, subjectId, signals)
        return settingsView(context, settings.level)
      })
    },

    /**
     * Progressive consent: the prompt a response should carry for `purpose`, if any, and remembers that
     * it was shown (at most once per purpose per the charter's period, and no more prompts than the
     * `consent_prompt` touchpoint's cap allows; never after a denial unless the shopper asked).
     */
    async promptFor(
      subjectId: string,
      purpose: PurposeKey = REQUIRED_PURPOSES.personal,
      signals: RequestSignals = {},
      options: { shopperAsked?: boolean } = {},
    ): Promise<ConsentPrompt | undefined> {
      const { context } = await loadContext(deps.db, subjectId, signals)
      const shown = await promptsShown.get(subjectId, () =>
        repo.listPromptsShown(deps.db, subjectId),
      )
      const answer = progressivePrompt({
        ...context,
        purpose,
        promptsShown: shown,
        cap: capWindow(charter, SERVED_TOUCHPOINTS.consentPrompt, context.now),
        ...(options.shopperAsked === undefined ? {} : { shopperAsked: options.shopperAsked }),
      })
      if (answer.prompt === undefined) return undefined
      await repo.markPromptShown(deps.db, subjectId, purpose, deps.clock.now().toISOString())
      return answer.prompt
    },

    /** The decisions as an IAB TCF v2.2 consent string. */
    async tcfString(subjectId: string | undefined, signals: RequestSignals): Promise<string> {
      const { context } = await loadContext(deps.db, subjectId, signals)
      return encodeTcfString(charter, decideAll(context), { now: context.now })
    },

    /** Reads a TCF string and records its decisions for the charter's mapped purposes. */
    async importTcf(
      subject: SubjectOf,
      tcString: string,
      signals: RequestSignals,
      actor: Actor,
    ): Promise<StoredConsentRecord[]> {
      const decoded = decodeTcfString(charter, tcString)
      const now = deps.clock.now()
      return deps.db.transaction().execute(async (trx) => {
        const subjectId = await resolveSubject(subject, trx)
        const { context } = await loadContext(trx, subjectId, signals)
        const records = Object.entries(decoded.decisions)
          .filter(([purpose]) => findPurpose(charter, purpose)?.legalBasis !== 'contract')
          .map(([purpose, decision]) => ({
            purpose,
            decision,
            method: 'import' as const,
            noticeVersion,
            jurisdiction: context.jurisdiction ?? 'default',
            recordedAt: now,
          }))
        return appendRecords(trx, subjectId, records, actor)
      })
    },

    /** Restriction of processing (GDPR Art. 18): everything but storage stops until lifted. */
    async setRestricted(
      executor: Db,
      subjectId: string,
      restricted: boolean,
      actor: Actor,
    ): Promise<void> {
      const existing = await repo.findSettings(executor, subjectId)
      await repo.upsertSettings(executor, subjectId, {
        level: existing?.level ?? DEFAULT_LEVEL,
        jurisdiction: existing?.jurisdiction ?? null,
        restricted,
        updatedAt: deps.clock.now().toISOString(),
      })
      await deps.audit.record(executor, {
        actor,
        action: restricted ? 'processing.restricted' : 'processing.unrestricted',
        subjectId,
      })
    },

    /**
     * An objection to profiling (GDPR Art. 21): a denial on record for each purpose given, and the
     * personalization level set to off, inside the caller's transaction.
     */
    async recordObjection(
      executor: Db,
      subjectId: string,
      purposes: PurposeKey[],
      actor: Actor,
    ): Promise<void> {
      const { context, settings } = await loadContext(executor, subjectId, {})
      const at = deps.clock.now()
      await appendRecords(
        executor,
        subjectId,
        purposes.map((purpose) => ({
          purpose,
          decision: 'denied' as const,
          method: 'api' as const,
          noticeVersion,
          jurisdiction: context.jurisdiction ?? 'default',
          recordedAt: at,
        })),
        actor,
      )
      await repo.upsertSettings(executor, subjectId, {
        level: 'off',
        jurisdiction: settings?.jurisdiction ?? null,
        restricted: settings?.restricted ?? false,
        updatedAt: at.toISOString(),
      })
    },

    /**
     * Grants, withdrawals and refusals per purpose and UTC day from the ledger (`from`..`to`, both
     * included; by default the last 30 days). No subject is named.
     */
    async ratesByDay(input: { from?: string | undefined; to?: string | undefined }) {
      return consentRatesByDay(deps.db, ratePeriod(input, deps.clock.now()))
    },

    /** Everything this module holds on a subject, for access and portability requests. */
    async exportSubject(subjectId: string) {
      return {
        settings: (await repo.findSettings(deps.db, subjectId)) ?? null,
        consentRecords: await repo.listRecords(deps.db, subjectId),
        promptsShown: await repo.listPromptsShown(deps.db, subjectId),
      }
    },

    /** Deletes the subject's ledger, settings and prompts; returns how many records went. */
    async eraseSubject(executor: Db, subjectId: string): Promise<{ consentRecords: number }> {
      return { consentRecords: await repo.deleteSubject(executor, subjectId) }
    },
  }
  return {
    ...service,
    /** The same ledger and decision for anonymous visits, by session pseudonym. */
    sessions: createSessionConsent(charter, deps.sessions, service),
  }
}
