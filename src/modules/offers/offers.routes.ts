import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { withExample } from '../../http/openapi.js'
import { assertOwnRef } from '../../http/auth.js'
import { AppError } from '../../lib/errors.js'
import { actorOf } from '../audit/index.js'
import { signalsOf } from '../consent/index.js'
import type { IdentityService } from '../identity/index.js'
import {
  type Offer,
  type OfferAnswer,
  OfferAnswerSchema,
  type OfferInput,
  OfferInputSchema,
  OfferListSchema,
  OfferQuerySchema,
  OfferSchema,
} from './offers.js'
import { offerAnswerBody } from './offers.representation.js'
import type { OffersService } from './offers.service.js'
import { offerTotalsRoutes } from './offers.totals.routes.js'
import { offerWhyRoutes } from './offers.why.routes.js'

const INPUT_EXAMPLE: OfferInput = {
  id: 'tea-lovers-spring',
  content: {
    title: '10% off loose leaf tea',
    text: 'This week only, on every tea in the shop.',
    imageUrl: 'https://shop.example/img/tea.jpg',
    link: 'https://shop.example/tea?promo=spring',
  },
  eligibility: { categoryAffinity: ['Kitchen'], jurisdictions: ['UK'] },
  schedule: { from: '2026-03-01T00:00:00.000Z', until: '2026-04-01T00:00:00.000Z' },
  touchpoints: ['recommendations_widget'],
  purpose: 'personalize.recommendations',
  priority: 10,
  active: true,
}
const OFFER_EXAMPLE: Offer = {
  ...INPUT_EXAMPLE,
  createdAt: '2026-02-27T09:00:00.000Z',
  updatedAt: '2026-02-27T09:00:00.000Z',
}
const ANSWER_EXAMPLE: OfferAnswer = {
  answerId: 'ofa_0mxcqqtzk0000xnoba139',
  touchpoint: 'recommendations_widget',
  dataUsed: 'personal',
  dataReason: 'what you bought or looked at is used, as you allowed',
  offer: {
    id: 'tea-lovers-spring',
    content: INPUT_EXAMPLE.content,
    purpose: 'personalize.recommendations',
    explanation: {
      kind: 'category_affinity',
      sentence: 'Because you bought or looked at Tea mug.',
      evidence: [{ id: 'MUG', title: 'Tea mug' }],
    },
    links: {
      notThis: {
        method: 'POST',
        href: '/v1/feedback',
        body: {
          subject: 'cust-1042',
          kind: 'not_interested',
          item: 'offer:tea-lovers-spring',
          recommId: 'ofa_0mxcqqtzk0000xnoba139',
        },
      },
      stop: {
        method: 'PUT',
        href: '/v1/subjects/cust-1042/consents/personalize.recommendations',
        body: {
          decision: 'denied',
          method: 'api',
          noticeVersion: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
        },
      },
      why: '/privacy#offer-tea-lovers-spring',
    },
  },
}

export interface OffersRoutesDeps {
  services: {
    offers: OffersService
    identity: Pick<IdentityService, 'findSubjectId'>
  }
}

/** Offers: staff define and list them; a storefront asks for the best one at a touchpoint. */
export const offersRoutes: FastifyPluginAsyncZod<OffersRoutesDeps> = async (app, { services }) => {
  const { offers, identity } = services
  await app.register(offerTotalsRoutes, { offers })
  await app.register(offerWhyRoutes, { offers, identity })

  app.put(
    '/v1/offers',
    {
      config: { access: { roles: ['admin'] } },
      schema: {
        tags: ['offers'],
        summary:
          'Define (or replace, by id) an offer: content, eligibility, schedule, touchpoints and the charter purpose it rests on (every touchpoint must serve it); 400 names each field that is wrong',
        body: withExample(OfferInputSchema, INPUT_EXAMPLE),
        response: { 200: withExample(OfferSchema, OFFER_EXAMPLE) },
      },
    },
    async (request) => offers.define(request.body, actorOf(request)),
  )

  app.get(
    '/v1/offers',
    {
      config: { access: { roles: ['storefront', 'admin'], shopper: true } },
      schema: {
        tags: ['offers'],
        summary:
          'With `touchpoint`: the best eligible offer for the shopper (subject), the visit (session) or anyone, at the level their consent allows, explained, within the touchpoint frequency cap. Without: every offer (admin)',
        querystring: OfferQuerySchema,
        response: {
          200: withExample(OfferAnswerSchema.or(OfferListSchema), ANSWER_EXAMPLE),
        },
      },
    },
    async (request) => {
      const { query } = request
      if (query.touchpoint === undefined) {
        if (request.caller.kind !== 'api_key' || request.caller.role !== 'admin')
          throw new AppError(
            'forbidden',
            'Only staff (admin) list offers; a storefront names a touchpoint',
          )
        return { offers: await offers.list() }
      }
      if (request.caller.kind === 'shopper') {
        if (query.subject === undefined)
          throw new AppError('forbidden', 'A shopper token acts as its own subject')
        await assertOwnRef(request, query.subject, (ref) => identity.findSubjectId(ref))
      }
      const choice = await offers.choose(
        { ...query, touchpoint: query.touchpoint },
        signalsOf(request),
      )
      return offerAnswerBody(choice)
    },
  )
}
