/**
 * The answer to "what should this shopper see?", in the order its rules apply: the level (the shopper's
 * setting and consent, then the charter's frequency cap), the experiment variant if the shopper is
 * enrolled in one (`answer-variant.ts`), the guards (stock, category, special
 * categories, feedback, the page's items), the engine at that level, and each item's explanation. It
 * returns a typed value; the routes file writes it as HTTP (links, JSON: `recommend.representation.ts`).
 */
import type { Clock } from '../../lib/clock.js'
import { AppError } from '../../lib/errors.js'
import { newSortableId } from '../../lib/ids.js'
import type { ChangeFeed } from '../../storage/changes.js'
import type { Charter } from '../charter/index.js'
import { SERVED_TOUCHPOINTS } from '../charter/index.js'
import type {
  ConsentPrompt,
  ConsentService,
  PersonalizationLevel,
  RequestSignals,
} from '../consent/index.js'
import type { EventsService } from '../events/index.js'
import type { IdentityService } from '../identity/index.js'
import {
  type Guards,
  type History,
  type ItemModel,
  type Recommendation,
  addNewInCategory,
  answerPersonal,
  recommendNonPersonal,
  recommendSession,
  SESSION_OFF_DEPTH,
} from './engine/index.js'
import { type ExplainedItem, type ExplainSource, explain } from './explanations.js'
import type { AnswerLog } from './answer-log.js'
import {
  type AnswerVariant,
  type VariantSource,
  decideVariant,
  modelFor,
} from './answer-variant.js'
import { type HistoryRead, answerSegment } from './answer-segment.js'
import type { FeedbackStore, FeedbackView, Owner } from './feedback.js'
import { type HistoryEvent, historyFrom } from './answer-history.js'
import { createRankingsCache } from './recommend.cache.js'
import { type RatingWeights, type RatingWeightsCopy, personalFacts } from './item-ratings.js'
import {
  blockedMask,
  categoriesOf,
  excludedFor,
  noneAllowed,
  type SpecialPurpose,
  specialPurposesOf,
} from './masks.js'
import { type ModelHolder, type ModelState, PERSONAL_PURPOSE, eventTime } from './model.js'
import type { CapReached, TouchpointCaps } from './touchpoint-caps.js'
import type { RecommendationQuery } from './recommend.js'

/**
 * An answer, as the service gives it: the level used and why, the explained items, and, for the links
 * the representation adds, the shopper or visit as the shop named them.
 */
export interface Answer {
  readonly recommId: string
  readonly level: PersonalizationLevel
  readonly levelReason: string
  /** The shop's customer reference or session id the question named (feedback names the same). */
  readonly subject: string | undefined
  readonly session: string | undefined
  /** Shared with other answers to the same question: never changed. */
  readonly items: readonly ExplainedItem[]
  readonly prompt?: ConsentPrompt
  readonly cap?: CapReached
  /** The experiment and variant the answer was given under (outcomes citing it count for it). */
  readonly experiment?: { readonly id: string; readonly variant: string }
}

/** A ranking read without effects (see `ranking`): the level used, why, and the explained items. */
export interface RankingRead {
  readonly level: PersonalizationLevel
  readonly levelReason: string
  readonly items: readonly ExplainedItem[]
}

/** A ranking, explained, as kept for the same question until it may have changed. */
export interface Ranking {
  model: ItemModel
  /** The rating weights it was ranked with (personal answers; a new read makes it stale). */
  ratings: RatingWeights | undefined
  at: number
  items: ExplainedItem[]
  /** What it read of the shopper's own history (personal answers only), for the answer log's segment. */
  read: HistoryRead | undefined
}

/** A fresh ranking, before it is kept. */
type Ranked = Pick<Ranking, 'items' | 'read'>

/** A signed-in shopper at the session level without a session id: "this visit" is the last two hours. */
const VISIT_MS = 2 * 60 * 60 * 1000
/**
 * A ranking is reused for the same shopper and the same question while nothing it was computed from
 * changed (model, history, feedback: see `ChangeFeed`) and for at most this long, because time-decayed
 * scores and trending move with the clock. The level is still decided on every request.
 */
