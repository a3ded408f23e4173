import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { actorOf } from '../audit/index.js'
import type { FastifyRequest } from 'fastify'
import { assertOwnRef } from '../../http/auth.js'
import { signalsOf } from '../consent/index.js'
import { AppError } from '../../lib/errors.js'
import type { AuditLog } from '../audit/index.js'
import type { IdentityService } from '../identity/index.js'
import { answerBody, serializeAnswer } from './recommend.representation.js'
import {
  FeedbackSchema,
  OnlineQualityQuerySchema,
  QualityAnswerSchema,
  type RecommendationAnswer,
  RecommendationAnswerSchema,
  RecommendationQuerySchema,
  TRAINING_RUNS_SHOWN,
  TrainingRunSchema,
} from './recommend.js'
import type { RecommendService } from './recommend.service.js'

/** What the recommend routes use. */
export interface RecommendRoutesDeps {
  recommend: RecommendService
  identity: Pick<IdentityService, 'findSubjectId'>
  audit: Pick<AuditLog, 'recordNow'>
}

/** Explained recommendations, feedback on them, and training. */
export const recommendRoutes: FastifyPluginAsyncZod<{
  services: RecommendRoutesDeps
  /** Other server processes retrain too after a retrain on request (worker processes, see `runPrimary`). */
  retrainOthers?: () => void
}> = async (app, { services, retrainOthers }) => {
  const { recommend, identity, audit } = services
  // The answer log is written in batches (see the service); what is buffered goes out before the database closes.
  app.addHook('onClose', async () => {
    await recommend.flushAnswers()
  })

  /** A shopper token may only ask about, or give feedback as, its own subject. */
  async function checkOwner(request: FastifyRequest, subject: string | undefined) {
    if (request.caller.kind !== 'shopper') return
    if (subject === undefined)
      throw new AppError('forbidden', 'A shopper token acts as its own subject')
    await assertOwnRef(request, subject, (ref) => identity.findSubjectId(ref))
  }

  answerRoutes(app, recommend, checkOwner)
  modelRoutes(app, recommend, audit, retrainOthers)
}

type App = Parameters<FastifyPluginAsyncZod>[0]

/** The answers and the feedback on them (the answer's JSON: `recommend.representation.ts`). */
function answerRoutes(
  app: App,
  recommend: RecommendService,
  checkOwner: (request: FastifyRequest, subject: string | undefined) => Promise<void>,
) {
  app.get(
    '/v1/recommendations',
    {
      config: { access: { roles: ['storefront', 'admin'], shopper: true } },
      schema: {
        tags: ['recommendations'],
        summary:
          'Explained recommendations at the level the shopper chose and consented to (subject), for this visit only (session), or for anyone',
        description:
          'Every item says why it is shown, and the reason is true of its evidence: `buy_again` only for items the shopper bought, `looked_at` for items they only looked at. ' +
          'With `item` (a product page), the `off` answer leads with the items most often bought together with it (`bought_with_item`, from the aggregate neighbour model: nothing about the visitor); ' +
          'with `category` (a category page), only items under it, its popular items first (404 `not_found` naming `querystring.category` for a category no item has). ' +
          'A new item nobody has bought yet may take the last places (one in five) of a `session` or `personal` answer whose shopper has items in its category (`new_in_category`). ' +
          'Near-tied items are ordered so that reasons mix; the items themselves are the best-scored ones.',
        querystring: RecommendationQuerySchema,
        response: { 200: RecommendationAnswerSchema },
      },
      // The hottest route: its answer is written by a serializer compiled from the schema above
      // (fast-json-stringify), not checked by zod on the way out (the tests check every answer against it).
      serializerCompiler: () => (data) => serializeAnswer(data as RecommendationAnswer),
    },
    async (request) => {
      await checkOwner(request, request.query.subject)
      return answerBody(await recommend.recommend(request.query, signalsOf(request)))
    },
  )

  app.post(
    '/v1/feedback',
    {
      config: { access: { roles: ['storefront', 'admin'], shopper: true } },
      schema: {
        tags: ['recommendations'],
        summary:
          '"Not interested" (hides the item), "too personal" (drops that kind of reason), or a rating',
        body: FeedbackSchema,
        response: { 201: z.object({ id: z.string() }) },
      },
    },
    async (request, reply) => {
      await checkOwner(request, request.body.subject)
      return reply.code(201).send(await recommend.feedback(request.body, actorOf(request)))
    },
  )
}

/** Training on request, and the quality of the model and of its answers. */
function modelRoutes(
  app: App,
  recommend: RecommendService,
  audit: RecommendRoutesDeps['audit'],
  retrainOthers: (() => void) | undefined,
) {
  app.post(
    '/v1/admin/train',
    {
      config: { access: { roles: ['admin'] } },
      schema: {
        tags: ['admin'],
        summary: 'Retrain the item model from consented histories now',
        response: { 200: TrainingRunSchema },
      },
    },
    async (request) => {
      const run = await recommend.train()
      retrainOthers?.()
      await audit.recordNow({
        actor: actorOf(request),
        action: 'recommend.trained',
        details: { events: run.events },
      })
      return run
    },
  )

  app.get(
    '/v1/recommendations/quality',
    {
      config: { access: { roles: ['analyst', 'privacy_officer', 'admin'] } },
      schema: {
        tags: ['recommendations'],
        summary: `Figures from the training runs (offline: the latest, and the last ${TRAINING_RUNS_SHOWN} for a chart), and what shoppers did with the answers of the last days (online)`,
        querystring: OnlineQualityQuerySchema,
        response: { 200: QualityAnswerSchema },
      },
    },
    async (request) => {
      const runs = await recommend.trainingRuns(TRAINING_RUNS_SHOWN)
      return {
        run: runs.at(-1) ?? null,
        runs,
        online: await recommend.onlineQuality(request.query.days),
      }
    },
  )
}
