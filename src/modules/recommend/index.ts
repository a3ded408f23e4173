export {
  createRecommendService,
  type RecommendService,
  type TrainProgress,
} from './recommend.service.js'
export { recommendRoutes } from './recommend.routes.js'
export {
  FeedbackSchema,
  RecommendationQuerySchema,
  RecommendationAnswerSchema,
  type Feedback,
  type RecommendationAnswer,
  type RecommendationQuery,
} from './recommend.js'