const RANKING_TTL_MS = 60_000
/**
 * Rankings kept per owner (distinct questions: placement, filters, context item; a shopper asks a few)
 * and for `off` (everyone's): a bound on memory (the owners whose rankings are kept: `recommend.cache.ts`).
 */
const MAX_RANKINGS_PER_OWNER = 8
const MAX_OFF_RANKINGS = 64

const LEVEL_REASONS: Record<string, string> = {
  'personal:as_requested': 'personal: you allowed personalized recommendations',
  'session:as_requested': 'session: based only on what you do during this visit',
  'session:consent_required': 'session: you have not allowed recommendations based on your history',
  'off:as_requested': 'off: you chose recommendations that use nothing about you',
  'off:consent_required': 'off: you have not allowed personalized recommendations',
  'off:purpose_not_allowed': 'off: you have not allowed suggestions based on this visit',
  'off:restricted': 'off: you asked us to stop processing your data',
  'off:anonymous': 'off: nothing about you is used',
  'off:on_device':
    'off: you chose suggestions ranked on your own device; the server keeps and uses nothing about you',
  'off:capped':
    'off: personalized suggestions were shown as often as our privacy notice allows for now; they come back when the period ends',
}

/** The level an answer is given at, and what came with deciding it. */
interface LevelDecision {
  level: PersonalizationLevel
  /** `level:reason`, the key of `LEVEL_REASONS`. */
  levelKey: string
  prompt: ConsentPrompt | undefined
  cap: CapReached | undefined
  /** Whose answer it is (subject id or session key): undefined at `off`, which reads nobody. */
  owner: string | undefined
  /** The jurisdiction the level was decided under (the shopper's, or the one the request states). */
  jurisdiction: string | undefined
}

/** One question to rank for: everything the engine's inputs are made from. */
interface Asked extends Owner {
  s: ModelState
  query: RecommendationQuery
  level: PersonalizationLevel
  owner: string | undefined
  inStockOnly: boolean
  now: number
  variant: AnswerVariant | undefined
  /** The rating weights a personal answer scales by. */
  ratings: RatingWeights | undefined
}

export interface AnswerDeps {
  charter: Charter
  clock: Clock
  changes: ChangeFeed
  consent: ConsentService
  identity: IdentityService
  events: EventsService
  model: ModelHolder
  feedback: FeedbackStore
  log: AnswerLog
  caps: TouchpointCaps
  /** Running experiments over recommendation parameters (none: every answer is the model's own). */
  variants?: VariantSource | undefined
  /** The rating weight's copy (issue 21): low-rated items score less at `personal`. */
  ratings: RatingWeightsCopy
  /** The subject id and session key a question or feedback names. */
  ownerOf: (query: { subject?: string | undefined; session?: string | undefined }) => Promise<Owner>
}

export type Answerer = ReturnType<typeof createAnswerer>

/**
 * The level: the shopper's setting and consent (or the visit's), then the frequency cap. A read
 * (`effects` false) records no consent prompt and neither counts nor applies the cap: it reaches nobody.
 */
