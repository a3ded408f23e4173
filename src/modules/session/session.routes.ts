import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { withExample } from '../../http/openapi.js'
import { actorOf } from '../audit/index.js'
import { SessionIdSchema } from './session.js'
import type { SessionService } from './session.service.js'

const SESSION_ACCESS = { roles: ['storefront', 'admin'] as const }

/** The end of an anonymous visit. (Its consent routes are the consent module's.) */
export const sessionRoutes: FastifyPluginAsyncZod<{
  services: { session: SessionService }
}> = async (app, { services }) => {
  const { session } = services

  app.post(
    '/v1/sessions/:session/end',
    {
      config: { access: SESSION_ACCESS },
      schema: {
        tags: ['events'],
        summary: 'End an anonymous visit: its events and choices are deleted now',
        params: z.object({ session: SessionIdSchema }),
        response: {
          200: withExample(
            z.object({
              events: z.number().int(),
              consentRecords: z.number().int(),
              sessions: z.number().int(),
            }),
            // What was deleted: the visit's events, its choices and the visit itself.
            { events: 14, consentRecords: 1, sessions: 1 },
          ),
        },
      },
    },
    async (request) => session.end(request.params.session, actorOf(request)),
  )
}
