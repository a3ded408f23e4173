/**
 * The recommend service: one object over the module's parts, each owning one lifecycle: the model
 * (`model.ts`: train, forget, catalog changes; `masks.ts`), the answer (`answer.ts`: level -> guards ->
 * engine -> explanation), the answer log with online quality (`answer-log.ts`), feedback
 * (`feedback.ts`) and the charter's frequency caps (`touchpoint-caps.ts`). It holds no rule itself.
 */
import type { Clock } from '../../lib/clock.js'
import type { ChangeFeed } from '../../storage/changes.js'
import type { Db } from '../../storage/db.js'
import type { Actor, AuditLog } from '../audit/index.js'
import type { CatalogService } from '../catalog/index.js'
import type { Charter } from '../charter/index.js'
import type { ConsentService, RequestSignals } from '../consent/index.js'
import type { EventsService } from '../events/index.js'
import type { SessionService } from '../session/index.js'
import type { IdentityService } from '../identity/index.js'
import type { ItemModel } from './engine/index.js'
import { type Answer, type RankingRead, createAnswerer } from './answer.js'
import type { VariantSource } from './answer-variant.js'
import type { AttributedAction } from './online-quality.js'
import { createAnswerLog } from './answer-log.js'
import { type Owner, createFeedbackStore } from './feedback.js'
import { type FederatedPairSource, type TrainProgress, createModelHolder } from './model.js'
import { type CapReached, createTouchpointCaps } from './touchpoint-caps.js'
import type { Trainer } from './training.js'
import type { Feedback, OnlineQuality, RecommendationQuery } from './recommend.js'
import { createRecommendCache } from './recommend.cache.js'
import { type ItemRatingSource, createRatingWeights } from './item-ratings.js'
import { type ServedModel, type ServingQuery, createServingModels } from './serving.js'
import { type TrainingRun, createRecommendRepository } from './recommend.repository.js'

export type { TrainProgress } from './model.js'

export interface RecommendDeps {
  db: Db
  /** Its purposes that unlock a special category (`specialCategory`) are asked per shopper. */
  charter: Charter
  changes: ChangeFeed
  clock: Clock
  audit: AuditLog
  identity: IdentityService
  consent: ConsentService
  events: EventsService
  /** A session id's pseudonym (the session module's `keyOf`). */
  session: Pick<SessionService, 'keyOf'>
  catalog: CatalogService
  /** Running experiments over recommendation parameters (issue 21); none: no answer is varied. */
  variants?: VariantSource
  /** Where training's CPU part runs: a worker thread (the default, `trainOffThread`) or this one. */
  trainer?: Trainer
  /** The stored 1-5 ratings per item (the voice module's); none: no item is rating-weighted. */
  ratings?: ItemRatingSource
  /** Federated pair estimates training adds to the co-occurrence (issue 22); none: histories only. */
  federated?: FederatedPairSource
  /**
   * False: this process never trains unasked; with no stored model, answers are a 503 until
   * `candor train` (or `POST /v1/admin/train`) stores one (see `model.ts`). Default true.
   */
  trainsOnFirstUse?: boolean
}

export type RecommendService = ReturnType<typeof createRecommendService>

/** The subject id and session key a question or feedback names (an unknown reference has none). */
function ownerReader(deps: RecommendDeps) {
  return async (query: { subject?: string | undefined; session?: string | undefined }) => {
    const subjectId =
      query.subject === undefined ? undefined : await deps.identity.findSubjectId(query.subject)
    const sessionKey = query.session === undefined ? undefined : deps.session.keyOf(query.session)
    return { subjectId, sessionKey } satisfies Owner
  }
}

/**
 * Explained recommendations at the level each shopper chose and consented to. The item model is trained
 * from consented histories only (special-category items never enter it) and held in memory; a shopper's
 * own history, session and feedback are read live on every request, so a new event or a "not this"
 * counts at once. Erasure subtracts the shopper's contribution from the model exactly.
 */
