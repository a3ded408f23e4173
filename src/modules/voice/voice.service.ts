/**
 * The voice of the customer: intake (reviews, survey answers, feedback on personalization) under a
 * charter purpose, the analysis stored with each entry, daily trends for analysts, the live alerts, and
 * the module's part in rights and retention. The rules of intake are all in `submit`.
 */
import { DAY_MS } from '../../lib/clock.js'
import type { Clock } from '../../lib/clock.js'
import { AppError } from '../../lib/errors.js'
import { newSortableId } from '../../lib/ids.js'
import type { Db } from '../../storage/db.js'
import type { Actor, AuditLog } from '../audit/index.js'
import { type Charter, type PurposeKey, findPurpose } from '../charter/index.js'
import type { ConsentService, RequestSignals } from '../consent/index.js'
import { findPersonalData } from '../events/index.js'
import type { IdentityService } from '../identity/index.js'
import type { RecommendService } from '../recommend/index.js'
import type { SessionService } from '../session/index.js'
import { type AlertTarget, createVoiceAlerts } from './voice.alerts.js'
import { analyze } from './voice.analysis.js'
import type { CusumOptions } from './voice.cusum.js'
import { type FeedListener, createVoiceFeed, feedEntryOf } from './voice.feed.js'
import { createVoiceRepository } from './voice.repository.js'
import { measureRepresentativeness } from './voice.respondents.js'
import { createSurveysService } from './voice.surveys.service.js'
import type { ActiveSurveyQuery, SurveyInput } from './voice.surveys.js'
import { dailyTrends, negativeItems } from './voice.trends.js'
import {
  DEFAULT_VOICE_PURPOSE,
  SCANNED_FIELDS,
  VOICE_DATA_CATEGORY,
  type NegativeItems,
  type Trends,
  type VoiceEntry,
  type VoiceInput,
  type VoiceReceipt,
} from './voice.js'

export interface VoiceDeps {
  db: Db
  clock: Clock
  charter: Charter
  audit: AuditLog
  identity: Pick<IdentityService, 'findSubjectId' | 'ensureSubjectId' | 'listSubjects'>
  consent: Pick<ConsentService, 'decide' | 'getSettings'>
  session: Pick<SessionService, 'keyOf' | 'liveKey' | 'openNow'>
  /**
   * The recommend module's feedback: a low rating of an item hides it for that shopper, through the
   * same "not this" an answer's link records (absent: ratings change no recommendation).
   */
  recommend?: Pick<RecommendService, 'feedback'> & Partial<Pick<RecommendService, 'ratingsChanged'>>
  /** CANDOR_VOICE_WEBHOOK_URL: where spike alerts are posted (undefined: kept, not posted). */
  webhookUrl: string | undefined
  cusum?: CusumOptions
}

/** A rating at or below this hides the rated item for the shopper who gave it. */
export const HIDING_RATING = 2

/** The longest trends range, in days. */
export const MAX_TREND_DAYS = 366

const PII_NAMES = {
  email: 'an email address',
  phone: 'a phone number',
  card: 'a payment card number',
}

/** Refuses a text field that looks like it holds personal data, naming the field, never the text. */
function assertNoPersonalData(input: VoiceInput): void {
  for (const field of SCANNED_FIELDS) {
    const value = input[field]
    if (value === undefined) continue
    const kind = findPersonalData(value)
    if (kind !== undefined) {
      throw new AppError('validation_failed', `The ${field} looks like it holds personal data`, {
        issues: [
          {
            field: `body.${field}`,
            reason: `looks like it holds personal data (${PII_NAMES[kind]}): send it without`,
          },
        ],
      })
    }
  }
}

/** The purpose voice rests on: declared by the charter, with the feedback data category. */
function voicePurpose(charter: Charter, key: string) {
  const purpose = findPurpose(charter, key)
  if (purpose === undefined || !purpose.dataCategories.includes(VOICE_DATA_CATEGORY)) {
    throw new AppError('validation_failed', 'This purpose cannot carry customer feedback', {
      issues: [
        {
          field: 'body.purpose',
          reason: `must be a charter purpose that declares ${VOICE_DATA_CATEGORY}`,
        },
      ],
    })
  }
  return purpose
}

export type VoiceService = ReturnType<typeof createVoiceService>

