import { z } from 'zod'
import type { RoutesApp } from '../../http/routes.js'
import type { RecommendService } from './recommend.service.js'
import { DEFAULT_SERVING } from './serving.js'

/** The serving model's media type (layout: engine/serving-model.ts). */
export const SERVING_MODEL_TYPE = 'application/vnd.candor.serving-model'

const ServingQuerySchema = z.strictObject({
  neighbours: z.coerce
    .number()
    .int()
    .min(1)
    .max(1000)
    .optional()
    .meta({
      description: `Neighbours kept per item (default ${DEFAULT_SERVING.neighbours}; at most what the model holds), and EASE weights kept per modelled item when training chose EASE (1000 keeps them all)`,
      examples: [DEFAULT_SERVING.neighbours],
    }),
  precision: z
    .enum(['f32', 'u8'])
    .optional()
    .meta({
      description: `Neighbour weights: f32 as the server ranks with them, u8 in 255ths of each item's largest (default ${DEFAULT_SERVING.precision})`,
      examples: [DEFAULT_SERVING.precision],
    }),
})

/** `GET /v1/models/current`: the item model a browser ranks with at the `on_device` level. */
export function servingRoutes(app: RoutesApp, recommend: RecommendService) {
  app.get(
    '/v1/models/current',
    {
      // Like the SDK's other calls: the shop's storefront key or a shopper token. The model holds
      // no person's data, but it is the shop's own aggregate, not a public document.
      config: { access: { roles: ['storefront', 'admin'], shopper: true } },
      schema: {
        tags: ['recommendations'],
        summary:
          'The serving item model for on-device ranking: each item’s top neighbours, popularity and repeat propensity, EASE weights when training chose EASE, category numbers and new items’ listing times (no special-category item, no person’s data)',
        description:
          'The same model the `personal` level ranks with, compacted (see the README, "On-device level", for size and quality at each setting). ' +
          'The ETag is the model version: send it back in `If-None-Match` and an unchanged model answers 304 with no body. Gzipped when the request accepts it.',
        querystring: ServingQuerySchema,
        response: {
          200: {
            description: 'The serving model (binary, engine/serving-model.ts)',
            content: {
              [SERVING_MODEL_TYPE]: {
                schema: z.string().meta({
                  contentMediaType: SERVING_MODEL_TYPE,
                  description:
                    'Magic CNDRSM01, a JSON header (item ids, counts, scoring parameters), then the per-item counts and the neighbour rows',
                }),
              },
            },
          },
          304: z.null().describe('Not modified: the model of the ETag sent is still current'),
        },
      },
    },
    async (request, reply) => {
      const served = await recommend.servingModel(request.query)
      reply
        .header('etag', served.etag)
        .header('cache-control', 'no-cache')
        .header('vary', 'accept-encoding')
        .header('candor-model-items', String(served.items))
        .header('candor-model-neighbours', String(served.neighbours))
        .header('candor-model-precision', served.precision)
      const sent = request.headers['if-none-match']
      if (
        sent !== undefined &&
        sent.split(',').some((tag) => tag.trim().replace(/^W\//, '') === served.etag)
      )
        return reply.code(304).send(null)
      const gzip = /\bgzip\b/.test(request.headers['accept-encoding'] ?? '')
      if (gzip) reply.header('content-encoding', 'gzip')
      return reply
        .type(SERVING_MODEL_TYPE)
        .send(Buffer.from(gzip ? served.gzipped : served.bytes) as never)
    },
  )
}
