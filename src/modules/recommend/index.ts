/**
 * The recommend module: explained recommendations at the level each shopper chose and consented to.
 * It owns the item model in memory and its training runs, the answers and their log, shoppers'
 * feedback and the charter's frequency-cap counters (tables `recommend_*`, `touchpoint_counts`).
 *
 * May import: lib, storage, and the index of audit, catalog, charter, consent, events, identity and
 * session (never their tables); `engine/` imports nothing outside itself.
 *
 * Where each rule lives:
 * - the model in a process (loaded from the newest stored version, or trained here; forgets across
 *   processes, catalog changes): `model.ts`; the state and how it changes: `model.state.ts`; training it:
 *   `model.train.ts`, its CPU part off the event loop: `training.ts`, `train.worker.ts`; the stored
 *   versions (one process trains, every process loads; erasure cleans them): `model.store.ts`,
 *   `model.codec.ts` (decoded off the event loop by `model.load.worker.ts`), `model.repository.ts`; who
 *   trains: `model.lease.ts`;
 * - the answer, in the order its rules apply (level and prompt, frequency cap, guards, engine,
 *   explanation): `answer.ts`; the item masks it filters with: `masks.ts`; the sentences: `explanations.ts`;
 * - scoring, tuning and every reason's evidence: `engine/` (pure functions);
 * - the frequency caps: `touchpoint-caps.ts`; feedback and what it hides: `feedback.ts`;
 * - the answer log and online quality: `answer-log.ts`, `online-quality.ts`; the coarse shopper segment
 *   each logged answer keeps (for the fairness audit's online rates per group): `answer-segment.ts`;
 * - its part in rights requests and retention (rectification takes the subject out of the models):
 *   `recommend.participant.ts`;
 * - HTTP (links, JSON written from the response schema): `recommend.routes.ts`,
 *   `recommend.representation.ts`; schemas: `recommend.ts`; SQL: `*.repository.ts` (feedback writes made
 *   with the storage's `write`, announcing the owner);
 * - the in-memory copies (feedback rows behind the repository's interface, the rankings kept per owner):
 *   `recommend.cache.ts`.
 */
export {
  createRecommendService,
  type RecommendService,
  type TrainProgress,
} from './recommend.service.js'
export { recommendRoutes } from './recommend.routes.js'
export { recommendDataParticipant } from './recommend.participant.js'
export type { Answer, RankingRead } from './answer.js'
export type { AnswerVariant, VariantSource } from './answer-variant.js'
export type { AttributedAction } from './online-quality.js'
export type { CapReached } from './touchpoint-caps.js'
export { notThisLink } from './recommend.representation.js'
export {
  FeedbackSchema,
  RecommendationQuerySchema,
  SHOPPER_FIELDS,
  NOT_BOTH_SHOPPERS,
  RecommendationAnswerSchema,
  type Feedback,
  type RecommendationAnswer,
  type RecommendationQuery,
} from './recommend.js'
/** The pure engine, for audits that measure it on a validation split (reviews, issue 20). */
export {
  SCORING_SETTINGS,
  scoringSettingIssue,
  type SettingValue,
  buildInteractions,
  createHistory,
  recommendPersonal,
  trainItemModel,
  type ItemModel,
} from './engine/index.js'
export { TYPE_WEIGHT } from './model.state.js'
/** The answer log's coarse segment and the attribution rule, for the fairness audit (reviews, issue 20). */
export {
  NEW_SHOPPER_DAYS,
  historyBucket,
  tenureOf,
  type AnswerSegment,
  type HistoryBucket,
  type Tenure,
} from './answer-segment.js'
export { attribute, type Citation } from './online-quality.js'
