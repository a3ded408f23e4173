import { CompiledQuery } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createStorage } from '../src/storage/db.js'
import { createInsightsRepository } from '../src/modules/insights/insights.repository.js'
import { InsightsAnswerSchema } from '../src/modules/insights/index.js'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'

/**
 * Issue 19: `POST /v1/insights/queries` reads only events stored for a purpose with
 * aggregateAnalytics (analytics.reporting in the example charter), answers noisy cells with their
 * scale and 95% interval, and refuses bad input with a 400 naming the field.
 */
const STATS = 'analytics.reporting'
const PERSONAL = 'personalize.recommendations'
const CATALOG = [
  { id: 'MUG', title: 'Tea mug', category: ['Kitchen', 'Mugs'] },
  { id: 'TEA', title: 'Loose leaf tea', category: ['Kitchen'] },
  { id: 'CANDLE', title: 'Candle', category: ['Home'] },
]
const DAY = '2026-03-01'

for (const dialect of DIALECTS) {
  describe(`insights queries on ${dialect}`, () => {
    let ctx: TestContext
    beforeAll(async () => {
      ctx = await createTestContext(dialect)
      const items = await ctx.request({
        method: 'PUT',
        url: '/v1/items',
        as: 'storefront',
        payload: { items: CATALOG },
      })
      expect(items.statusCode, items.body).toBeLessThan(300)
      const version = (await ctx.request({ method: 'GET', url: '/v1/notice' })).json().version
      const grant = async (ref: string, purpose: string) => {
        const r = await ctx.request({
          method: 'PUT',
          url: `/v1/subjects/${ref}/consents/${purpose}`,
          as: 'storefront',
          payload: {
            decision: 'granted',
            method: 'banner',
            noticeVersion: version,
            jurisdiction: 'UK',
          },
        })
        expect(r.statusCode, r.body).toBe(200)
      }
      const send = async (events: object[]) => {
        const r = await ctx.request({
          method: 'POST',
          url: '/v1/events',
          as: 'storefront',
          payload: { events },
        })
        expect(r.statusCode, r.body).toBe(200)
        expect(r.json().results.map((x: { status: string }) => x.status)).not.toContain('refused')
      }
      // 12 shoppers who allow statistics: each buys 2 mugs twice (one of them 9 times) on DAY.
      for (let s = 0; s < 12; s++) {
        const ref = `stats-${s}`
        await grant(ref, STATS)
        const times = s === 0 ? 9 : 2
        await send(
          Array.from({ length: times }, (_, i) => ({
            id: `${ref}-p${i}`,
            type: 'purchase',
            subject: ref,
            item: 'MUG',
            quantity: s === 0 ? 100 : 2,
            price: 3.5,
            currency: 'GBP',
            timestamp: `${DAY}T10:0${i}:00Z`,
          })),
        )
      }
      // 8 shoppers who allow personalization only: their candle purchases are never statistics.
      for (let s = 0; s < 8; s++) {
        const ref = `personal-${s}`
        await grant(ref, PERSONAL)
        await send([
          {
            id: `${ref}-p`,
            type: 'purchase',
            subject: ref,
            item: 'CANDLE',
            quantity: 1,
            price: 9,
            currency: 'GBP',
            timestamp: `${DAY}T11:00:00Z`,
          },
        ])
      }
    })
    afterAll(async () => {
      await ctx?.close()
    })

    it('reads only events stored for an aggregateAnalytics purpose, grouped and clamped in SQL', async () => {
      const repo = createInsightsRepository()
      const rows = await repo.ownerGroups(ctx.storage.db, {
        purposes: [STATS],
        groupBy: ['item', 'category', 'day'],
        value: { field: 'quantity', bounds: [0, 24] },
        from: DAY,
        to: DAY,
        jurisdictions: ['EU', 'UK', 'US-CA', 'default'],
        now: ctx.clock.now().toISOString(),
      })
      // One row per (owner, group), never a candle (kept only for personalization).
      expect(rows).toHaveLength(12)
      expect(new Set(rows.map((r) => r.key.join('|')))).toEqual(new Set([`MUG|Kitchen|${DAY}`]))
      const heavy = rows.filter((r) => r.rows === 9)
      expect(heavy).toHaveLength(1)
      // 9 purchases of quantity 100, each clamped to 24 before the sum.
      expect(heavy[0]!.clampedSum).toBe(9 * 24)
      expect(rows.filter((r) => r.rows === 2).every((r) => r.clampedSum === 4)).toBe(true)

      // The same read for the personalization purpose would see the candles: the filter is the purpose.
      const personal = await repo.ownerGroups(ctx.storage.db, {
        purposes: [PERSONAL],
        groupBy: ['item'],
        from: DAY,
        to: DAY,
        jurisdictions: [],
        now: ctx.clock.now().toISOString(),
      })
      expect(new Set(personal.map((r) => r.key[0]))).toEqual(new Set(['CANDLE']))
    })

    // SQLite's plan only: PostgreSQL's planner picks by table statistics, which a test's few rows decide.
    if (dialect === 'sqlite')
      it('reads a range of a month or less through the time index, and a longer one by one scan', async () => {
        const statements: { text: string; parameters: readonly unknown[] }[] = []
        const storage = createStorage(ctx.config.database, {
          onQuery: (text, parameters) => statements.push({ text, parameters }),
        })
        try {
          const repo = createInsightsRepository()
          const planOf = async (from: string, items?: string[]) => {
            statements.length = 0
            await repo.ownerGroups(storage.db, {
              purposes: [STATS],
              groupBy: ['item'],
              from,
              to: DAY,
              types: ['purchase'],
              ...(items === undefined ? {} : { items }),
              jurisdictions: [],
              now: ctx.clock.now().toISOString(),
            })
            const read = statements.find((s) => s.text.includes('from events e'))!
            const { rows } = await storage.db.executeQuery<{ detail: string }>(
              CompiledQuery.raw(`explain query plan ${read.text}`, [...read.parameters]),
            )
            return rows.map((r) => r.detail).join(' | ')
          }
          expect(await planOf('2026-02-01')).toContain('USING INDEX events_happened_hour')
          // A longer range never walks the time index (fetching most rows one by one from it): it
          // reads the table once, with or without listed items.
          const wide = await planOf('2025-03-01')
          expect(wide).not.toContain('events_happened_hour')
          expect(wide).toMatch(/^SCAN e/)
          const listed = await planOf('2025-03-01', ['MUG', 'TEA'])
          expect(listed).not.toContain('events_happened_hour')
        } finally {
          await storage.close()
        }
      })

    it('answers cells with a noisy value, its scale and a 95% interval; every catalog item is a cell', async () => {
      const r = await ctx.request({
        method: 'POST',
        url: '/v1/insights/queries',
        as: 'analyst',
        payload: {
          measure: 'events',
          groupBy: ['item'],
          filters: { from: DAY, to: DAY, types: ['purchase'] },
          epsilon: 0.5,
          contribution: { maxRowsPerGroup: 2, maxGroupsPerSubject: 1 },
        },
      })
      expect(r.statusCode, r.body).toBe(200)
      const answer = InsightsAnswerSchema.parse(r.json())
      expect(answer.dryRun).toBe(false)
      expect(answer.contribution).toEqual({ maxRowsPerGroup: 2, maxGroupsPerSubject: 1 })
      expect(answer.sensitivity).toEqual({ l1: 2, l2: 2 })
      expect(answer.cost.rho).toBeCloseTo(0.125, 12)
      expect(answer.cost.delta).toBeGreaterThan(0)
      // Public keys (the catalog) are all released, empty ones too; sorted by noisy value.
      expect(answer.cells.map((c) => c.group.item).sort()).toEqual(['CANDLE', 'MUG', 'TEA'])
      const values = answer.cells.map((c) => c.value)
      expect([...values].sort((a, b) => b - a)).toEqual(values)
      for (const cell of answer.cells) {
        expect(cell.noiseScale).toBeGreaterThan(0)
        expect(cell.interval[0]).toBeLessThan(cell.value)
        expect(cell.interval[1]).toBeGreaterThan(cell.value)
        expect(Number.isInteger(cell.value)).toBe(true)
      }
      // sigma = 2 / sqrt(2 * 0.125) = 4: the mug's 24 bounded rows stand far from the candle's 0.
      const mug = answer.cells.find((c) => c.group.item === 'MUG')!
      expect(mug.noiseScale).toBeCloseTo(4, 1)
      expect(Math.abs(mug.value - 24)).toBeLessThan(40)
      expect(answer.budget.spentRho).toBeCloseTo(0.125, 12)
      expect(answer.budget.queries).toBe(1)
    })

    it('groups by week, level and jurisdiction with their public keys, and sums clamped values', async () => {
      const r = await ctx.request({
        method: 'POST',
        url: '/v1/insights/queries',
        as: 'admin',
        payload: {
          measure: 'sum',
          field: 'quantity',
          groupBy: ['week', 'level', 'jurisdiction'],
          filters: { from: '2026-02-23', to: DAY },
          epsilon: 0.3,
          limit: 5,
        },
      })
      expect(r.statusCode, r.body).toBe(200)
      const answer = InsightsAnswerSchema.parse(r.json())
      // 2026-02-23 .. 03-01 is ISO week 9 only; 4 levels x (4 declared places + unknown) = 20 keys.
      expect(answer.cells).toHaveLength(5)
      expect(answer.truncated).toBe(true)
      expect(answer.cells.every((c) => c.group.week === '2026-W09')).toBe(true)
      // Only public keys: no selection, so delta is the charter's alone, and one shopper can reach
      // at most the 20 keys there are (not the charter's 60 groups): less noise for the same privacy.
      expect(answer.cost.delta).toBe(1e-6)
      expect(answer.contribution).toEqual({ maxRowsPerGroup: 4, maxGroupsPerSubject: 20 })
      const total = await ctx.request({
        method: 'POST',
        url: '/v1/insights/queries',
        as: 'admin',
        payload: { measure: 'events', epsilon: 0.3, dryRun: true },
      })
      expect(total.json()).toMatchObject({
        contribution: { maxRowsPerGroup: 4, maxGroupsPerSubject: 1 },
        sensitivity: { l1: 4, l2: 4 },
      })
    })

    it('refuses bad input with a 400 naming the field', async () => {
      const cases: [object, string][] = [
        [{ measure: 'sum', groupBy: [], epsilon: 1 }, 'body.field'],
        [{ measure: 'events', field: 'price', epsilon: 1 }, 'body.field'],
        [{ measure: 'events', epsilon: 0 }, 'body.epsilon'],
        [{ measure: 'events', epsilon: 6 }, 'body.epsilon'],
        [{ measure: 'events', groupBy: ['item', 'item'], epsilon: 1 }, 'body.groupBy'],
        [{ measure: 'events', groupBy: ['shoe'], epsilon: 1 }, 'body.groupBy.0'],
        [
          { measure: 'events', epsilon: 1, filters: { from: '2026-03-05', to: DAY } },
          'body.filters.from',
        ],
        [{ measure: 'events', epsilon: 1, filters: { to: '2026-02-30' } }, 'body.filters.to'],
        [
          { measure: 'events', epsilon: 1, contribution: { maxRowsPerGroup: 5 } },
          'body.contribution.maxRowsPerGroup',
        ],
        [
          {
            measure: 'events',
            groupBy: ['day', 'jurisdiction', 'level'],
            epsilon: 1,
            filters: { from: '2019-01-01' },
          },
          'body.groupBy',
        ],
        [{ measure: 'events', epsilon: 1, limit: 0 }, 'body.limit'],
        [{ measure: 'events', epsilon: 1, extra: true }, 'body'],
      ]
      for (const [payload, field] of cases) {
        const r = await ctx.request({
          method: 'POST',
          url: '/v1/insights/queries',
          as: 'analyst',
          payload,
        })
        expect(r.statusCode, `${JSON.stringify(payload)}: ${r.body}`).toBe(400)
        const fields = (r.json().errors as { field: string }[]).map((i) => i.field)
        expect(fields, JSON.stringify(payload)).toContain(field)
      }
    })

    it('lets analysts and admins query, not the storefront or a privacy officer', async () => {
      for (const role of ['storefront', 'privacy_officer'] as const) {
        const r = await ctx.request({
          method: 'POST',
          url: '/v1/insights/queries',
          as: role,
          payload: { measure: 'events', epsilon: 1, dryRun: true },
        })
        expect(r.statusCode).toBe(403)
      }
      const budgets = await ctx.request({
        method: 'GET',
        url: '/v1/insights/budgets',
        as: 'privacy_officer',
      })
      expect(budgets.statusCode, budgets.body).toBe(200)
      const ids = budgets.json().budgets.map((b: { keyId: string }) => b.keyId)
      const keys = await ctx.services.auth.listApiKeys()
      const analyst = keys.find((k) => k.role === 'analyst')!
      expect(ids).toContain(analyst.id)
      // The admin key queried above, so it is listed too; the storefront key never is.
      expect(ids).toContain(keys.find((k) => k.role === 'admin')!.id)
      expect(ids).not.toContain(keys.find((k) => k.role === 'storefront')!.id)
    })
  })
}
