import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { withExample } from '../../http/openapi.js'
import type { VoiceService } from './voice.service.js'
import { RepresentativenessSchema } from './voice.js'

const REPRESENTATIVENESS_EXAMPLE = {
  from: '2026-02-01T09:00:00.000Z',
  to: '2026-03-02T09:00:00.000Z',
  threshold: 0.2,
  minRespondents: 20,
  baseShoppers: 1200,
  respondents: 84,
  anonymousRespondents: 6,
  enough: true,
  skewed: true,
  dimensions: [
    {
      dimension: 'tenure' as const,
      distance: 0.31,
      skewed: true,
      groups: [
        { group: 'new', base: 0.4, respondents: 0.09 },
        { group: 'returning', base: 0.6, respondents: 0.91 },
      ],
    },
  ],
}

/** `GET /v1/voice/representativeness`: respondents against the shopper base. */
export const representativenessRoutes: FastifyPluginAsyncZod<{
  voice: Pick<VoiceService, 'representativeness'>
}> = async (app, { voice }) => {
  app.get(
    '/v1/voice/representativeness',
    {
      config: { access: { roles: ['analyst', 'admin'] } },
      schema: {
        tags: ['voice'],
        summary:
          'Whether respondents look like the shopper base, by jurisdiction, level and tenure (shares only)',
        description:
          'Per dimension, the total variation distance between the shares of respondents (known shoppers with an entry in the last `days` days) and of the shopper base; skewed above the threshold (0.2), not judged under 20 respondents.',
        querystring: z.strictObject({
          days: z.coerce.number().int().min(1).max(366).default(30),
        }),
        response: { 200: withExample(RepresentativenessSchema, REPRESENTATIVENESS_EXAMPLE) },
      },
    },
    async (request) => voice.representativeness(request.query.days),
  )
}