async function decideLevel(
  deps: AnswerDeps,
  query: RecommendationQuery,
  { subjectId, sessionKey }: Owner,
  signals: RequestSignals,
  effects: boolean,
): Promise<LevelDecision> {
  let level: PersonalizationLevel = 'off'
  let levelKey = 'off:anonymous'
  let prompt: ConsentPrompt | undefined
  let jurisdiction = signals.jurisdiction
  if (query.subject !== undefined) {
    const settings = await deps.consent.getSettings(subjectId, signals)
    jurisdiction = settings.jurisdiction
    level = settings.effectiveLevel
    levelKey = `${settings.effectiveLevel}:${settings.reason}`
    if (effects && settings.reason === 'consent_required' && settings.prompt !== undefined) {
      // Remembering that a prompt was shown needs a subject; it holds nothing else.
      const promptSubject = subjectId ?? (await deps.identity.ensureSubjectId(query.subject))
      prompt = await deps.consent.promptFor(promptSubject, settings.prompt.purpose, signals)
    }
    // An `on_device` shopper's history is in their browser (the SDK ranks there): nothing about them here.
    if (level === 'on_device') [level, levelKey] = ['off', 'off:on_device']
  } else if (sessionKey !== undefined) {
    if ((await deps.consent.sessions.decide(sessionKey, 'personalize.session', signals)).allowed) {
      level = 'session'
      levelKey = 'session:as_requested'
    }
  }
  const owner = level === 'off' ? undefined : (subjectId ?? sessionKey)
  if (owner === undefined || !effects)
    return { level, levelKey, prompt, cap: undefined, owner, jurisdiction }
  // The charter caps how often the widget may reach one shopper (or visit) with something personal;
  // past the cap the answer uses nothing about them and names the cap, so the shop still shows items.
  const cap = await deps.caps.take(owner, SERVED_TOUCHPOINTS.recommendations)
  if (cap === undefined) return { level, levelKey, prompt, cap, owner, jurisdiction }
  return { level: 'off', levelKey: 'off:capped', prompt, cap, owner: undefined, jurisdiction }
}

/** A ranking still good for this question (same model, young enough), or a fresh one, kept. */
async function ranked(
  s: ModelState,
  cache: Map<string, Ranking>,
  question: string,
  now: number,
  ratings: RatingWeights | undefined,
  compute: () => Promise<Ranked>,
): Promise<Ranked> {
  const hit = cache.get(question)
  if (
    hit !== undefined &&
    hit.model === s.model &&
    hit.ratings === ratings &&
    now >= hit.at &&
    now - hit.at < RANKING_TTL_MS
  )
    return hit
  const model = s.model
  const fresh = await compute()
  cache.delete(question)
  const max = cache === s.offRankings ? MAX_OFF_RANKINGS : MAX_RANKINGS_PER_OWNER
  if (cache.size >= max) cache.delete(cache.keys().next().value!)
  cache.set(question, { model, ratings, at: now, ...fresh })
  return fresh
}

/** The shopper's history at the answer's level: their own, this visit's, or the last two hours. */
async function historyFor(
  deps: AnswerDeps,
  a: Asked,
  hidden: ReadonlySet<string>,
): Promise<History> {
  const events: readonly HistoryEvent[] =
    a.level === 'personal'
      ? // Only events that serve personalization now count (not ones kept for, say, analytics alone).
        await deps.events.listSubjectItemEvents(a.subjectId!, PERSONAL_PURPOSE)
      : a.sessionKey !== undefined
        ? await deps.events.listSessionEvents(a.sessionKey)
        : (await deps.events.listSubjectItemEvents(a.subjectId!, 'personalize.session')).filter(
            (e) => eventTime(e) > a.now - VISIT_MS,
          )
  return historyFrom(a.s, events, hidden)
}

/**
 * The engine at the answer's level, under its guards; with what it read of the shopper's own history
 * (personal answers only).
 */