export function createVoiceService(deps: VoiceDeps) {
  const repo = createVoiceRepository()
  const alerts = createVoiceAlerts({
    db: deps.db,
    clock: deps.clock,
    repo,
    webhookUrl: deps.webhookUrl,
    ...(deps.cusum === undefined ? {} : { cusum: deps.cusum }),
  })
  const feed = createVoiceFeed()
  const surveys = createSurveysService(deps)
  // Alert checks run after the answer; `idle` lets a test or a closing server wait for them.
  const inFlight = new Set<Promise<unknown>>()

  /** The owner an entry is kept under and what consent says for it, without creating anybody. */
  async function ownerOf(input: VoiceInput, purpose: PurposeKey, signals: RequestSignals) {
    if (input.subject !== undefined) {
      const subjectId = await deps.identity.findSubjectId(input.subject)
      const decision = await deps.consent.decide(subjectId, purpose, signals)
      return { subjectId, sessionKey: undefined, decision }
    }
    const sessionKey = deps.session.keyOf(input.session!)
    const decision = await deps.consent.decide(
      await deps.session.liveKey(sessionKey),
      purpose,
      signals,
    )
    return { subjectId: undefined, sessionKey, decision }
  }

  function watch(targets: AlertTarget[]) {
    if (targets.length === 0) return
    const check = alerts
      .check(targets)
      .then((raised) => raised.forEach((alert) => feed.publish({ type: 'alert', alert })))
      .catch(() => undefined)
    inFlight.add(check)
    void check.finally(() => inFlight.delete(check))
  }

  return {
    /**
     * Takes one review, survey answer or feedback: refused (nothing stored) when a text holds personal
     * data, the purpose cannot carry feedback, or consent does not allow the purpose for its owner.
     * Kept under the owner's pseudonym until the purpose's retention ends (an anonymous visit's: when
     * the visit does, if sooner). A negative entry starts the spike check for its item and aspects.
     */
    async submit(input: VoiceInput, signals: RequestSignals, actor: Actor): Promise<VoiceReceipt> {
      assertNoPersonalData(input)
      // A survey answer: the survey runs, the question is its own, the answer fits (400 otherwise).
      const survey = input.kind === 'survey' ? await surveys.checkAnswer(input) : undefined
      const purposeKey: PurposeKey = input.purpose ?? survey?.purpose ?? DEFAULT_VOICE_PURPOSE
      const purpose = voicePurpose(deps.charter, purposeKey)
      const owner = await ownerOf(input, purposeKey, signals)
      if (!owner.decision.allowed) {
        throw new AppError('consent_required', `No lawful basis on record for ${purposeKey}`, {
          details: { purpose: purposeKey, reason: owner.decision.reason },
        })
      }
      const answeredBy = owner.sessionKey ?? owner.subjectId
      if (survey !== undefined && answeredBy !== undefined)
        await surveys.assertNotAnswered(deps.db, answeredBy, survey.id, input.question!)
      const now = deps.clock.now()
      let expiresAt = new Date(now.getTime() + purpose.retentionDays * DAY_MS).toISOString()
      if (owner.sessionKey !== undefined) {
        const visit = await deps.session.openNow(owner.sessionKey)
        if (visit.expiresAt < expiresAt) expiresAt = visit.expiresAt
      }
      const analysis = analyze(input.text, input.rating)
      const entry: VoiceEntry = {
        id: newSortableId('voc', now.getTime()),
        kind: input.kind,
        purpose: purposeKey,
        item: input.item ?? null,
        rating: input.rating ?? null,
        survey: input.survey ?? null,
        question: input.question ?? null,
        answer: input.answer ?? null,
        text: input.text ?? null,
        ...analysis,
        createdAt: now.toISOString(),
        expiresAt,
      }
      await deps.db.transaction().execute(async (trx) => {
        // A known shopper's reference only: `ownerOf` found the subject (consent needs one on record).
        const ownerId =
          owner.sessionKey ??
          owner.subjectId ??
          (await deps.identity.ensureSubjectId(input.subject!, trx))
        await repo.insertEntry(trx, ownerId, entry)
        await deps.audit.record(trx, {
          actor,
          action: 'voice.received',
          subjectId: owner.subjectId ?? null,
          details: { kind: input.kind, purpose: purposeKey },
        })
      })
      // After the entry: the hide is recorded (and audited) by the recommend module's own transaction.
      if (
        deps.recommend !== undefined &&
        entry.item !== null &&
        entry.rating !== null &&
        entry.rating <= HIDING_RATING
      ) {
        const who =
          input.subject !== undefined ? { subject: input.subject } : { session: input.session! }
        await deps.recommend.feedback({ ...who, kind: 'not_interested', item: entry.item }, actor)
      }
      // An item's rating moves its rating weight: this process's copy of the summary is read again.
      if (entry.item !== null && entry.rating !== null) deps.recommend?.ratingsChanged?.()
      feed.publish({ type: 'entry', entry: feedEntryOf(entry) })
      if (analysis.negative) {
        watch([
          ...(entry.item === null ? [] : [{ kind: 'item' as const, item: entry.item }]),
          ...analysis.aspects.map((aspect) => ({ kind: 'aspect' as const, aspect })),
        ])
      }
      return {
        id: entry.id,
        purpose: purposeKey,
        sentiment: analysis.sentiment,
        aspects: analysis.aspects,
        negative: analysis.negative,
        expiresAt,
      }
    },

    /**
     * Per item, the count, sum and low ones (at or below `low`) of its 1-5 ratings since `since`: the
     * aggregate the recommend module's rating weight reads (no shopper, no text).
     */
    itemRatings: (since: string, low: number) => repo.itemRatingsSince(deps.db, since, low),

    /** Entries, negatives, mean sentiment and rating, and aspect counts per UTC day. */
    async trends(query: {
      from?: string | undefined
      to?: string | undefined
      item?: string | undefined
    }): Promise<Trends> {
      const to = query.to ?? deps.clock.now().toISOString().slice(0, 10)
      const from = query.from ?? new Date(Date.parse(to) - 29 * DAY_MS).toISOString().slice(0, 10)
      const days = (Date.parse(to) - Date.parse(from)) / DAY_MS + 1
      if (days < 1 || days > MAX_TREND_DAYS) {
        throw new AppError('validation_failed', 'The range of days is not valid', {
          issues: [
            {
              field: 'querystring.from',
              reason: `must be on or before to, at most ${MAX_TREND_DAYS} days before it`,
            },
          ],
        })
      }
      const signals = await repo.listSignals(
        deps.db,
        { from: `${from}T00:00:00.000Z`, to: new Date(Date.parse(to) + DAY_MS).toISOString() },
        query.item === undefined ? {} : { item: query.item },
      )
      return { from, to, item: query.item ?? null, days: dailyTrends(signals, from, to) }
    },

    /** The items with negative entries in the last `days` days, most negatives first. */
    async negativeItems(days: number, limit: number): Promise<NegativeItems> {
      const to = deps.clock.now()
      const from = new Date(to.getTime() - days * DAY_MS)
      const signals = await repo.listSignals(deps.db, {
        from: from.toISOString(),
        to: new Date(to.getTime() + 1).toISOString(),
      })
      return {
        from: from.toISOString(),
        to: to.toISOString(),
        items: negativeItems(signals, limit),
      }
    },

    /** The live feed of entries and alerts taken by this process (`GET /v1/voice/feed`). */
    feed: { subscribe: (listener: FeedListener) => feed.subscribe(listener) },

    /** Respondents of the last `days` days compared with the shopper base (jurisdiction, level, tenure). */
    representativeness: (days = 30) =>
      measureRepresentativeness(
        { db: deps.db, repo, identity: deps.identity, consent: deps.consent },
        deps.clock.now(),
        days,
      ),

    /** The alerts raised, newest first. */
    alerts: (limit = 50) => alerts.list(limit),

    /** Waits for the alert checks started so far (tests, and a server closing). */
    async idle(): Promise<void> {
      while (inFlight.size > 0) await Promise.all([...inFlight])
    },

    /** Surveys staff define, the one to show a shopper now, and the answers counted. */
    surveys: {
      define: (input: SurveyInput, actor: Actor) => surveys.define(input, actor),
      list: () => surveys.list(),
      active: (query: ActiveSurveyQuery, signals: RequestSignals) => surveys.active(query, signals),
    },

    async exportSubject(subjectId: string) {
      return {
        entries: await repo.listOwnerEntries(deps.db, subjectId),
        surveysShown: await surveys.exportOwner(subjectId),
      }
    },

    async eraseSubject(executor: Db, subjectId: string) {
      return {
        voiceEntries: await repo.deleteOwnerEntries(executor, subjectId),
        surveyImpressions: await surveys.eraseOwner(executor, subjectId),
      }
    },

    async deleteExpired(executor: Db, now: Date) {
      return {
        voiceEntries: await repo.deleteExpired(executor, now.toISOString()),
        surveyImpressions: await surveys.deleteExpired(executor, now),
      }
    },
  }
}
