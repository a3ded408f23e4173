/**
 * The consent service's writes: grants and withdrawals, the personalization level, TCF imports, and the
 * rights requests' restriction, objection and erasure. Each change is appended to the ledger
 * (`consent.ledger.ts`) with its audit entry in one transaction (the caller's, for the rights requests);
 * what a change means for processing is decided in `consent.decision.ts`.
 */
import { AppError } from '../../lib/errors.js'
import type { Db } from '../../storage/db.js'
import type { Actor } from '../audit/index.js'
import { type PurposeKey, findPurpose } from '../charter/index.js'
import type { ConsentChange, ConsentDecision, PersonalizationLevel } from './consent.js'
import { decideConsent } from './consent.decision.js'
import { buildConsentRecord } from './consent.record.js'
import { decodeTcfString } from './consent.tcf.js'
import type { StoredConsentRecord, SubjectSettings } from './consent.repository.js'
import {
  type ConsentDeps,
  type ConsentLedger,
  type ConsentRepository,
  DEFAULT_LEVEL,
  type RequestSignals,
  type SettingsView,
  type SubjectOf,
  resolveSubject,
  settingsView,
} from './consent.ledger.js'

/** Refuses a jurisdiction the charter does not declare, naming the field. */
function assertJurisdiction(deps: ConsentDeps, jurisdiction: string | undefined) {
  const { charter } = deps
  if (jurisdiction !== undefined && charter.jurisdictions[jurisdiction] === undefined) {
    throw new AppError('validation_failed', 'The jurisdiction is not one the charter declares', {
      issues: [
        {
          field: 'body.jurisdiction',
          reason: `must be one of ${Object.keys(charter.jurisdictions).join(', ')}`,
        },
      ],
    })
  }
}

export function createConsentChanges(
  deps: ConsentDeps,
  repo: ConsentRepository,
  ledger: ConsentLedger,
  noticeVersion: string,
) {
  const { charter } = deps
  const { loadContext, appendRecords, applyGpc } = ledger

  return {
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
        if (change.decision === 'denied') await deps.onWithdrawal?.(trx, subjectId, purpose)
        const { context } = await loadContext(trx, subjectId, signals)
        return { record: stored!, decision: decideConsent({ ...context, purpose }) }
      })
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
      assertJurisdiction(deps, input.jurisdiction)
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

    /** Deletes the subject's ledger, settings and prompts; returns how many records went. */
    async eraseSubject(executor: Db, subjectId: string): Promise<{ consentRecords: number }> {
      return { consentRecords: await repo.deleteSubject(executor, subjectId) }
    },
  }
}
