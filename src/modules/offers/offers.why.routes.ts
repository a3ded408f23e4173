import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { withExample } from '../../http/openapi.js'
import { assertOwnRef } from '../../http/auth.js'
import { signalsOf } from '../consent/index.js'
import type { IdentityService } from '../identity/index.js'
import { OfferOpenParamsSchema, OfferWhyQuerySchema, OfferWhySchema } from './offers.js'
import type { OffersService } from './offers.service.js'

/**
 * `GET /v1/offers/{id}/why?subject=`: why an offer is shown to this shopper, for the privacy center's
 * `#offer-<id>` section (the answer's `links.why`). Judged now; nothing is counted.
 */
export const offerWhyRoutes: FastifyPluginAsyncZod<{
  offers: Pick<OffersService, 'explain'>
  identity: Pick<IdentityService, 'findSubjectId'>
}> = async (app, { offers, identity }) => {
  app.get(
    '/v1/offers/:id/why',
    {
      config: { access: { roles: ['storefront', 'admin'], shopper: true } },
      schema: {
        tags: ['offers'],
        summary:
          'Why an offer is shown to a shopper, in plain words with its evidence, at the level their consent allows; counts nothing (no cap, no totals). A shopper token reads only its own; 404 for an unknown offer',
        params: OfferOpenParamsSchema,
        querystring: OfferWhyQuerySchema,
        response: {
          200: withExample(OfferWhySchema, {
            offer: {
              id: 'tea-lovers-spring',
              title: '10% off loose leaf tea',
              purpose: 'personalize.recommendations',
            },
            eligible: true,
            sentence: 'Because you bought or looked at Tea mug.',
            evidence: [{ id: 'MUG', title: 'Tea mug' }],
            dataUsed: 'personal',
            dataReason: 'what you bought or looked at is used, as you allowed',
          }),
        },
      },
    },
    async (request) => {
      const { subject } = request.query
      if (request.caller.kind === 'shopper')
        await assertOwnRef(request, subject, (ref) => identity.findSubjectId(ref))
      return offers.explain(request.params.id, subject, signalsOf(request))
    },
  )
}
