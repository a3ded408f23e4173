/**
 * Surveys: staff define them (checked against the charter), a storefront is told the one to show a
 * shopper now (only under the survey's purpose as they allowed it, sampled, within the cap, without the
 * questions they answered), and the voice intake checks each answer against its question.
 */
import { createHash } from 'node:crypto'
import { DAY_MS } from '../../lib/clock.js'
import type { Clock } from '../../lib/clock.js'
import { AppError } from '../../lib/errors.js'
import type { Db } from '../../storage/db.js'
import type { Actor, AuditLog } from '../audit/index.js'
import { type Charter, findPurpose } from '../charter/index.js'
import type { ConsentService, RequestSignals } from '../consent/index.js'
import type { IdentityService } from '../identity/index.js'
import type { SessionService } from '../session/index.js'
import { createSurveyRepository } from './voice.surveys.repository.js'
import type {
  ActiveReason,
  ActiveSurvey,
  ActiveSurveyQuery,
  Survey,
  SurveyInput,
  SurveyQuestion,
} from './voice.surveys.js'
import { VOICE_DATA_CATEGORY, type VoiceInput } from './voice.js'

export interface SurveysDeps {
  db: Db
  clock: Clock
  charter: Charter
  audit: AuditLog
  identity: Pick<IdentityService, 'findSubjectId'>
  consent: Pick<ConsentService, 'decide'>
  session: Pick<SessionService, 'keyOf' | 'liveKey'>
}

interface Issue {
  field: string
  reason: string
}

function refuse(issues: Issue[]): never {
  throw new AppError('validation_failed', `${issues[0]!.field}: ${issues[0]!.reason}`, { issues })
}

/** The problems of a definition: its purpose, schedule, and repeated question ids or options. */
function definitionIssues(charter: Charter, input: SurveyInput): Issue[] {
  const issues: Issue[] = []
  const purpose = findPurpose(charter, input.purpose)
  if (purpose === undefined)
    issues.push({ field: 'body.purpose', reason: 'the charter declares no such purpose' })
  else if (!purpose.dataCategories.includes(VOICE_DATA_CATEGORY))
    issues.push({ field: 'body.purpose', reason: `must declare ${VOICE_DATA_CATEGORY}` })
  else if (purpose.specialCategory !== undefined)
    issues.push({
      field: 'body.purpose',
      reason: 'a survey may not rest on a purpose that unlocks a special category',
    })
  const { from, until } = input.schedule
  if (from !== undefined && until !== undefined && Date.parse(until) <= Date.parse(from))
    issues.push({ field: 'body.schedule.until', reason: 'must be later than from' })
  const ids = new Set<string>()
  input.questions.forEach((q, i) => {
    if (ids.has(q.id))
      issues.push({ field: `body.questions.${i}.id`, reason: 'another question has this id' })
    ids.add(q.id)
    if (q.kind !== 'choice') return
    const seen = new Set<string>()
    q.options.forEach((option, k) => {
      if (seen.has(option))
        issues.push({ field: `body.questions.${i}.options.${k}`, reason: 'repeats an option' })
      seen.add(option)
    })
  })
  return issues
}

/** Whether the answer fits its question's kind; the field that is wrong otherwise. */
function answerIssues(question: SurveyQuestion, input: VoiceInput): Issue[] {
  const extra = (field: 'answer' | 'rating' | 'text') =>
    input[field] === undefined
      ? []
      : [{ field: `body.${field}`, reason: `a ${question.kind} question takes no ${field}` }]
  if (question.kind === 'choice') {
    const fits = input.answer !== undefined && question.options.includes(input.answer)
    return [
      ...(fits
        ? []
        : [
            {
              field: 'body.answer',
              reason: `must be one of the options: ${question.options.join(', ')}`,
            },
          ]),
      ...extra('rating'),
      ...extra('text'),
    ]
  }
  if (question.kind === 'rating')
    return [
      ...(input.rating === undefined
        ? [{ field: 'body.rating', reason: 'a rating question is answered with a rating 1-5' }]
        : []),
      ...extra('answer'),
      ...extra('text'),
    ]
  return [
    ...(input.text === undefined
      ? [{ field: 'body.text', reason: 'a text question is answered with text' }]
      : []),
    ...extra('answer'),
    ...extra('rating'),
  ]
}

