import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { Registry } from 'prom-client'
import { z } from 'zod'
import { AppError } from '../lib/errors.js'
import { textAnswer, withExample } from './openapi.js'
import type { Storage } from '../storage/db.js'

const METRICS_EXAMPLE = [
  '# HELP candor_http_requests_total HTTP requests by method, route and status',
  '# TYPE candor_http_requests_total counter',
  'candor_http_requests_total{method="POST",route="/v1/events",status="200"} 18342',
  'candor_http_requests_total{method="GET",route="/v1/recommendations",status="200"} 95120',
  '# HELP candor_rights_requests_overdue Rights requests past their legal deadline and not yet completed or denied',
  '# TYPE candor_rights_requests_overdue gauge',
  'candor_rights_requests_overdue 0',
  '',
].join('\n')

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
      schema: {
        tags: ['health'],
        summary: 'The process is up',
        response: { 200: withExample(Status, { status: 'ok' }) },
      },
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
        response: { 200: withExample(Status, { status: 'ok', database: 'postgres' }) },
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
      schema: {
        tags: ['health'],
        summary: 'Prometheus metrics (text format)',
        response: {
          200: textAnswer('Prometheus text exposition format 0.0.4', {
            'text/plain': METRICS_EXAMPLE,
          }),
        },
      },
    },
    async (_request, reply) => {
      reply.type(registry.contentType)
      return metricsText()
    },
  )
}