async function recommendAt(
  deps: AnswerDeps,
  a: Asked,
  model: ItemModel,
  guards: Guards,
  feedback: FeedbackView,
): Promise<{ recs: Recommendation[]; read?: HistoryRead }> {
  const { s, query, now } = a
  // A special-category product's page gets no bought-together items (it is never model input).
  const listed = query.item === undefined ? undefined : s.items.byId.get(query.item)
  const pageItem = listed !== undefined && s.excluded[listed] !== 1 ? listed : undefined
  // Nothing personal: the page's item (its bought-together items), popular, trending and new ones.
  const offAnswer = (limit: number) =>
    recommendNonPersonal(model, {
      limit,
      guards: { excluded: s.excluded, blocked: guards.blocked!, context: guards.context! },
      firstSeen: s.firstSeen,
      now,
      ...(pageItem === undefined ? {} : { item: pageItem }),
    })
  // A new item nobody has had yet, in a category of the shopper's own items (bounded, see engine).
  const withNewInCategory = (recs: Recommendation[], sources: ArrayLike<number>) =>
    addNewInCategory(model, recs, sources, {
      categoryOf: categoriesOf(s).of,
      firstSeen: s.firstSeen,
      now,
      limit: query.limit,
      guards,
    })
  if (a.level === 'personal' && a.subjectId !== undefined) {
    const own = await historyFor(deps, a, feedback.hiddenItems)
    // The one personal ranking, the browser's too (`on_device`: the SDK runs the same function).
    return {
      recs: answerPersonal(model, own, {
        now,
        limit: query.limit,
        guards,
        ...personalFacts(s, a.ratings),
      }),
      // Oldest first (`createHistory` sorts by time).
      read: { events: own.items.length, firstAt: own.times[0] },
    }
  }
  if (a.level === 'session') {
    // The session level mixes in the `off` answer as far as training chose (see engine/tune.ts).
    const off =
      model.scoring.session.offWeight > 0
        ? offAnswer(Math.max(SESSION_OFF_DEPTH, query.limit))
        : undefined
    const visit = (await historyFor(deps, a, feedback.hiddenItems)).items
    return {
      recs: withNewInCategory(
        recommendSession(model, visit, {
          limit: query.limit,
          guards,
          ...(off === undefined ? {} : { off }),
        }),
        visit,
      ),
    }
  }
  return { recs: offAnswer(query.limit) }
}

/** Guards -> engine -> explanation, for a question that has no ranking yet (or a stale one). */
async function rank(
  deps: AnswerDeps,
  specialPurposes: readonly SpecialPurpose[],
  a: Asked,
): Promise<Ranked> {
  const { s, query } = a
  // Taken before the masks: a catalog change meanwhile (`syncCatalog`) only grows the item index
  // and the masks, so this model's items all have a place in the masks built below. An enrolled
  // shopper's variant scores with its own settings.
  const model = modelFor(s.model, a.variant)
  const feedback = await deps.feedback.viewOf(a.owner)
  // What may count as history and evidence: a special category only for a shopper who allowed it.
  const excluded =
    a.level === 'personal' && a.subjectId !== undefined
      ? await excludedFor(s, a.subjectId, specialPurposes, deps.consent)
      : a.level === 'session'
        ? noneAllowed(s)
        : undefined
  const excludedMask = excluded?.mask ?? s.excluded
  const contextIds = [query.item, ...(query.exclude?.split(',') ?? [])].filter(
    (x): x is string => x !== undefined && x !== '',
  )
  const guards: Guards = {
    excluded: excludedMask,
    blocked: blockedMask(s, a.inStockOnly, query.category, excluded),
    hiddenItems: Int32Array.from(
      [...feedback.hiddenItems].flatMap((id) => s.items.byId.get(id) ?? []),
    ),
    hiddenReasons: feedback.hiddenReasons,
    context: Int32Array.from(contextIds.flatMap((id) => s.items.byId.get(id) ?? [])),
  }
  const { recs, read } = await recommendAt(deps, a, model, guards, feedback)
  const source: ExplainSource = {
    ids: s.items.ids,
    catalog: s.catalog,
    excluded: excludedMask,
    within: query.category,
  }
  return { items: recs.map((rec) => explain(source, rec)), read }
}

/**
 * Answers questions, keeping each ranking (explained) per owner and question while nothing it was made
 * from changed; the level, the cap and the answer's id are decided anew on every request.
 */