/** Whether a survey runs now: active and within its schedule. */
function isRunning(survey: Survey, now: Date): boolean {
  const t = now.getTime()
  return (
    survey.active &&
    (survey.schedule.from === undefined || Date.parse(survey.schedule.from) <= t) &&
    (survey.schedule.until === undefined || Date.parse(survey.schedule.until) > t)
  )
}

/**
 * Whether an owner is in a survey's sample: the first 32 bits of SHA-256 over the survey and the owner
 * (already a pseudonym), as a fraction, below the rate. The same owner is always in or always out.
 */
export function inSample(surveyId: string, owner: string, rate: number): boolean {
  if (rate >= 1) return true
  const digest = createHash('sha256').update(`${surveyId}\u0000${owner}`).digest()
  return digest.readUInt32BE(0) / 2 ** 32 < rate
}

/** Answers counted per question: per choice, per rating, or `answered` for text. */
function countAnswers(
  survey: Survey,
  answers: { question: string | null; answer: string | null; rating: number | null }[],
): Record<string, Record<string, number>> {
  const counts: Record<string, Record<string, number>> = {}
  for (const q of survey.questions) {
    const keys =
      q.kind === 'choice'
        ? q.options
        : q.kind === 'rating'
          ? ['1', '2', '3', '4', '5']
          : ['answered']
    counts[q.id] = Object.fromEntries(keys.map((k) => [k, 0]))
  }
  for (const a of answers) {
    const bucket = a.question === null ? undefined : counts[a.question]
    if (bucket === undefined) continue
    const key = a.answer ?? (a.rating === null ? 'answered' : String(a.rating))
    if (Object.hasOwn(bucket, key)) bucket[key] = (bucket[key] ?? 0) + 1
    else if (Object.hasOwn(bucket, 'answered')) bucket.answered = (bucket.answered ?? 0) + 1
  }
  return counts
}

/**
 * How long one showing lasts: asked again within it (another page of the same visit, a reload, the
 * page asking again after the shopper's choices), the survey shows again; after it, the cap holds.
 */
export const SHOWING_MS = 30 * 60_000

export type SurveysService = ReturnType<typeof createSurveysService>