export function createRecommendService(deps: RecommendDeps) {
  // Reads outside a transaction may be answered from the copies (`recommend.cache.ts`).
  const repo = createRecommendCache(createRecommendRepository(deps.changes), deps.changes, deps.db)
  const caps = createTouchpointCaps(deps)
  const model = createModelHolder({ ...deps, repo })
  const feedback = createFeedbackStore({ ...deps, repo })
  const log = createAnswerLog({ ...deps, repo })
  const ratings = createRatingWeights({ clock: deps.clock, source: deps.ratings })
  const serving = createServingModels({ model, ratings })

  const ownerOf = ownerReader(deps)
  const answerer = createAnswerer({ ...deps, model, feedback, log, caps, ownerOf, ratings })

  return {
    /**
     * Trains from scratch now, stores the model in the database as the newest version and serves it;
     * every other process sharing the database loads it within seconds. When another process is
     * training already, waits for its model and answers that run instead (so two callers train once).
     * The `candor train` command, `POST /v1/admin/train` and the schedule call this.
     */
    train: (onProgress?: TrainProgress): Promise<TrainingRun> => model.train(onProgress),

    /**
     * Loads the newest stored model now if it is newer than the one served (a process does this by
     * itself within seconds; a worker told that another stored one calls it); true if it swapped.
     */
    refreshModel: (): Promise<boolean> => model.refresh(),

    /** A rating was recorded in this process: the rating weight is read again for the next answer. */
    ratingsChanged: (): void => ratings.drop(),

    /** The model in use, for tests and the quality report. */
    /** The browser's serving model of the model in use (`serving.ts`): the `on_device` level ranks with it. */
    servingModel: (query: ServingQuery): Promise<ServedModel> => serving.current(query),

    async model(): Promise<ItemModel> {
      return (await model.current()).model
    },

    /** Writes the buffered answer log now; the app calls it on close. */
    flushAnswers: (): Promise<void> => log.flush(),

    /**
     * What shoppers did with the answers of the last `days` days (UTC days, today included; at most
     * `ANSWER_LOG_DAYS`, what the log keeps): see `online-quality.ts`.
     */
    onlineQuality: (days: number): Promise<OnlineQuality> => log.onlineQuality(days),

    /**
     * Actions on answers (view, cart, purchase, "not this") cited since `since`, attributed by online
     * quality's rule (the cited item was in the answer; once per answer and action): what experiments
     * count outcomes from. Answers older than `answersSince` are not matched.
     */
    attributedSince: (since: string, answersSince?: string): Promise<AttributedAction[]> =>
      log.attributedSince(since, answersSince),

    async latestTrainingRun(): Promise<TrainingRun | undefined> {
      return repo.latestTrainingRun(deps.db)
    },

    /** The `limit` most recent training runs, oldest first, each with its tuning report. */
    async trainingRuns(limit: number): Promise<TrainingRun[]> {
      return repo.listTrainingRuns(deps.db, limit)
    },

    /**
     * Recommendations for a shopper (subject), an anonymous visit (session), or nobody, as a typed
     * value (the routes file writes it as HTTP): see `answer.ts`.
     */
    recommend: (query: RecommendationQuery, signals: RequestSignals): Promise<Answer> =>
      answerer.answer(query, signals),

    /**
     * The ranking `recommend` would give, as a read: no answer logged, no frequency cap counted, no
     * experiment enrolment or exposure, no consent prompt recorded (see `answer.ts`, `ranking`).
     */
    ranking: (query: RecommendationQuery, signals: RequestSignals): Promise<RankingRead> =>
      answerer.ranking(query, signals),

    /**
     * Counts one time `touchpoint` reaches `owner` (a subject id or a session key) against the charter's
     * frequency cap, or says which cap it met (nothing counted): the same counters as the answers', for
     * other touchpoints Candor serves (offers).
     */
    takeCap: (owner: string, touchpoint: string): Promise<CapReached | undefined> =>
      caps.take(owner, touchpoint),

    /** What the owner said "not this" to (item ids, or any other id a "not this" link named). */
    async hiddenFor(owner: string | undefined): Promise<ReadonlySet<string>> {
      return (await feedback.viewOf(owner)).hiddenItems
    },

    /**
     * "Not this" said since `since` to ids starting with `prefix` (the offers' `offer:<id>`), per id
     * and day, from the feedback kept now (erased shoppers' no longer count): counts, no owner.
     */
    countNotThis: (prefix: string, since: string) =>
      repo.countNotInterested(deps.db, prefix, since),

    /** Records feedback; "not this" and "too personal" take effect on the very next request. */
    async feedback(input: Feedback, actor: Actor): Promise<{ id: string }> {
      return feedback.record(input, await ownerOf(input), actor)
    },

    /** Feedback and what the recommender holds and would say, for access requests. */
    async exportSubject(subjectId: string) {
      const inModel = await model.exportSubject(subjectId)
      return {
        feedback: await repo.listFeedback(deps.db, subjectId),
        touchpointCounts: await caps.listOwner(subjectId),
        model: inModel,
      }
    },

    /** Deletes the subject's feedback and subtracts their contribution from the model. */
    async eraseSubject(executor: Db, subjectId: string): Promise<Record<string, number>> {
      // The model first: its CPU part runs before the transaction writes (see `forget`).
      const removed = await model.forget(executor, subjectId)
      const deleted = await repo.deleteFeedback(executor, subjectId)
      await caps.eraseOwner(executor, subjectId)
      return { feedback: deleted, modelContributions: removed ? 1 : 0 }
    },

    /** Objection to profiling: out of the model at once (and out of training by the recorded denial). */
    async forgetInModels(subjectId: string, executor: Db = deps.db): Promise<void> {
      await model.forget(executor, subjectId)
    },

    async deleteExpired(executor: Db, now: Date): Promise<Record<string, number>> {
      const touchpointCounts = await caps.deleteEnded(executor, now)
      return { ...(await repo.deleteExpired(executor, now.toISOString())), touchpointCounts }
    },
  }
}
