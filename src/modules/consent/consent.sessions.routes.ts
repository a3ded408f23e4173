import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { actorOf } from '../audit/index.js'
import { PurposeKeySchema } from '../charter/index.js'
import { SessionIdSchema } from '../session/index.js'
import {
  ConsentChangeSchema,
  ConsentDecisionOutSchema as DecisionOut,
  JurisdictionCodeSchema as Jurisdiction,
  decisionOut,
} from './consent.js'
import type { ConsentService } from './consent.service.js'
import { signalsOf } from './consent.signals.js'
import { withExample } from '../../http/openapi.js'
import {
  SESSION_CONSENT_CHANGED_EXAMPLE,
  SESSION_CONSENT_CHANGE_EXAMPLE,
  SESSION_CONSENT_STATE_EXAMPLE,
} from './consent.examples.js'

const SESSION_ACCESS = { roles: ['storefront', 'admin'] as const }

/**
 * The consent of anonymous visits (`consent.sessions.ts`). Tagged `events` in the API document, where
 * these operations have always been listed beside ingest.
 */
export const sessionConsentRoutes: FastifyPluginAsyncZod<{
  services: { consent: Pick<ConsentService, 'sessions'> }
}> = async (app, { services }) => {
  const { consent } = services

  app.get(
    '/v1/sessions/:session/consents',
    {
      config: { access: SESSION_ACCESS },
      schema: {
        tags: ['events'],
        summary: "An anonymous visitor's decision per purpose (defaults until they choose)",
        params: z.object({ session: SessionIdSchema }),
        querystring: z.object({ jurisdiction: Jurisdiction.optional() }),
        response: {
          200: withExample(
            z.object({
              noticeVersion: z.string(),
              jurisdiction: z.string(),
              decisions: z.array(DecisionOut),
            }),
            SESSION_CONSENT_STATE_EXAMPLE,
          ),
        },
      },
    },
    async (request) => {
      const state = await consent.sessions.state(request.params.session, signalsOf(request))
      return {
        noticeVersion: state.noticeVersion,
        jurisdiction: state.jurisdiction,
        decisions: state.decisions.map(decisionOut),
      }
    },
  )

  app.put(
    '/v1/sessions/:session/consents/:purpose',
    {
      config: { access: SESSION_ACCESS, problems: ['notice_outdated'] },
      schema: {
        tags: ['events'],
        summary:
          "An anonymous visitor's choice for a session-scoped purpose; kept until the session ends (24 h at most)",
        params: z.object({ session: SessionIdSchema, purpose: PurposeKeySchema }),
        body: withExample(
          ConsentChangeSchema.extend({ jurisdiction: Jurisdiction.optional() }),
          SESSION_CONSENT_CHANGE_EXAMPLE,
        ),
        response: {
          200: withExample(
            z.object({ decision: DecisionOut, expiresAt: z.string() }),
            SESSION_CONSENT_CHANGED_EXAMPLE,
          ),
        },
      },
    },
    async (request) => {
      const { decision, method, noticeVersion } = request.body
      const result = await consent.sessions.recordChange(
        request.params.session,
        request.params.purpose,
        { decision, method, noticeVersion },
        signalsOf(request),
        actorOf(request),
      )
      return { decision: decisionOut(result.decision), expiresAt: result.expiresAt }
    },
  )
}