export function createSurveysService(deps: SurveysDeps) {
  const repo = createSurveyRepository()

  /** The owner key (subject id or visit key) and whether the survey's purpose is allowed for it. */
  async function ownerOf(query: ActiveSurveyQuery, purpose: string, signals: RequestSignals) {
    if (query.subject !== undefined) {
      const subjectId = await deps.identity.findSubjectId(query.subject)
      if (subjectId === undefined) return { owner: undefined, allowed: false }
      const decision = await deps.consent.decide(subjectId, purpose, signals)
      return { owner: subjectId, allowed: decision.allowed }
    }
    const sessionKey = deps.session.keyOf(query.session!)
    const live = await deps.session.liveKey(sessionKey)
    const decision = await deps.consent.decide(live, purpose, signals)
    return { owner: sessionKey, allowed: decision.allowed }
  }

  /** Whether `survey` may show to the shopper now, and its questions they have not answered. */
  async function judge(
    survey: Survey,
    query: ActiveSurveyQuery,
    signals: RequestSignals,
    now: Date,
  ): Promise<{
    reason: ActiveReason
    owner?: string
    questions?: SurveyQuestion[]
    fresh?: boolean
  }> {
    // Consent first: nothing is read about a shopper for a purpose they have not allowed.
    const { owner, allowed } = await ownerOf(query, survey.purpose, signals)
    if (!allowed || owner === undefined) return { reason: 'not_allowed' }
    if (!inSample(survey.id, owner, survey.sampleRate)) return { reason: 'not_sampled' }
    const answered = await repo.answeredQuestions(deps.db, owner, survey.id)
    const questions = survey.questions.filter((q) => !answered.has(q.id))
    if (questions.length === 0) return { reason: 'answered' }
    if (survey.capDays === 0) return { reason: 'shown', owner, questions, fresh: false }
    const shownAt = await repo.shownAt(deps.db, owner, survey.id, now.toISOString())
    if (shownAt === undefined) return { reason: 'shown', owner, questions, fresh: true }
    // Still the same showing (another page of the visit, a reload): shown again, not recorded again.
    if (now.getTime() - Date.parse(shownAt) < SHOWING_MS)
      return { reason: 'shown', owner, questions, fresh: false }
    return { reason: 'capped' }
  }

  return {
    /**
     * Defines (or replaces) a survey. Refused with every problem named by field (a purpose the charter
     * does not declare or that cannot carry feedback, a schedule that ends before it starts, repeated
     * question ids or options); nothing is written then. Audited.
     */
    async define(input: SurveyInput, actor: Actor): Promise<Survey> {
      const issues = definitionIssues(deps.charter, input)
      if (issues.length > 0) refuse(issues)
      const now = deps.clock.now().toISOString()
      const { from, until } = input.schedule
      const schedule = {
        ...(from === undefined ? {} : { from: new Date(from).toISOString() }),
        ...(until === undefined ? {} : { until: new Date(until).toISOString() }),
      }
      return deps.db.transaction().execute(async (trx) => {
        const saved = await repo.upsert(trx, { ...input, schedule, createdAt: now, updatedAt: now })
        await deps.audit.record(trx, {
          actor,
          action: 'surveys.defined',
          subjectId: null,
          details: { id: input.id, purpose: input.purpose },
        })
        return saved
      })
    },

    /** Every survey, with its answers counted per question (no shopper, no text). */
    async list() {
      const surveys = await repo.list(deps.db)
      return Promise.all(
        surveys.map(async (s) => ({
          ...s,
          answers: countAnswers(s, await repo.listAnswers(deps.db, s.id)),
        })),
      )
    },

    /**
     * The survey to show a shopper (or visit) in a context now, highest priority first; showing it is
     * recorded for its cap. None, with the first candidate's reason, when no survey may show.
     */
    async active(query: ActiveSurveyQuery, signals: RequestSignals): Promise<ActiveSurvey> {
      const now = deps.clock.now()
      const running = (await repo.listScheduled(deps.db, now.toISOString()))
        .filter((s) => isRunning(s, now) && s.contexts.includes(query.context))
        .sort((a, b) => b.priority - a.priority || (a.id < b.id ? -1 : 1))
      let first: ActiveReason | undefined
      for (const survey of running) {
        const verdict = await judge(survey, query, signals, now)
        if (verdict.reason !== 'shown') {
          first ??= verdict.reason
          continue
        }
        if (verdict.fresh === true) {
          const retention = findPurpose(deps.charter, survey.purpose)?.retentionDays ?? 0
          const days = Math.min(survey.capDays, Math.max(retention, 1))
          await repo.recordShown(deps.db, {
            owner: verdict.owner!,
            survey: survey.id,
            shownAt: now.toISOString(),
            expiresAt: new Date(now.getTime() + days * DAY_MS).toISOString(),
          })
        }
        const { id, title, purpose } = survey
        return { survey: { id, title, purpose, questions: verdict.questions! }, reason: 'shown' }
      }
      return { survey: null, reason: first ?? 'none_running' }
    },

    /**
     * Checks a survey answer before the voice intake keeps it: the survey exists and runs now, the
     * question is one of its own, the purpose (if named) is the survey's, and the answer fits the
     * question's kind. Gives the survey; a 400 naming the field otherwise.
     */
    async checkAnswer(input: VoiceInput): Promise<Survey> {
      const survey = await repo.find(deps.db, input.survey!)
      if (survey === undefined) refuse([{ field: 'body.survey', reason: 'no such survey' }])
      if (!isRunning(survey, deps.clock.now()))
        refuse([{ field: 'body.survey', reason: 'the survey is not running now' }])
      const question = survey.questions.find((q) => q.id === input.question)
      if (question === undefined)
        refuse([{ field: 'body.question', reason: 'the survey has no such question' }])
      if (input.purpose !== undefined && input.purpose !== survey.purpose)
        refuse([{ field: 'body.purpose', reason: `the survey rests on ${survey.purpose}` }])
      const issues = answerIssues(question, input)
      if (issues.length > 0) refuse(issues)
      return survey
    },

    /** Refuses a second answer to the same question from the same owner (409). */
    async assertNotAnswered(executor: Db, owner: string, survey: string, question: string) {
      if ((await repo.answeredQuestions(executor, owner, survey)).has(question))
        throw new AppError('conflict', 'This question of the survey is answered already', {
          issues: [{ field: 'body.question', reason: 'answered already by this shopper' }],
        })
    },

    exportOwner: (owner: string) => repo.listOwnerImpressions(deps.db, owner),
    eraseOwner: (executor: Db, owner: string) => repo.deleteOwnerImpressions(executor, owner),
    deleteExpired: (executor: Db, now: Date) =>
      repo.deleteExpiredImpressions(executor, now.toISOString()),
  }
}
