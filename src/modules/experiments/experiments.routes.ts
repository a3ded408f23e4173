import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { withExample } from '../../http/openapi.js'
import type { RoutesApp } from '../../http/routes.js'
import { actorOf } from '../audit/index.js'
import { signalsOf } from '../consent/index.js'
import { CustomerRefSchema, type IdentityService } from '../identity/index.js'
import {
  AssignmentOutSchema,
  ExperimentInputSchema,
  ExperimentSchema,
  StatisticsSchema,
  type Experiment,
} from './experiments.js'
import { LookPointSchema } from './experiments.rollout.js'
import type { ExperimentsService } from './experiments.service.js'

const EXPERIMENT_EXAMPLE: Experiment = {
  id: 'exp_0mxcqqu4z0000szlt5w6g',
  name: 'Fewer popular items in the row',
  status: 'running',
  target: 'recommendation_parameters',
  purpose: 'personalize.session',
  variants: [
    { name: 'control', weight: 1, settings: {} },
    { name: 'less_popular', weight: 1, settings: { 'personal.popularityWeight': 0 } },
  ],
  primaryMetric: 'purchase',
  guardrails: [{ metric: 'not_this', tolerance: 0.01 }],
  stages: [0.01, 0.05, 0.25, 0.5],
  stage: 1,
  exposure: 0.05,
  alpha: 0.05,
  plannedUnits: 10000,
  stageHours: 24,
  createdAt: '2026-03-02T09:00:00.000Z',
  updatedAt: '2026-03-09T09:00:00.000Z',
  stoppedReason: null,
}

const INPUT_EXAMPLE = {
  name: EXPERIMENT_EXAMPLE.name,
  target: EXPERIMENT_EXAMPLE.target,
  variants: EXPERIMENT_EXAMPLE.variants,
  primaryMetric: EXPERIMENT_EXAMPLE.primaryMetric,
  guardrails: EXPERIMENT_EXAMPLE.guardrails,
}

const COMPARISON_EXAMPLE = {
  variant: 'less_popular',
  metric: 'purchase' as const,
  controlRate: 0.081,
  variantRate: 0.094,
  difference: 0.013,
  relativeLift: 0.16,
  pValue: 0.41,
  interval: [-0.019, 0.045] as [number, number],
  significant: false,
}

const STATISTICS_EXAMPLE = {
  method:
    'mSPRT with a normal mixture (Johari et al. 2022), confidence sequences as in Howard et al. 2021; Bonferroni over variants and metrics',
  arms: [
    {
      variant: 'control',
      units: 1210,
      counts: { view: 1002, basket: 240, purchase: 98, not_this: 31, creepy: 2 },
    },
    {
      variant: 'less_popular',
      units: 1188,
      counts: { view: 990, basket: 251, purchase: 112, not_this: 36, creepy: 3 },
    },
  ],
  primary: [COMPARISON_EXAMPLE],
  guardrails: [
    {
      ...COMPARISON_EXAMPLE,
      metric: 'not_this' as const,
      controlRate: 0.026,
      variantRate: 0.03,
      difference: 0.004,
      relativeLift: 0.18,
      pValue: 1,
      interval: [-0.012, 0.02] as [number, number],
      tolerance: 0.01,
      breached: false,
    },
  ],
}

const HISTORY_EXAMPLE = [
  {
    at: '2026-03-09T09:00:00.000Z',
    stage: 0,
    units: [610, 598],
    comparisons: [
      {
        metric: 'purchase',
        variant: 'less_popular',
        difference: 0.011,
        interval: [-0.041, 0.063] as [number, number],
        pValue: 0.88,
      },
    ],
  },
]

const IdParams = z.object({ id: z.string().regex(/^exp_[0-9a-z]{1,40}$/) })
const ExperimentWithStatistics = z.object({
  experiment: ExperimentSchema,
  statistics: StatisticsSchema,
})

