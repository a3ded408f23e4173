import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { assertOwnRef } from '../../http/auth.js'
import { withExample } from '../../http/openapi.js'
import { AppError } from '../../lib/errors.js'
import { actorOf } from '../audit/index.js'
import { signalsOf } from '../consent/index.js'
import type { IdentityService } from '../identity/index.js'
import type { VoiceService } from './voice.service.js'
import {
  ActiveSurveyQuerySchema,
  ActiveSurveySchema,
  type SurveyInput,
  SurveyInputSchema,
  SurveyListSchema,
  SurveySchema,
} from './voice.surveys.js'

const INPUT_EXAMPLE: SurveyInput = {
  id: 'suggestions-helpful',
  title: 'Help us improve',
  questions: [
    {
      id: 'helpful',
      text: 'Was this suggestion helpful?',
      kind: 'choice',
      options: ['Yes', 'No'],
    },
  ],
  contexts: ['recommendations'],
  purpose: 'personalize.recommendations',
  schedule: { from: '2026-03-01T00:00:00.000Z' },
  sampleRate: 0.5,
  capDays: 30,
  priority: 0,
  active: true,
}
const TIMES = { createdAt: '2026-02-27T09:00:00.000Z', updatedAt: '2026-02-27T09:00:00.000Z' }

/** Surveys: staff define and list them; a storefront asks which one to show a shopper now. */
export const surveysRoutes: FastifyPluginAsyncZod<{
  voice: VoiceService
  identity: Pick<IdentityService, 'findSubjectId'>
}> = async (app, { voice, identity }) => {
  app.put(
    '/v1/surveys',
    {
      config: { access: { roles: ['admin'] } },
      schema: {
        tags: ['voice'],
        summary:
          'Define (or replace, by id) a survey: questions (choice, rating 1-5 or text), where it shows, the charter purpose it rests on, schedule, sampling and cap; 400 names each field that is wrong',
        body: withExample(SurveyInputSchema, INPUT_EXAMPLE),
        response: { 200: withExample(SurveySchema, { ...INPUT_EXAMPLE, ...TIMES }) },
      },
    },
    async (request) => voice.surveys.define(request.body, actorOf(request)),
  )

  app.get(
    '/v1/surveys',
    {
      config: { access: { roles: ['admin', 'analyst'] } },
      schema: {
        tags: ['voice'],
        summary:
          'Every survey, with its answers counted per question and choice (no shopper, no text)',
        response: {
          200: withExample(SurveyListSchema, {
            surveys: [{ ...INPUT_EXAMPLE, ...TIMES, answers: { helpful: { Yes: 12, No: 3 } } }],
          }),
        },
      },
    },
    async () => ({ surveys: await voice.surveys.list() }),
  )

  app.get(
    '/v1/surveys/active',
    {
      config: { access: { roles: ['storefront', 'admin'], shopper: true } },
      schema: {
        tags: ['voice'],
        summary:
          'The survey to show this shopper (subject) or visit (session) in a context now, with the questions not answered yet; null with the reason when none (purpose not allowed, answered, capped, not sampled, none running)',
        description:
          'Showing it is recorded for the survey cap (under its purpose, in the shopper export and erasure). Answers go to `POST /v1/voice` with `kind: "survey"`, `survey`, `question` and `answer` (choice), `rating` (rating) or `text` (text).',
        querystring: ActiveSurveyQuerySchema,
        response: {
          200: withExample(ActiveSurveySchema, {
            survey: {
              id: INPUT_EXAMPLE.id,
              title: INPUT_EXAMPLE.title,
              purpose: INPUT_EXAMPLE.purpose,
              questions: INPUT_EXAMPLE.questions,
            },
            reason: 'shown',
          }),
        },
      },
    },
    async (request) => {
      const { query } = request
      if (request.caller.kind === 'shopper') {
        if (query.subject === undefined)
          throw new AppError('forbidden', 'A shopper token acts as its own subject')
        await assertOwnRef(request, query.subject, (ref) => identity.findSubjectId(ref))
      }
      return voice.surveys.active(query, signalsOf(request))
    },
  )
}