export function createAnswerer(deps: AnswerDeps) {
  /** Per owner, rankings by question (`recommend.cache.ts`: dropped when anything of theirs changes). */
  const rankings = createRankingsCache<Ranking>(deps.changes)
  const specialPurposes = specialPurposesOf(deps.charter)

  /**
   * A question's level, variant and explained ranking. With `effects` as an answer (prompt, cap,
   * experiment enrolment); without, a read that changes nothing (and the model's own scoring).
   */
  async function rankQuestion(
    query: RecommendationQuery,
    signals: RequestSignals,
    effects: boolean,
  ) {
    const s = await deps.model.fresh()
    const now = deps.clock.now()
    const who = await deps.ownerOf(query)
    // Refused before anything is written for the shopper (a prompt shown would create their subject).
    if (query.category !== undefined && !categoriesOf(s).paths.has(query.category)) {
      const reason = 'no item in the catalog is under this category path'
      throw new AppError('not_found', `category: ${reason}`, {
        issues: [{ field: 'querystring.category', reason }],
      })
    }
    const decided = await decideLevel(deps, query, who, signals, effects)
    const { level, owner } = decided
    const variant = effects
      ? await decideVariant(deps.variants, level, who.subjectId, signals)
      : undefined
    // Taken before anything of the owner is read: a change meanwhile drops this map, not the next one.
    const ownRankings = owner === undefined ? s.offRankings : await rankings.of(owner)
    const inStockOnly = query.inStock !== 'false'
    // Read from the copy (a statement once a minute at most, or after a rating here).
    const ratings = level === 'personal' ? await deps.ratings.current() : undefined
    // Whose it is, is the map it is kept in (`off` rankings are everyone's).
    const question = `${variant === undefined ? '' : `${variant.experiment}:${variant.variant}`}|${level}|${query.limit}|${inStockOnly}|${query.category ?? ''}|${query.item ?? ''}|${query.exclude ?? ''}`
    const asked: Asked = {
      ...who,
      s,
      query,
      level,
      owner,
      inStockOnly,
      now: now.getTime(),
      variant,
      ratings,
    }
    // Ranked only when this question has no ranking yet (or it went stale).
    const { items, read } = await ranked(s, ownRankings, question, now.getTime(), ratings, () =>
      rank(deps, specialPurposes, asked),
    )
    return { now, who, decided, variant, items, read }
  }

  return {
    /**
     * Recommendations for a shopper (subject), an anonymous visit (session), or nobody. The level is
     * decided per request from the shopper's setting and consent; every item says why it is shown.
     */
    async answer(query: RecommendationQuery, signals: RequestSignals): Promise<Answer> {
      const { now, who, decided, variant, items, read } = await rankQuestion(query, signals, true)
      const { level, levelKey, prompt, cap } = decided
      const recommId = newSortableId('rec', now.getTime())
      deps.log.add({
        recommId,
        level,
        placement: query.placement,
        items: items.map((i) => i.id),
        createdAt: now.toISOString(),
        // Coarse, and only from what deciding and ranking read anyway (see `answer-segment.ts`).
        segment: answerSegment(deps.charter, decided.jurisdiction, read, now.getTime()),
      })
      if (variant !== undefined) {
        await deps.variants!.recordExposure({
          recommId,
          subjectId: who.subjectId!,
          experiment: variant.experiment,
          variant: variant.index,
          at: now.toISOString(),
        })
      }
      return {
        recommId,
        level,
        levelReason: LEVEL_REASONS[levelKey] ?? level,
        subject: query.subject,
        session: query.session,
        items,
        ...(prompt === undefined ? {} : { prompt }),
        ...(cap === undefined ? {} : { cap }),
        ...(variant === undefined
          ? {}
          : { experiment: { id: variant.experiment, variant: variant.variant } }),
      }
    },

    /**
     * The ranking this shopper would be given now, at their level, scored and explained as an answer
     * is, as a read (for the shopping assistant): nothing logged, no frequency cap counted or applied,
     * no experiment enrolment or exposure, no consent prompt recorded.
     */
    async ranking(query: RecommendationQuery, signals: RequestSignals): Promise<RankingRead> {
      const { decided, items } = await rankQuestion(query, signals, false)
      return {
        level: decided.level,
        levelReason: LEVEL_REASONS[decided.levelKey] ?? decided.level,
        items,
      }
    },
  }
}