/** One experiment a shopper is in, as the privacy center lists it. */
const SubjectExperimentSchema = z.object({
  experiment: z.string(),
  name: z.string().nullable(),
  status: z.string().nullable(),
  variant: z.string().nullable(),
  control: z.boolean().describe('In the control group: nothing differs for them'),
  differs: z.string().nullable().describe('What their variant changes, in plain words'),
  enrolledAt: z.string(),
})
const SubjectExperimentsSchema = z.object({
  experiments: z.array(SubjectExperimentSchema),
  answersShaped: z.number().int().describe('How many answers an experiment shaped for them'),
})

export interface ExperimentsRoutesDeps {
  services: { experiments: ExperimentsService; identity: IdentityService }
}

/** Staged experiments: define, read with statistics, assign, step the rollout, stop. */
export const experimentsRoutes: FastifyPluginAsyncZod<ExperimentsRoutesDeps> = async (
  app,
  { services },
) => {
  definitionRoutes(app, services.experiments)
  rolloutRoutes(app, services.experiments)
  subjectRoutes(app, services)
}

/** The experiments a shopper is in, for the privacy center (their own shopper token, or staff). */
function subjectRoutes(app: RoutesApp, services: ExperimentsRoutesDeps['services']) {
  app.get(
    '/v1/subjects/:ref/experiments',
    {
      config: {
        access: { roles: ['storefront', 'privacy_officer', 'admin'], shopper: true },
      },
      schema: {
        tags: ['experiments'],
        summary:
          'The experiments a shopper is enrolled in: the variant, what it changes for them in plain words, and how many answers experiments shaped (empty for an unknown shopper)',
        params: z.object({ ref: CustomerRefSchema }),
        response: {
          200: withExample(SubjectExperimentsSchema, {
            experiments: [
              {
                experiment: EXPERIMENT_EXAMPLE.id,
                name: EXPERIMENT_EXAMPLE.name,
                status: 'running',
                variant: 'less_popular',
                control: false,
                differs:
                  'Your suggestions are ranked differently: we change how much items popular with everyone count.',
                enrolledAt: '2026-03-02T10:00:00.000Z',
              },
            ],
            answersShaped: 12,
          }),
        },
      },
    },
    async (request) => {
      const subjectId = await services.identity.findSubjectId(request.params.ref)
      if (subjectId === undefined) return { experiments: [], answersShaped: 0 }
      const held = await services.experiments.exportSubject(subjectId)
      return {
        experiments: held.experiments.map((e) => ({
          experiment: e.experiment,
          name: e.name,
          status: e.status,
          variant: e.variant,
          control: e.control,
          differs: e.differs,
          enrolledAt: e.enrolledAt,
        })),
        answersShaped: held.answersShaped,
      }
    },
  )
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
        body: withExample(ExperimentInputSchema, INPUT_EXAMPLE),
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
        response: {
          200: withExample(z.object({ experiments: z.array(ExperimentSchema) }), {
            experiments: [EXPERIMENT_EXAMPLE],
          }),
        },
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
        response: {
          200: withExample(
            ExperimentWithStatistics.extend({
              history: z
                .array(LookPointSchema)
                .describe(
                  'Each look of the rollout job (oldest first, thinned past 400): the units per variant and every comparison confidence sequence then, for the chart',
                ),
            }),
            {
              experiment: EXPERIMENT_EXAMPLE,
              statistics: STATISTICS_EXAMPLE,
              history: HISTORY_EXAMPLE,
            },
          ),
        },
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
        response: {
          200: withExample(AssignmentOutSchema, {
            experiment: EXPERIMENT_EXAMPLE.id,
            status: 'enrolled',
            variant: 'less_popular',
            settings: { 'personal.popularityWeight': 0 },
          }),
        },
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
          200: withExample(
            ExperimentWithStatistics.extend({
              action: z.enum(['advanced', 'stopped', 'at_last_stage']),
            }),
            {
              action: 'advanced',
              experiment: { ...EXPERIMENT_EXAMPLE, stage: 2, exposure: 0.25 },
              statistics: STATISTICS_EXAMPLE,
            },
          ),
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
        response: {
          200: withExample(ExperimentSchema, {
            ...EXPERIMENT_EXAMPLE,
            status: 'stopped',
            stoppedReason: { kind: 'manual', at: '2026-03-10T09:00:00.000Z' },
          }),
        },
      },
    },
    async (request) => experiments.stop(request.params.id, actorOf(request)),
  )
}
