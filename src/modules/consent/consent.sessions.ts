/**
 * Consent for anonymous visits: the same ledger and the same decision as for subjects, with the
 * session's pseudonym as the owner. A visitor decides only session-scoped purposes (`retentionDays: 0`);
 * their records last as long as the session (the session module deletes them with it), and once the
 * session ended or expired only the defaults decide.
 */
import { AppError } from '../../lib/errors.js'
import type { Actor } from '../audit/index.js'
import { type Charter, type PurposeKey, findPurpose } from '../charter/index.js'
import type { SessionService } from '../session/index.js'
import type { ConsentChange, ConsentDecision } from './consent.js'
import type { StoredConsentRecord } from './consent.repository.js'
import type { ConsentState, RequestSignals } from './consent.service.js'

/** What the session consent needs of the session module. */
export type SessionsPort = Pick<SessionService, 'keyOf' | 'openNow' | 'liveKey'>

/** What it needs of the subject ledger: the same functions, given a session pseudonym as the owner. */
interface Ledger {
  decide(
    owner: string | undefined,
    purpose: PurposeKey,
    signals?: RequestSignals,
  ): Promise<ConsentDecision>
  state(owner: string | undefined, signals: RequestSignals): Promise<ConsentState>
  recordChange(
    owner: string,
    purpose: PurposeKey,
    change: ConsentChange,
    signals: RequestSignals,
    actor: Actor,
  ): Promise<{ record: StoredConsentRecord; decision: ConsentDecision }>
}

/** Refuses a purpose an anonymous visit cannot decide: one kept beyond the visit. */
function assertSessionPurpose(charter: Charter, purpose: PurposeKey) {
  const declared = findPurpose(charter, purpose)
  if (declared !== undefined && declared.retentionDays !== 0) {
    throw new AppError(
      'validation_failed',
      'An anonymous session can only decide session-scoped purposes',
      {
        issues: [
          {
            field: 'params.purpose',
            reason: `must be a purpose kept only for the visit (${Object.entries(charter.purposes)
              .filter(([, p]) => p.retentionDays === 0)
              .map(([k]) => k)
              .join(', ')})`,
          },
        ],
      },
    )
  }
}

export function createSessionConsent(charter: Charter, sessions: SessionsPort, ledger: Ledger) {
  return {
    /**
     * An anonymous visitor's choice for a session-scoped purpose, kept in the consent ledger under the
     * session pseudonym until the session ends or expires (24 hours after it started).
     */
    async recordChange(
      sessionId: string,
      purpose: PurposeKey,
      change: ConsentChange,
      signals: RequestSignals,
      actor: Actor,
    ) {
      assertSessionPurpose(charter, purpose)
      const key = sessions.keyOf(sessionId)
      const session = await sessions.openNow(key)
      const result = await ledger.recordChange(key, purpose, change, signals, actor)
      return { ...result, expiresAt: session.expiresAt }
    },

    /** The consent state of an anonymous session (defaults only once it has ended or expired). */
    async state(sessionId: string, signals: RequestSignals): Promise<ConsentState> {
      return ledger.state(await sessions.liveKey(sessions.keyOf(sessionId)), signals)
    },

    /**
     * May an anonymous session be processed for `purpose` now? (The per-request question of serving.)
     * Asked with the session's pseudonym (the session module's `keyOf`), which the caller already made.
     */
    async decide(
      sessionKey: string,
      purpose: PurposeKey,
      signals: RequestSignals,
    ): Promise<ConsentDecision> {
      return ledger.decide(await sessions.liveKey(sessionKey), purpose, signals)
    },
  }
}
