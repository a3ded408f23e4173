import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { withExample } from '../../http/openapi.js'
import type { RoutesApp } from '../../http/routes.js'
import { actorOf } from '../audit/index.js'
import { signalsOf } from '../consent/index.js'
import {
  AssignmentOutSchema,
  ExperimentInputSchema,
  ExperimentSchema,
  StatisticsSchema,
  type Experiment,
} from './experiments.js'
import type { ExperimentsService } from './experiments.service.js'

const EXPERIMENT_EXAMPLE: Experiment = {
  id: 'exp_0mxcqqu4z0000szlt5w6g',
  name: 'Fewer popular items in the row',
  status: 'running',
  target: 'recommendation_parameters',
  purpose: 'personalize.session',
  variants: [
    { name: 'control', weight: 1, settings: { popularShare: 0.4 } },
    { name: 'less_popular', weight: 1, settings: { popularShare: 0.2 } },
  ],
  primaryMetric: 'purchase',
  guardrails: [{ metric: 'not_this', tolerance: 0.01 }],
  stages: [0.01, 0.05, 0.25, 0.5],
  stage: 1,
  exposure: 0.05,
  alpha: 0.05,
  plannedUnits: 10000,
  createdAt: '2026-03-02T09:00:00.000Z',
  updatedAt: '2026-03-09T09:00:00.000Z',
  stoppedReason: null,
}

const IdParams = z.object({ id: z.string().regex(/^exp_[0-9a-z]{1,40}$/) })
const ExperimentWithStatistics = z.object({
  experiment: ExperimentSchema,
  statistics: StatisticsSchema,
})

export interface ExperimentsRoutesDeps {
  services: { experiments: ExperimentsService }
}

/** Staged experiments: define, read with statistics, assign, step the rollout, stop. */
export const experimentsRoutes: FastifyPluginAsyncZod<ExperimentsRoutesDeps> = async (
  app,
  { services },
) => {
  definitionRoutes(app, services.experiments)
  rolloutRoutes(app, services.experiments)
}

/** Defining and reading experiments. */
function definitionRoutes(app: RoutesApp, experiments: ExperimentsService) {
  app.post(
    '/v1/experiments',
    {
      config: { access: { roles: ['admin'] } },
      schema: {
        tags: ['experiments'],
        summary:
          'A new experiment over what Candor controls (recommendation parameters, prompt text, an offer): variants (the first is the control), a primary metric and guardrails among view, basket, purchase and not_this, and rollout stages; it starts at the first stage',
        body: ExperimentInputSchema,
        response: { 201: withExample(ExperimentSchema, EXPERIMENT_EXAMPLE) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await experiments.create(request.body, actorOf(request))),
  )

  app.get(
    '/v1/experiments',
    {
      config: { access: { roles: ['admin', 'analyst'] } },
      schema: {
        tags: ['experiments'],
        summary: 'Every experiment, newest first',
        response: { 200: z.object({ experiments: z.array(ExperimentSchema) }) },
      },
    },
    async () => ({ experiments: await experiments.list() }),
  )

  app.get(
    '/v1/experiments/:id',
    {
      config: { access: { roles: ['admin', 'analyst'] }, problems: ['not_found'] },
      schema: {
        tags: ['experiments'],
        summary:
          'An experiment and its statistics: per variant the units and counts; against the control, always-valid p-values and confidence sequences for the difference in rate (primary metric and guardrails)',
        params: IdParams,
        response: { 200: ExperimentWithStatistics },
      },
    },
    async (request) => experiments.get(request.params.id),
  )
}

/** Assignment, rollout steps and stopping. */
function rolloutRoutes(app: RoutesApp, experiments: ExperimentsService) {
  app.get(
    '/v1/experiments/:id/assignment',
    {
      config: { access: { roles: ['storefront', 'admin'] }, problems: ['not_found'] },
      schema: {
        tags: ['experiments'],
        summary:
          'The variant for a shopper (subject) or a visit (session), enrolling them on first assignment; or not_enrolled with the reason (level off, objected, restricted, no consent, outside the rollout, stopped)',
        params: IdParams,
        querystring: z
          .object({ subject: z.string().min(1).max(200), session: z.string().min(1).max(200) })
          .partial()
          .refine((q) => (q.subject === undefined) !== (q.session === undefined), {
            message: 'exactly one of subject or session',
            path: ['subject'],
          }),
        response: { 200: AssignmentOutSchema },
      },
    },
    async (request) => experiments.assignment(request.params.id, request.query, signalsOf(request)),
  )

  app.post(
    '/v1/experiments/:id/rollout',
    {
      config: { access: { roles: ['admin'] }, problems: ['not_found', 'conflict'] },
      schema: {
        tags: ['experiments'],
        summary:
          'One rollout step: stops the experiment if a guardrail is breached (its confidence sequence lies beyond the tolerated harm), else moves to the next stage',
        params: IdParams,
        response: {
          200: ExperimentWithStatistics.extend({
            action: z.enum(['advanced', 'stopped', 'at_last_stage']),
          }),
        },
      },
    },
    async (request) => experiments.rollout(request.params.id, actorOf(request)),
  )

  app.post(
    '/v1/experiments/:id/stop',
    {
      config: { access: { roles: ['admin'] }, problems: ['not_found', 'conflict'] },
      schema: {
        tags: ['experiments'],
        summary: 'Stops a running experiment: nobody is enrolled any more',
        params: IdParams,
        response: { 200: ExperimentSchema },
      },
    },
    async (request) => experiments.stop(request.params.id, actorOf(request)),
  )
}
