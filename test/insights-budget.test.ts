import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DAY_MS } from '../src/lib/clock.js'
import { createAuditLog } from '../src/modules/audit/index.js'
import { BudgetStateSchema, createInsightsService } from '../src/modules/insights/index.js'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'

/**
 * Issue 19: every analyst key has a privacy budget per rolling period (the example charter: rho 2 per
 * 30 days). A query spends epsilon^2 / 2; a dry run spends nothing; a query that does not fit is a
 * 403 privacy_budget_exhausted saying when enough renews; spends leave the period one by one; and
 * queries at once, from two connections, never spend more than the budget.
 */
const QUERY = { measure: 'events', groupBy: ['level'], epsilon: 1 } // rho 0.5

for (const dialect of DIALECTS) {
  describe(`insights budget on ${dialect}`, () => {
    let ctx: TestContext
    beforeAll(async () => {
      ctx = await createTestContext(dialect)
    })
    afterAll(async () => {
      await ctx?.close()
    })

    async function analystKey(name: string): Promise<{ id: string; key: string }> {
      const created = await ctx.services.auth.createApiKey('analyst', name, {
        kind: 'cli',
        command: 'test',
      })
      return { id: created.info.id, key: created.key }
    }
    function query(key: string, body: object) {
      return ctx.request({
        method: 'POST',
        url: '/v1/insights/queries',
        as: { token: key },
        payload: body,
      })
    }
    async function budgetOf(key: string) {
      const r = await ctx.request({ method: 'GET', url: '/v1/insights/budget', as: { token: key } })
      expect(r.statusCode, r.body).toBe(200)
      return BudgetStateSchema.parse(r.json())
    }
    async function spentRows(keyId: string): Promise<{ n: number; rho: number }> {
      const { rows } = await sql<{ n: number; rho: number | null }>`
        select count(*) as n, sum(rho) as rho from insights_spends where key_id = ${keyId}`.execute(
        ctx.storage.db,
      )
      return { n: Number(rows[0]!.n), rho: Number(rows[0]!.rho ?? 0) }
    }

    it('spends epsilon^2/2 per query, nothing on a dry run, and audits both', async () => {
      const { id, key } = await analystKey('spender')
      const fresh = await budgetOf(key)
      expect(fresh).toMatchObject({ keyId: id, rho: 2, spentRho: 0, remainingRho: 2, queries: 0 })
      expect(fresh.renewsAt).toBeNull()

      const dry = await query(key, { ...QUERY, dryRun: true })
      expect(dry.statusCode, dry.body).toBe(200)
      expect(dry.json()).toMatchObject({ dryRun: true, cells: [], cost: { rho: 0.5 } })
      expect(dry.json().budget).toMatchObject({ spentRho: 0, queries: 0 })
      expect(await spentRows(id)).toEqual({ n: 0, rho: 0 })

      const real = await query(key, QUERY)
      expect(real.statusCode, real.body).toBe(200)
      expect(real.json().cells).toHaveLength(4) // off, session, personal, none
      expect(real.json().budget).toMatchObject({ spentRho: 0.5, remainingRho: 1.5, queries: 1 })
      const after = await budgetOf(key)
      expect(after).toMatchObject({ spentRho: 0.5, remainingRho: 1.5, queries: 1 })
      expect(after.renewsAt).toBe(new Date(ctx.clock.now().getTime() + 30 * DAY_MS).toISOString())
      expect(after.epsilon).toBeGreaterThan(after.remainingEpsilon)

      const entries = await ctx.services.audit.list({ actor: `key:${id}`, limit: 10 })
      const actions = entries.map((e) => e.action).sort()
      expect(actions).toEqual(['insights.query', 'insights.query.dry_run'])
      const spent = entries.find((e) => e.action === 'insights.query')!
      expect(spent.details).toMatchObject({
        keyId: id,
        measure: 'events',
        groupBy: ['level'],
        rho: 0.5,
        cells: 4,
      })
      // No values in the log: only what was asked and what it cost.
      expect(Object.keys(spent.details).sort()).toEqual(
        ['cells', 'delta', 'epsilon', 'groupBy', 'keyId', 'measure', 'rho'].sort(),
      )
    })

    it('refuses a query that does not fit with 403 privacy_budget_exhausted and when it renews; renews by rolling period', async () => {
      const { id, key } = await analystKey('exhauster')
      const start = ctx.clock.now().getTime()
      for (let i = 0; i < 4; i++) {
        const r = await query(key, QUERY)
        expect(r.statusCode, r.body).toBe(200)
        ctx.clock.advance(DAY_MS) // spends on four days in a row
      }
      const refused = await query(key, QUERY)
      expect(refused.statusCode).toBe(403)
      expect(refused.headers['content-type']).toContain('application/problem+json')
      const problem = refused.json()
      expect(problem.code).toBe('privacy_budget_exhausted')
      expect(problem.remainingRho).toBeCloseTo(0, 12)
      expect(problem.requiredRho).toBe(0.5)
      // Enough comes back when the first spend leaves the 30-day period.
      expect(problem.renewsAt).toBe(new Date(start + 30 * DAY_MS).toISOString())
      expect(problem.detail).toContain(problem.renewsAt)
      // The refusal spent nothing; a dry run still prices the query.
      expect(await spentRows(id)).toEqual({ n: 4, rho: 2 })
      const dry = await query(key, { ...QUERY, dryRun: true })
      expect(dry.statusCode).toBe(200)
      expect(dry.json().budget.remainingRho).toBeCloseTo(0, 12)

      // A millisecond before the first spend leaves: still refused. At it: one query fits, not two.
      ctx.clock.set(new Date(start + 30 * DAY_MS - 1))
      expect((await query(key, QUERY)).statusCode).toBe(403)
      ctx.clock.set(new Date(start + 30 * DAY_MS))
      expect((await budgetOf(key)).remainingRho).toBeCloseTo(0.5, 12)
      expect((await query(key, QUERY)).statusCode).toBe(200)
      expect((await query(key, QUERY)).statusCode).toBe(403)
      // 34 days on, the three later spends have left too; the one made at day 30 still counts.
      ctx.clock.set(new Date(start + 34 * DAY_MS))
      expect(await budgetOf(key)).toMatchObject({ spentRho: 0.5, remainingRho: 1.5, queries: 1 })
    })

    it('refuses an epsilon that costs more than the whole budget with a 400, not a 403', async () => {
      const { key } = await analystKey('greedy')
      const r = await query(key, { ...QUERY, epsilon: 2.5 }) // rho 3.125 > 2
      expect(r.statusCode).toBe(400)
      expect(r.json().errors.map((e: { field: string }) => e.field)).toEqual(['body.epsilon'])
    })

    it('20 concurrent queries from two connections never spend more than the budget', async () => {
      const { id, key } = await analystKey('racer')
      // A second process's service on its own connection, as another Candor process would be.
      const other = ctx.storage.another()
      try {
        const audit = createAuditLog({
          db: other.db,
          dialect: other.dialect,
          clock: ctx.clock,
          keys: ctx.services.keys,
        })
        const second = createInsightsService({
          db: other.db,
          clock: ctx.clock,
          charter: ctx.services.charter,
          audit,
        })
        const body = { ...QUERY, epsilon: 0.5 } // rho 0.125: 16 fit in 2
        const attempts = Array.from({ length: 20 }, (_, i) =>
          i % 2 === 0
            ? query(key, body).then((r) => r.statusCode)
            : second
                .query(
                  {
                    ...body,
                    groupBy: ['level'],
                    filters: {},
                    mechanism: 'gaussian',
                    limit: 1000,
                    dryRun: false,
                  } as never,
                  {
                    actor: { kind: 'api_key', keyId: id, role: 'analyst' },
                    keyId: id,
                    budget: 'analyst',
                  },
                )
                .then(
                  () => 200,
                  (error: { code?: string }) =>
                    error.code === 'privacy_budget_exhausted' ? 403 : 500,
                ),
        )
        const statuses = await Promise.all(attempts)
        expect(statuses.filter((s) => s === 200)).toHaveLength(16)
        expect(statuses.filter((s) => s === 403)).toHaveLength(4)
        const spent = await spentRows(id)
        expect(spent.n).toBe(16)
        expect(spent.rho).toBeCloseTo(2, 9)
        expect((await budgetOf(key)).remainingRho).toBeCloseTo(0, 9)
        // One audit entry per spend, and the chain still verifies.
        const entries = await ctx.services.audit.list({ actor: `key:${id}`, limit: 100 })
        expect(entries.filter((e) => e.action === 'insights.query')).toHaveLength(16)
        expect((await ctx.services.audit.verify()).ok).toBe(true)
      } finally {
        await other.close()
      }
    })
  })
}
