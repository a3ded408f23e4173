import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { assertOwnRef } from '../../http/auth.js'
import { withExample } from '../../http/openapi.js'
import { AppError } from '../../lib/errors.js'
import { actorOf } from '../audit/index.js'
import { signalsOf } from '../consent/index.js'
import type { IdentityService } from '../identity/index.js'
import { voiceFeedRoutes } from './voice.feed.routes.js'
import { negativeItemsRoutes } from './voice.negative-items.routes.js'
import { representativenessRoutes } from './voice.representativeness.routes.js'
import { surveysRoutes } from './voice.surveys.routes.js'
import type { VoiceService } from './voice.service.js'
import { TrendsQuerySchema, TrendsSchema, VoiceInputSchema, VoiceReceiptSchema } from './voice.js'

export interface VoiceRoutesDeps {
  voice: VoiceService
  identity: Pick<IdentityService, 'findSubjectId'>
}

const VOICE_EXAMPLE = {
  kind: 'review' as const,
  subject: 'cust-1042',
  item: '85123A',
  rating: 2,
  text: 'Pretty, but it arrived late and the glass was cracked.',
}
const RECEIPT_EXAMPLE = {
  id: 'voc_0mxcqqu4z0000szlt5w6g',
  purpose: 'personalize.recommendations',
  sentiment: -0.25,
  aspects: ['delivery' as const],
  negative: true,
  expiresAt: '2027-03-02T09:00:00.000Z',
}

const TRENDS_EXAMPLE = {
  from: '2026-03-01',
  to: '2026-03-02',
  item: '85123A',
  days: ['2026-03-01', '2026-03-02'].map((day, i) => ({
    day,
    entries: 4 + i * 6,
    negative: 1 + i * 6,
    meanSentiment: i === 0 ? 0.31 : -0.18,
    meanRating: i === 0 ? 4.25 : 1.9,
    aspects: {
      relevance: { entries: 0, negative: 0 },
      privacy: { entries: 0, negative: 0 },
      price: { entries: 1, negative: 0 },
      delivery: { entries: 1 + i * 5, negative: i * 5 },
      quality: { entries: 1 + i * 6, negative: i * 6 },
    },
  })),
}
const ALERTS_EXAMPLE = {
  alerts: [
    {
      id: 'val_0mxcqqu4z0000szlt5w6g',
      target: 'item:85123A',
      hour: '2026-03-02T09:00:00.000Z',
      count: 6,
      statistic: 4.5,
      delivered: true,
      createdAt: '2026-03-02T09:40:00.000Z',
    },
  ],
}

const AlertSchema = z.object({
  id: z.string(),
  target: z.string(),
  hour: z.string(),
  count: z.int(),
  statistic: z.number(),
  delivered: z.boolean(),
  createdAt: z.string(),
})

/** Intake of reviews, survey answers and feedback; trends and alerts for analysts. */
export const voiceRoutes: FastifyPluginAsyncZod<{ services: VoiceRoutesDeps }> = async (
  app,
  { services },
) => {
  const { voice, identity } = services
  // Alert checks still running go out before the database closes.
  app.addHook('onClose', async () => {
    await voice.idle()
  })
  await app.register(voiceFeedRoutes, { voice })
  await app.register(representativenessRoutes, { voice })
  await app.register(negativeItemsRoutes, { voice })
  await app.register(surveysRoutes, { voice, identity })

  app.post(
    '/v1/voice',
    {
      config: { access: { roles: ['storefront', 'admin'], shopper: true } },
      schema: {
        tags: ['voice'],
        summary:
          'A review, a survey answer, or feedback on personalization, under a charter purpose',
        description:
          'Refused with 400 naming the field when `text` or `answer` looks like it holds personal data (an email address, a phone or card number): nothing is stored and the text is not echoed. ' +
          'Refused with 403 `consent_required` when the purpose (default `personalize.recommendations`, which must declare `user.behavior.feedback`) is not allowed for the shopper. ' +
          'Kept under the shopper pseudonym until the purpose retention ends; the answer gives the analysis, not the text.',
        body: withExample(VoiceInputSchema, VOICE_EXAMPLE),
        response: { 201: withExample(VoiceReceiptSchema, RECEIPT_EXAMPLE) },
      },
    },
    async (request, reply) => {
      if (request.caller.kind === 'shopper') {
        if (request.body.subject === undefined)
          throw new AppError('forbidden', 'A shopper token acts as its own subject')
        await assertOwnRef(request, request.body.subject, (ref) => identity.findSubjectId(ref))
      }
      const receipt = await voice.submit(request.body, signalsOf(request), actorOf(request))
      return reply.code(201).send(receipt)
    },
  )

  app.get(
    '/v1/voice/trends',
    {
      config: { access: { roles: ['analyst', 'admin'] } },
      schema: {
        tags: ['voice'],
        summary: 'Entries, negatives, sentiment, rating and aspects per day (no text, no shopper)',
        querystring: TrendsQuerySchema,
        response: { 200: withExample(TrendsSchema, TRENDS_EXAMPLE) },
      },
    },
    async (request) => voice.trends(request.query),
  )

  app.get(
    '/v1/voice/alerts',
    {
      config: { access: { roles: ['analyst', 'admin'] } },
      schema: {
        tags: ['voice'],
        summary: 'Spikes of negative entries per item or aspect, newest first',
        querystring: z.strictObject({ limit: z.coerce.number().int().min(1).max(500).default(50) }),
        response: { 200: withExample(z.object({ alerts: z.array(AlertSchema) }), ALERTS_EXAMPLE) },
      },
    },
    async (request) => ({ alerts: await voice.alerts(request.query.limit) }),
  )
}
