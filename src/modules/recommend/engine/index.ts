/**
 * The recommendation engine: pure functions over typed arrays. No I/O, no imports from http,
 * storage or other modules, nothing runs on import. The service maps string ids to indices with
 * `createIdIndex`, trains with `trainItemModel`, stores `serializeItemModel` bytes, and scores with
 * the `recommend*` functions, passing the subject's live history.
 */
export { createIdIndex, indexOf, toIndices, type IdIndex } from './ids.js'
export {
  buildInteractions,
  createHistory,
  firstSeenTimes,
  historyOf,
  type EventColumns,
  type History,
  type Interactions,
} from './interactions.js'
export {
  DEFAULT_ITEM_MODEL_PARAMS,
  QUANT_BITS,
  removeSubject,
  trainItemModel,
  withScoring,
  type ItemModel,
  type ItemModelParams,
  type NeighbourRows,
  type SparseRows,
  type TrainOptions,
} from './item-model.js'
export {
  DEFAULT_PERSONAL_PARAMS,
  REASON_KINDS,
  SESSION_OFF_DEPTH,
  recommendNonPersonal,
  recommendPersonal,
  recommendSession,
  itemFactorsFrom,
  scoreNew,
  scorePersonal,
  scorePopular,
  scoreSession,
  scoreTrending,
  type Guards,
  type ItemFactors,
  type NonPersonalOptions,
  type PersonalOptions,
  type PersonalParams,
  type PersonalScores,
  type ReasonKind,
  type Recommendation,
  type ScoreOptions,
  type SessionOptions,
} from './scoring.js'
export { deserializeItemModel, serializeItemModel } from './serialize.js'
export { RATING_WINDOW_DAYS, LOW_RATING, ratingFactor, type ItemRatings } from './rating-weight.js'
export { historyOfEvents, TYPE_WEIGHT, type ItemEvent } from './event-history.js'
export { SENTENCES, type SentenceContext } from './sentences.js'
export {
  decodeServingModel,
  encodeServingModel,
  toServingModel,
  type ServingModel,
  type ServingOptions,
  type ServingPrecision,
} from './serving-model.js'
export { selectTopK } from './top-k.js'
export {
  DEFAULT_ENGINE_PARAMS,
  DEFAULT_SCORING_PARAMS,
  DEFAULT_SESSION_PARAMS,
  type EngineParams,
  type ScoringParams,
  type SessionParams,
} from './params.js'
export {
  trainShop,
  type LevelFigures,
  type TrainedShop,
  type TuneOptions,
  type TuningReport,
} from './tune.js'
export { withItems } from './catalog-items.js'
export {
  addNewInCategory,
  NEW_IN_CATEGORY_DAYS,
  newInCategorySlots,
  type NewInCategoryOptions,
} from './new-in-category.js'
export { answerPersonal, type CatalogFacts, type PersonalAnswerOptions } from './personal-answer.js'
export { DEFAULT_MIX, mixReasons, type MixOptions } from './mix.js'
export {
  SCORING_SETTINGS,
  applyScoringSettings,
  scoringSettingIssue,
  type SettingValue,
} from './overrides.js'
