import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { actorOf } from '../audit/index.js'
import type { FastifyRequest } from 'fastify'
import { assertOwnRef } from '../../http/auth.js'
import { signalsOf } from '../consent/index.js'
import { AppError } from '../../lib/errors.js'
import type { AuditLog } from '../audit/index.js'
import type { IdentityService } from '../identity/index.js'
import { answerJson } from './recommend.representation.js'
import type { Answer } from './answer.js'
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
import type { RoutesApp } from '../../http/routes.js'
import { withExample } from '../../http/openapi.js'
import { servingRoutes } from './serving.routes.js'

// What `/docs` shows: the demo shop's answers (a shopper, `cust-1042`, who allowed suggestions from
// their history; items of the UCI Online Retail sample).
const RECOMM_ID = 'rec_0mxcqqtzk0000xnoba139'
const RECOMMENDATIONS_EXAMPLE = {
  recommId: RECOMM_ID,
  level: 'personal',
  levelReason: 'personal: you allowed personalized recommendations',
  items: [
    {
      id: '22086',
      title: "Paper Chain Kit 50's Christmas",
      category: ['Christmas'],
      price: 2.95,
      explanation: {
        kind: 'bought_together',
        sentence:
          'Often bought together with Paper Chain Kit Vintage Christmas and Paper Chain Kit Retrospot, which you bought or looked at.',
        evidence: [
          { id: '22910', title: 'Paper Chain Kit Vintage Christmas' },
          { id: '22083', title: 'Paper Chain Kit Retrospot' },
        ],
      },
      links: {
        notThis: {
          method: 'POST',
          href: '/v1/feedback',
          body: {
            subject: 'cust-1042',
            kind: 'not_interested',
            item: '22086',
            recommId: RECOMM_ID,
          },
        },
        stopPersonalizing: {
          method: 'PUT',
          href: '/v1/subjects/cust-1042/settings',
          body: { level: 'off' },
        },
        why: '/privacy#why-22086',
      },
    },
    {
      id: '20725',
      title: 'Lunch Bag Red Retrospot',
      category: ['Bags'],
      price: 1.65,
      explanation: {
        kind: 'buy_again',
        sentence: 'You bought this before.',
        evidence: [{ id: '20725', title: 'Lunch Bag Red Retrospot' }],
      },
      links: {
        notThis: {
          method: 'POST',
          href: '/v1/feedback',
          body: {
            subject: 'cust-1042',
            kind: 'not_interested',
            item: '20725',
            recommId: RECOMM_ID,
          },
        },
        stopPersonalizing: {
          method: 'PUT',
          href: '/v1/subjects/cust-1042/settings',
          body: { level: 'off' },
        },
        why: '/privacy#why-20725',
      },
    },
  ],
} as const

const FEEDBACK_EXAMPLE = {
  subject: 'cust-1042',
  kind: 'not_interested',
  item: '22086',
  recommId: RECOMM_ID,
} as const

const figures = (recall20: number, ndcg10: number, newRecall20: number) => ({
  recall20,
  ndcg10,
  newRecall20,
})
const TRAINING_RUN_EXAMPLE = {
  id: 'tr_0mxcqqqgi0000v6dj89af',
  trainedAt: '2026-03-01T03:00:04.674Z',
  subjects: 123,
  items: 300,
  events: 3690,
  seconds: 4.429,
  quality: {
    tuned: true,
    validation: { from: 1771459200000, until: 1772334000000, shoppers: 49, trainEvents: 1246 },
    candidates: 135,
    figures: {
      personal: figures(0.2328, 0.2193, 0.1738),
      session: figures(0.2044, 0.1796, 0.1571),
      off: figures(0.17, 0.172, 0.149),
      topPop: figures(0.1806, 0.1858, 0.1531),
      repeatFreq: figures(0.2259, 0.2212, 0.1618),
    },
    params: {
      item: {
        tauDays: 60,
        subjectExponent: 1,
        alpha: 0.5,
        beta: 0.5,
        neighbours: 200,
        recentDays: 30,
      },
      personal: {
        repeatTauDays: 720,
        repeatUnit: 'day',
        repeatWeight: 1,
        otherWeight: 2,
        popularityWeight: 0.5,
      },
      session: { recencyDecay: 0.8, neighbourWeight: 1, offWeight: 0.5 },
    },
  },
} as const

const onlineGroup = (
  level: string,
  placement: string,
  answers: number,
  viewed: number,
  carted: number,
  purchased: number,
  notInterested: number,
) => ({
  level,
  placement,
  answers,
  viewed,
  carted,
  purchased,
  notInterested,
  viewRate: Math.round((viewed / answers) * 1e4) / 1e4,
  cartRate: Math.round((carted / answers) * 1e4) / 1e4,
  purchaseRate: Math.round((purchased / answers) * 1e4) / 1e4,
  notInterestedRate: Math.round((notInterested / answers) * 1e4) / 1e4,
})
const QUALITY_EXAMPLE = {
  run: TRAINING_RUN_EXAMPLE,
  runs: [TRAINING_RUN_EXAMPLE],
  online: {
    since: '2026-02-23T00:00:00.000Z',
    until: '2026-03-01T10:30:00.000Z',
    minAnswers: 10,
    groups: [
      onlineGroup('personal', 'home', 1840, 412, 96, 41, 12),
      onlineGroup('off', 'product', 5230, 870, 150, 58, 9),
    ],
    total: onlineGroup('all', 'all', 7070, 1282, 246, 99, 21),
    withheld: { groups: 1, answers: 6 },
  },
} as const

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
  servingRoutes(app, recommend)
}

/** The answers and the feedback on them (the answer's JSON: `recommend.representation.ts`). */
function answerRoutes(
  app: RoutesApp,
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
        response: { 200: withExample(RecommendationAnswerSchema, RECOMMENDATIONS_EXAMPLE) },
      },
      // The hottest route: the handler gives the typed answer and the representation writes it with
      // serializers compiled from the schema above (fast-json-stringify), not checked by zod on the way
      // out (the tests check every answer against it).
      serializerCompiler: () => (data) => answerJson(data as Answer),
    },
    async (request) => {
      await checkOwner(request, request.query.subject)
      const answer = await recommend.recommend(request.query, signalsOf(request))
      // What `answerJson` writes is a `RecommendationAnswer` (`answerBody`); the route's type says so.
      return answer as unknown as RecommendationAnswer
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
        body: withExample(FeedbackSchema, FEEDBACK_EXAMPLE),
        response: {
          201: withExample(z.object({ id: z.string() }), { id: 'fb_0mxcqqu4z0000szlt5w6g' }),
        },
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
  app: RoutesApp,
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
        response: { 200: withExample(TrainingRunSchema, TRAINING_RUN_EXAMPLE) },
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
        response: { 200: withExample(QualityAnswerSchema, QUALITY_EXAMPLE) },
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
