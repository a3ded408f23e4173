import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { withExample } from '../../http/openapi.js'
import type { VoiceService } from './voice.service.js'
import { NegativeItemsQuerySchema, NegativeItemsSchema } from './voice.js'

const NEGATIVE_ITEMS_EXAMPLE = {
  from: '2026-02-23T09:40:00.000Z',
  to: '2026-03-02T09:40:00.000Z',
  items: [
    {
      item: '85123A',
      negative: 6,
      entries: 9,
      meanRating: 1.9,
      aspects: ['quality', 'delivery'],
      lastNegativeAt: '2026-03-02T09:38:00.000Z',
    },
  ],
}

/** `GET /v1/voice/negative-items`: the items with recent negative entries (the console's voice panel). */
export const negativeItemsRoutes: FastifyPluginAsyncZod<{
  voice: Pick<VoiceService, 'negativeItems'>
}> = async (app, { voice }) => {
  app.get(
    '/v1/voice/negative-items',
    {
      config: { access: { roles: ['analyst', 'admin'] } },
      schema: {
        tags: ['voice'],
        summary: 'Items with negative entries in the last days, most negatives first (counts only)',
        description:
          'Per item with at least one negative entry in the last `days` days: its negative and all entries, mean rating, the aspects the negative ones named and when the latest came. No text, no shopper.',
        querystring: NegativeItemsQuerySchema,
        response: { 200: withExample(NegativeItemsSchema, NEGATIVE_ITEMS_EXAMPLE) },
      },
    },
    async (request) => voice.negativeItems(request.query.days, request.query.limit),
  )
}
