import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { withExample } from '../../http/openapi.js'
import { AppError } from '../../lib/errors.js'
import { actorOf } from '../audit/index.js'
import type { ApiKeyInfo, Role } from '../auth/index.js'
import {
  BudgetStateSchema,
  InsightsAnswerSchema,
  InsightsQuerySchema,
  type InsightsAnswer,
  type InsightsQuery,
} from './insights.js'
import type { BudgetKind, InsightsService } from './insights.service.js'

const BUDGET_EXAMPLE = {
  keyId: 'key_5c1f0e9a7b3d2c4e6f80',
  periodDays: 30,
  rho: 2,
  spentRho: 0.52,
  remainingRho: 1.48,
  epsilon: 12.9,
  remainingEpsilon: 11.04,
  delta: 1e-6,
  queries: 13,
  renewsAt: '2026-04-01T09:00:00.000Z',
}

const QUERY_EXAMPLE: InsightsQuery = {
  measure: 'events',
  groupBy: ['week'],
  filters: { from: '2026-02-02', to: '2026-03-01', types: ['purchase'], items: ['85123A'] },
  epsilon: 0.2,
  mechanism: 'gaussian',
  limit: 1000,
  dryRun: false,
}

const ANSWER_EXAMPLE: InsightsAnswer = {
  dryRun: false,
  cells: [
    { group: { week: '2026-W06' }, value: 412, noiseScale: 9.5, interval: [393.4, 430.6] },
    { group: { week: '2026-W07' }, value: 377, noiseScale: 9.5, interval: [358.4, 395.6] },
  ],
  cost: { rho: 0.02, epsilon: 1.05, delta: 1e-6 },
  budget: { ...BUDGET_EXAMPLE, spentRho: 0.54, remainingRho: 1.46, queries: 14 },
  contribution: { maxRowsPerGroup: 4, maxGroupsPerSubject: 60 },
  sensitivity: { l1: 240, l2: 30.98 },
  suppressed: 0,
  truncated: false,
}

/** The roles whose keys have a budget of their own. */
const BUDGET_ROLES: readonly Role[] = ['analyst', 'admin', 'partner']

function kindOf(role: string): BudgetKind {
  return role === 'partner' ? 'partner' : 'analyst'
}

export interface InsightsRoutesDeps {
  services: {
    insights: InsightsService
    auth: { listApiKeys(): Promise<ApiKeyInfo[]> }
  }
}

/**
 * Differentially private statistics for analysts: a query (or its dry run), the caller's budget, and
 * every key's budget for staff. The answers' shapes are in `insights.ts`.
 */
export const insightsRoutes: FastifyPluginAsyncZod<InsightsRoutesDeps> = async (
  app,
  { services },
) => {
  const { insights } = services

  function callerKey(caller: { kind: string; keyId?: string; role?: string }) {
    if (caller.kind !== 'api_key' || caller.keyId === undefined || caller.role === undefined) {
      throw new AppError('forbidden', 'only an API key has a privacy budget')
    }
    return { keyId: caller.keyId, kind: kindOf(caller.role) }
  }

  app.post(
    '/v1/insights/queries',
    {
      config: {
        access: { roles: ['analyst', 'admin'] },
        problems: ['privacy_budget_exhausted', 'not_found'],
      },
      schema: {
        tags: ['insights'],
        summary:
          'A differentially private count, distinct-shopper count, sum or mean over events stored for a purpose that feeds statistics, grouped by up to 3 dimensions; each cell has its noisy value, noise scale and 95% interval. Spends epsilon^2/2 (rho) of the key\u2019s budget; dryRun: true only prices it. 403 privacy_budget_exhausted says when enough renews',
        body: withExample(InsightsQuerySchema, QUERY_EXAMPLE),
        response: { 200: withExample(InsightsAnswerSchema, ANSWER_EXAMPLE) },
      },
    },
    async (request) => {
      const { keyId, kind } = callerKey(request.caller)
      return insights.query(request.body, { actor: actorOf(request), keyId, budget: kind })
    },
  )

  app.get(
    '/v1/insights/budget',
    {
      config: { access: { roles: BUDGET_ROLES }, problems: ['not_found'] },
      schema: {
        tags: ['insights'],
        summary:
          'The calling key\u2019s privacy budget in the current rolling period: spent, remaining, and when the oldest spend renews',
        response: { 200: withExample(BudgetStateSchema, BUDGET_EXAMPLE) },
      },
    },
    async (request) => {
      const { keyId, kind } = callerKey(request.caller)
      return insights.budget(keyId, kind)
    },
  )

  app.get(
    '/v1/insights/budgets',
    {
      config: { access: { roles: ['admin', 'privacy_officer'] }, problems: ['not_found'] },
      schema: {
        tags: ['insights'],
        summary:
          'Every analyst and partner key\u2019s privacy budget (and an admin key\u2019s once it has spent)',
        response: {
          200: withExample(z.object({ budgets: z.array(BudgetStateSchema) }), {
            budgets: [BUDGET_EXAMPLE],
          }),
        },
      },
    },
    async () => {
      const keys = (await services.auth.listApiKeys()).filter(
        (k) =>
          k.revokedAt === null &&
          (k.role === 'analyst' || k.role === 'partner' || k.role === 'admin'),
      )
      const budgets = await insights.budgets(keys.map((k) => ({ id: k.id, kind: kindOf(k.role) })))
      // Admin keys only once they have spent: an admin may query, but most never do.
      const roleOf = new Map(keys.map((k) => [k.id, k.role]))
      return { budgets: budgets.filter((b) => roleOf.get(b.keyId) !== 'admin' || b.queries > 0) }
    },
  )
}
