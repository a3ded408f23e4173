import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { withExample } from '../../http/openapi.js'
import { JobListSchema } from './jobs.js'
import type { JobRunner } from './jobs.runner.js'

const JOB_LIST_EXAMPLE = {
  jobs: [
    {
      kind: 'recommend.train',
      key: null,
      state: 'running' as const,
      dueAt: '2026-03-02T09:00:00.000Z',
      lease: { host: 'candor-2', pid: 4121, until: '2026-03-02T09:00:06.000Z' },
      runs: 12,
      failures: 0,
      lastStartedAt: '2026-03-02T09:00:00.120Z',
      lastFinishedAt: '2026-03-02T08:00:41.870Z',
      lastError: null,
    },
    {
      kind: 'retention',
      key: null,
      state: 'failing' as const,
      dueAt: '2026-03-02T09:01:00.000Z',
      lease: null,
      runs: 40,
      failures: 1,
      lastStartedAt: '2026-03-02T09:00:29.000Z',
      lastFinishedAt: '2026-03-02T09:00:30.000Z',
      lastError: 'Error: Connection terminated unexpectedly',
    },
  ],
}

/** The background jobs, for staff: what runs where, when each runs next, and the last error. */
export const jobsRoutes: FastifyPluginAsyncZod<{ services: { jobs: JobRunner } }> = async (
  app,
  { services },
) => {
  app.get(
    '/v1/admin/jobs',
    {
      config: { access: { roles: ['admin'] } },
      schema: {
        tags: ['admin'],
        summary:
          'The background jobs (retention, training, audit checkpoints, rights requests): state, which process holds each, last run and error',
        response: { 200: withExample(JobListSchema, JOB_LIST_EXAMPLE) },
      },
    },
    async () => ({ jobs: await services.jobs.list() }),
  )
}
