import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { Registry } from 'prom-client'
import { z } from 'zod'
import { AppError } from '../lib/errors.js'
import type { Storage } from '../storage/db.js'

/** Liveness, readiness (the database answers) and Prometheus metrics; all public. */
export const healthRoutes: FastifyPluginAsyncZod<{
  services: { storage: Pick<Storage, 'ping' | 'dialect'> }
  registry: Registry
  /** The metrics text (this process's registry's, or every worker's summed). */
  metricsText: () => Promise<string>
}> = async (app, { services, registry, metricsText }) => {
  const Status = z.object({ status: z.string(), database: z.string().optional() })
  app.get(
    '/health/live',
    {
      config: { access: { public: true } },
      schema: { tags: ['health'], summary: 'The process is up', response: { 200: Status } },
    },
    () => ({ status: 'ok' }),
  )
  app.get(
    '/health/ready',
    {
      config: { access: { public: true } },
      schema: {
        tags: ['health'],
        summary: 'The database is reachable',
        response: { 200: Status },
      },
    },
    async () => {
      try {
        await services.storage.ping()
      } catch (cause) {
        throw new AppError('unavailable', 'The database is not reachable', { cause })
      }
      return { status: 'ok', database: services.storage.dialect }
    },
  )
  app.get(
    '/metrics',
    {
      config: { access: { public: true } },
      schema: { tags: ['health'], summary: 'Prometheus metrics (text format)' },
    },
    async (_request, reply) => {
      reply.type(registry.contentType)
      return metricsText()
    },
  )
}
