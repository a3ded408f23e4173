import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { withExample } from '../../http/openapi.js'
import {
  OfferOpenParamsSchema,
  OfferOpenQuerySchema,
  OfferTotalsQuerySchema,
  OfferTotalsSchema,
} from './offers.js'
import type { OffersService } from './offers.service.js'

const TOTALS_EXAMPLE = {
  from: '2026-02-01',
  offers: [
    {
      offer: 'tea-lovers-spring',
      shown: 120,
      clicked: 14,
      notThis: 3,
      days: [{ day: '2026-03-01', shown: 120, clicked: 14, notThis: 3 }],
      touchpoints: [{ touchpoint: 'recommendations_widget', shown: 120, clicked: 14 }],
    },
  ],
}

/**
 * `GET /v1/offers/totals` (staff: each offer's shown, clicked and "not this" counts, no shopper) and
 * `GET /v1/offers/{id}/open` (the offer's link as the answer gives it: counts the click, redirects).
 */
export const offerTotalsRoutes: FastifyPluginAsyncZod<{
  offers: Pick<OffersService, 'totals' | 'open'>
}> = async (app, { offers }) => {
  app.get(
    '/v1/offers/totals',
    {
      config: { access: { roles: ['analyst', 'admin'] } },
      schema: {
        tags: ['offers'],
        summary: 'Per offer: shown, clicked and "not this" over the last days (counts only)',
        description:
          'Every offer defined, with its totals over the last `days` UTC days, per day and per touchpoint. Shown: offer answers and e-mails prepared; clicked: its link followed through `links.open`; not this: the feedback kept now. No shopper and no answer id.',
        querystring: OfferTotalsQuerySchema,
        response: { 200: withExample(OfferTotalsSchema, TOTALS_EXAMPLE) },
      },
    },
    async (request) => offers.totals(request.query.days),
  )

  app.get(
    '/v1/offers/:id/open',
    {
      // A link in a page or an e-mail: a browser follows it with no key. It names no shopper.
      config: { access: { public: true } },
      schema: {
        tags: ['offers'],
        summary:
          "Follows an offer's link: counts one click in its totals and redirects (302) to the offer's own link; 404 for an offer without one, 400 naming the touchpoint when the offer is not shown there",
        params: OfferOpenParamsSchema,
        querystring: OfferOpenQuerySchema,
        response: {
          302: z.null().describe("Counted: `Location` is the offer's own link (no body)"),
        },
      },
    },
    async (request, reply) => {
      const link = await offers.open(request.params.id, request.query.touchpoint)
      return reply.header('referrer-policy', 'no-referrer').redirect(link, 302)
    },
  )
}
