import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { actorOf } from '../audit/index.js'
import { assertOwnRef } from '../../http/auth.js'
import { signalsOf } from '../consent/index.js'
import { AppError } from '../../lib/errors.js'
import type { Services } from '../../services.js'
import { PurposeKeySchema } from '../charter/index.js'
import {
  ConsentChangeSchema,
  ConsentDecisionOutSchema as DecisionOut,
  JurisdictionCodeSchema as Jurisdiction,
  decisionOut,
} from '../consent/index.js'
import { EventBatchSchema, IngestResultSchema, SessionIdSchema } from './events.js'

const SESSION_ACCESS = { roles: ['storefront', 'admin'] as const }

/** Event ingest, and the consent and end of anonymous sessions. */
export const eventsRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (
  app,
  { services },
) => {
  const { events } = services

  app.post(
    '/v1/events',
    {
      config: { access: { roles: ['storefront', 'admin'], shopper: true } },
      schema: {
        tags: ['events'],
        summary:
          'Send up to 1,000 events; the answer says, per event, stored, duplicate or refused and why',
        // Compiled once into a generated fast path (a refused body is parsed again by zod's runtime, so
        // the 400 names the same field).
        body: z.compile(EventBatchSchema),
        response: { 200: IngestResultSchema },
      },
      // Up to 1,000 results built field by field from typed values (the schema above documents them,
      // and the tests check answers against it): written out as they are, not parsed again.
      serializerCompiler: () => (data) => JSON.stringify(data),
    },
    async (request) => {
      const batch = request.body.events
      if (request.caller.kind === 'shopper') {
        // A shopper token sends its own subject's events only: no sessions, no other subject.
        const refs = new Set<string>()
        for (const event of batch) {
          if (typeof event.subject !== 'string') {
            throw new AppError(
              'forbidden',
              'A shopper token may only send its own subject’s events',
            )
          }
          refs.add(event.subject)
        }
        for (const ref of refs) {
          await assertOwnRef(request, ref, (r) => services.identity.findSubjectId(r))
        }
      }
      return events.ingest(batch, { actor: actorOf(request), signals: signalsOf(request) })
    },
  )

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
          200: z.object({
            noticeVersion: z.string(),
            jurisdiction: z.string(),
            decisions: z.array(DecisionOut),
          }),
        },
      },
    },
    async (request) => {
      const state = await events.sessionConsentState(request.params.session, signalsOf(request))
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
        body: ConsentChangeSchema.extend({ jurisdiction: Jurisdiction.optional() }),
        response: { 200: z.object({ decision: DecisionOut, expiresAt: z.string() }) },
      },
    },
    async (request) => {
      const { decision, method, noticeVersion } = request.body
      const result = await events.recordSessionConsent(
        request.params.session,
        request.params.purpose,
        { decision, method, noticeVersion },
        signalsOf(request),
        actorOf(request),
      )
      return { decision: decisionOut(result.decision), expiresAt: result.expiresAt }
    },
  )

  app.post(
    '/v1/sessions/:session/end',
    {
      config: { access: SESSION_ACCESS },
      schema: {
        tags: ['events'],
        summary: 'End an anonymous visit: its events and choices are deleted now',
        params: z.object({ session: SessionIdSchema }),
        response: {
          200: z.object({
            events: z.number().int(),
            consentRecords: z.number().int(),
            sessions: z.number().int(),
          }),
        },
      },
    },
    async (request) => events.endSession(request.params.session, actorOf(request)),
  )
}
