/**
 * The consent service: the ledger's reads and the decisions every module obeys (may this subject be
 * processed for this purpose now, at which personalization level, with which prompt), wired together
 * with the writes. The ledger reads and the append path live in `consent.ledger.ts`, the writes in
 * `consent.changes.ts`, the rules in `consent.decision.ts`, anonymous visits in `consent.sessions.ts`.
 */
import {
  type PurposeKey,
  REQUIRED_PURPOSES,
  SERVED_TOUCHPOINTS,
  capWindow,
  noticeVersionOf,
} from '../charter/index.js'
import type { Actor } from '../audit/index.js'
import type { ConsentDecision, ConsentPrompt } from './consent.js'
import {
  type ConsentContext,
  decideAll,
  decideConsent,
  progressivePrompt,
} from './consent.decision.js'
import { consentRatesByDay, ratePeriod } from './consent.rates.js'
import { encodeTcfString } from './consent.tcf.js'
import { createSessionConsent } from './consent.sessions.js'
import { createConsentCache } from './consent.cache.js'
import { type StoredConsentRecord, createConsentRepository } from './consent.repository.js'
import {
  type ConsentDeps,
  DEFAULT_LEVEL,
  type RequestSignals,
  type SettingsView,
  createConsentLedger,
  settingsView,
} from './consent.ledger.js'
import { createConsentChanges } from './consent.changes.js'

export type { ConsentDeps, RequestSignals, SettingsView, SubjectOf } from './consent.ledger.js'

export interface ConsentState {
  noticeVersion: string
  jurisdiction: string
  restricted: boolean
  decisions: ConsentDecision[]
  history: StoredConsentRecord[]
}

export type ConsentService = ReturnType<typeof createConsentService>

/**
 * The consent ledger and the decisions every module obeys. Records are only ever appended; every
 * decision is computed from the ledger at the moment it is asked, so a withdrawal decides the very next
 * request. Changes are written with their audit entry in one transaction.
 */
export function createConsentService(deps: ConsentDeps) {
  // Reads outside a transaction may be answered from the copies (`consent.cache.ts`).
  const repo = createConsentCache(createConsentRepository(deps.changes), deps.changes, deps.db)
  const { charter } = deps
  const noticeVersion = noticeVersionOf(charter)
  const ledger = createConsentLedger(deps, repo, noticeVersion)
  const { loadContext } = ledger

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
      return ledger.contextsFor(subjectIds, signals)
    },

    /**
     * Of these subjects, those the purpose is allowed for now, by the same decision as `decide` (no
     * request signals: a background reading of each ledger).
     */
    async allowedAmong(subjectIds: readonly string[], purpose: PurposeKey): Promise<Set<string>> {
      const out = new Set<string>()
      for (let i = 0; i < subjectIds.length; i += 500) {
        const page = subjectIds.slice(i, i + 500)
        const contexts = await ledger.contextsFor(page, {})
        for (const subjectId of page) {
          const context = contexts.get(subjectId)
          if (context !== undefined && decideConsent({ ...context, purpose }).allowed)
            out.add(subjectId)
        }
      }
      return out
    },

    /**
     * Every subject a consent-based purpose is allowed for now (`allowedAmong` over those with a grant
     * on record: such a purpose never defaults to opt-out, see `charter.rules.ts`).
     */
    async subjectsGranted(purpose: PurposeKey): Promise<string[]> {
      if (charter.purposes[purpose]?.legalBasis !== 'consent')
        throw new Error(`subjectsGranted: ${purpose} is not a consent-based purpose`)
      return service.subjectsWithGrant(purpose)
    },

    /**
     * Every subject with a grant of the purpose on record that it is still allowed for now, whatever its
     * legal basis: those who said yes themselves (an offer e-mail goes only to them, never on a default).
     */
    async subjectsWithGrant(purpose: PurposeKey): Promise<string[]> {
      const out: string[] = []
      for (let after = ''; ;) {
        const page = await repo.listSubjectsEverGranted(deps.db, purpose, after, 500)
        if (page.length === 0) return out
        const allowed = await service.allowedAmong(page, purpose)
        out.push(...page.filter((subjectId) => allowed.has(subjectId)))
        after = page.at(-1)!
      }
    },

    /** Records GPC opt-outs for a request that carries the signal; call before deciding anything. */
    async observeSignals(subjectId: string, signals: RequestSignals, actor: Actor): Promise<void> {
      if (signals.gpc !== true) return
      await deps.db.transaction().execute((trx) => ledger.applyGpc(trx, subjectId, signals, actor))
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

    async getSettings(
      subjectId: string | undefined,
      signals: RequestSignals,
    ): Promise<SettingsView> {
      const { context, settings, ledger: read } = await loadContext(deps.db, subjectId, signals)
      const level = settings?.level ?? DEFAULT_LEVEL
      if (read === undefined || !deps.changes.cacheable) return settingsView(context, level)
      return ledger.decidedFor(read, context, level)
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
      const shown = await repo.listPromptsShown(deps.db, subjectId)
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

    ...createConsentChanges(deps, repo, ledger, noticeVersion),
  }
  return {
    ...service,
    /** The same ledger and decision for anonymous visits, by session pseudonym. */
    sessions: createSessionConsent(charter, deps.sessions, service),
  }
}
