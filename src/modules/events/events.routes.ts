import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { actorOf } from '../audit/index.js'
import { assertOwnRef } from '../../http/auth.js'
import { signalsOf } from '../consent/index.js'
import { AppError } from '../../lib/errors.js'
import type { IdentityService } from '../identity/index.js'
import { EventBatchSchema, IngestResultSchema } from './events.js'
import type { EventsService } from './events.service.js'

/** Event ingest. (A session's consent routes are the consent module's, its end the session module's.) */
/** What the events routes use. */
export interface EventsRoutesDeps {
  events: EventsService
  identity: Pick<IdentityService, 'findSubjectId'>
}

export const eventsRoutes: FastifyPluginAsyncZod<{ services: EventsRoutesDeps }> = async (
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
}
