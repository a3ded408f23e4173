import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { actorOf } from '../audit/index.js'
import { assertOwnRef } from '../../http/auth.js'
import { withExample } from '../../http/openapi.js'
import { AppError } from '../../lib/errors.js'
import { signalsOf } from '../consent/index.js'
import type { IdentityService } from '../identity/index.js'
import type { AssistantService } from './assistant.service.js'
import { AssistantAnswerSchema, AssistantMessageSchema } from './assistant.js'

// What `/docs` shows: the demo shop's catalog (UCI Online Retail items), asked by an anonymous visit.
const MESSAGE_EXAMPLE = {
  text: 'a gift under 20 pounds for a tea lover',
  session: 'visit-7f3a9c21',
} as const
const ANSWER_EXAMPLE = {
  conversationId: 'conv_0mxcqqtzk0000xnoba139',
  reply:
    'Here are 2 ideas for a tea lover up to £20.00: SET/3 RED SPOTTY TEA TOWELS (£2.95); TEA TIME TEA TOWELS (£3.25). I used what you asked for and what you looked at during this visit, nothing from before it (based only on what you do during this visit).',
  items: [
    {
      id: '21080',
      title: 'SET/3 RED SPOTTY TEA TOWELS',
      price: 2.95,
      category: ['Kitchen'],
      explanation: {
        kind: 'similar_to_viewed',
        sentence:
          'Goes with Retrospot Tea Set Ceramic 11 Pc, which you looked at during this visit.',
        evidence: [{ id: '22072', title: 'RETROSPOT TEA SET CERAMIC 11 PC' }],
      },
      match: 'It matches “tea” and is £2.95, up to £20.00.',
    },
    {
      id: '23298',
      title: 'TEA TIME TEA TOWELS',
      price: 3.25,
      category: ['Kitchen'],
      explanation: {
        kind: 'matches_request',
        sentence: 'It matches “tea” and is £3.25, up to £20.00.',
        evidence: [],
      },
      match: 'It matches “tea” and is £3.25, up to £20.00.',
    },
  ],
  level: 'session',
  levelReason: 'session: based only on what you do during this visit',
  used: 'I used what you asked for and what you looked at during this visit, nothing from before it (based only on what you do during this visit).',
  understood: { budget: { max: 20 }, occasion: 'gift', recipient: 'tea lover', terms: ['tea'] },
  kept: false,
  phrasedBy: 'candor',
} as const

/** What the assistant routes use. */
export interface AssistantRoutesDeps {
  assistant: AssistantService
  identity: Pick<IdentityService, 'findSubjectId'>
}

/** `POST /v1/assistant/messages`: the shopping assistant. */
export const assistantRoutes: FastifyPluginAsyncZod<{ services: AssistantRoutesDeps }> = async (
  app,
  { services },
) => {
  const { assistant, identity } = services
  app.post(
    '/v1/assistant/messages',
    {
      // As recommendations: the shop's storefront key, or a shopper token for its own subject.
      config: { access: { roles: ['storefront', 'admin'], shopper: true } },
      schema: {
        tags: ['recommendations'],
        summary:
          'The shopping assistant: products for a message in plain words ("a gift under 20 pounds for a tea lover"), ranked at the level the shopper allows, each explained',
        description:
          'The message is read for a budget (a hard filter on the price), a catalog category (items under it, or with its word in their title), an occasion and a recipient; the catalog is searched (BM25 with prefix and fuzzy matching, title first) over available items that are not special-category. ' +
          'The matches are ranked with the recommender’s answer at the shopper’s level: `off` adds only what sells well, `session` this visit’s items, `personal` the shopper’s history; `used` says which, and why. ' +
          'A message holding an e-mail address, a phone or a card number is refused (400 naming `text`). Nothing of the conversation is kept unless the shopper granted `personalize.assistant`.',
        body: withExample(AssistantMessageSchema, MESSAGE_EXAMPLE),
        response: { 200: withExample(AssistantAnswerSchema, ANSWER_EXAMPLE) },
      },
    },
    async (request) => {
      const { subject } = request.body
      if (request.caller.kind === 'shopper') {
        if (subject === undefined)
          throw new AppError('forbidden', 'A shopper token acts as its own subject')
        await assertOwnRef(request, subject, (ref) => identity.findSubjectId(ref))
      }
      return assistant.message(request.body, signalsOf(request), actorOf(request))
    },
  )
}
