/**
 * Transcripts: a turn of a conversation (the message, the reply, the items shown) is kept only under
 * the charter purpose `personalize.assistant`, for a shopper (or visit) whose consent allows it now,
 * under their pseudonymous owner id, until the purpose's retention ends (a visit's end, if sooner).
 * Without the grant nothing of the conversation is written anywhere. Exported and erased with the
 * subject (`assistant.participant.ts`), swept by retention.
 */
import { DAY_MS } from '../../lib/clock.js'
import type { Clock } from '../../lib/clock.js'
import { newSortableId } from '../../lib/ids.js'
import type { Db } from '../../storage/db.js'
import type { Actor, AuditLog } from '../audit/index.js'
import { type Charter, findPurpose } from '../charter/index.js'
import type { ConsentService, RequestSignals } from '../consent/index.js'
import type { IdentityService } from '../identity/index.js'
import type { SessionService } from '../session/index.js'
import { createAssistantRepository } from './assistant.repository.js'
import {
  ASSISTANT_DATA_CATEGORY,
  ASSISTANT_PURPOSE,
  type AssistantAnswer,
  type AssistantMessage,
} from './assistant.js'

export interface TranscriptDeps {
  db: Db
  clock: Clock
  charter: Charter
  audit: AuditLog
  consent: Pick<ConsentService, 'decide'>
  identity: Pick<IdentityService, 'findSubjectId'>
  session: Pick<SessionService, 'keyOf' | 'liveKey' | 'openNow'>
}

export type Transcripts = ReturnType<typeof createTranscripts>

export function createTranscripts(deps: TranscriptDeps) {
  const repo = createAssistantRepository()
  const purpose = findPurpose(deps.charter, ASSISTANT_PURPOSE)
  // A charter without the purpose (or whose purpose does not declare searches) keeps nothing.
  const usable =
    purpose !== undefined && purpose.dataCategories.includes(ASSISTANT_DATA_CATEGORY)
      ? purpose
      : undefined

  /** Whose the turn would be and whether consent allows keeping it now; nothing is created. */
  async function ownerOf(message: AssistantMessage, signals: RequestSignals) {
    if (message.subject !== undefined) {
      const subjectId = await deps.identity.findSubjectId(message.subject)
      if (subjectId === undefined) return undefined
      const decision = await deps.consent.decide(subjectId, ASSISTANT_PURPOSE, signals)
      return decision.allowed ? { owner: subjectId, subjectId, sessionKey: undefined } : undefined
    }
    if (message.session === undefined) return undefined
    const sessionKey = deps.session.keyOf(message.session)
    const live = await deps.session.liveKey(sessionKey)
    if (live === undefined) return undefined
    const decision = await deps.consent.decide(live, ASSISTANT_PURPOSE, signals)
    return decision.allowed ? { owner: sessionKey, subjectId: undefined, sessionKey } : undefined
  }

  return {
    /** Whether this shopper's conversation may be kept now (their grant of the purpose). */
    async allowed(message: AssistantMessage, signals: RequestSignals): Promise<boolean> {
      return usable !== undefined && (await ownerOf(message, signals)) !== undefined
    },

    /** Keeps the turn if consent allows it now; true if kept. */
    async keep(
      message: AssistantMessage,
      answer: AssistantAnswer,
      signals: RequestSignals,
      actor: Actor,
    ): Promise<boolean> {
      if (usable === undefined) return false
      const who = await ownerOf(message, signals)
      if (who === undefined) return false
      const now = deps.clock.now()
      let expiresAt = new Date(now.getTime() + usable.retentionDays * DAY_MS).toISOString()
      if (who.sessionKey !== undefined) {
        const visit = await deps.session.openNow(who.sessionKey)
        if (visit.expiresAt < expiresAt) expiresAt = visit.expiresAt
      }
      await deps.db.transaction().execute(async (trx) => {
        await repo.insertTurn(trx, who.owner, {
          conversationId: answer.conversationId,
          id: newSortableId('turn', now.getTime()),
          text: message.text,
          reply: answer.reply,
          items: answer.items.map((i) => ({ id: i.id, title: i.title })),
          level: answer.level,
          createdAt: now.toISOString(),
          expiresAt,
        })
        await deps.audit.record(trx, {
          actor,
          action: 'assistant.kept',
          subjectId: who.subjectId ?? null,
          details: { purpose: ASSISTANT_PURPOSE },
        })
      })
      return true
    },

    async exportSubject(subjectId: string) {
      return { turns: await repo.listOwnerTurns(deps.db, subjectId) }
    },

    async eraseSubject(executor: Db, subjectId: string) {
      return { assistantTurns: await repo.deleteOwnerTurns(executor, subjectId) }
    },

    async deleteExpired(executor: Db, now: Date) {
      return { assistantTurns: await repo.deleteExpired(executor, now.toISOString()) }
    },
  }
}
