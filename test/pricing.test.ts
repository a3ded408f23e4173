import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DAY_MS } from '../src/lib/clock.js'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'

/**
 * Issue 24, guarded dynamic pricing through HTTP on every database: rules per category (refused when
 * wrong, naming the field, nothing written), a run's suggestions from aggregate demand, stock and the
 * elasticity estimated from the shop's own price changes, the floor, ceiling and daily-change limits at
 * their edges day by day, protected periods, approval re-checked, rejection, automatic categories,
 * every price change an audit entry with its explanation, and `GET /v1/prices`.
 */
const KITCHEN = { floor: 0.8, ceiling: 1.2, maxDailyChange: 0.05 }
const CATALOG = [
  { id: 'MUG', title: 'Tea mug', category: ['Kitchen'], price: 10, currency: 'GBP', stock: 12 },
  { id: 'TEA', title: 'Loose leaf tea', category: ['Kitchen'], price: 5, currency: 'GBP' },
  { id: 'CANDLE', title: 'Candle', category: ['Home'], price: 3, currency: 'GBP' },
]

/**
 * MUG's history: 25 weeks before the last 5 at prices 9, 10 and 11 with units ~ 50 x (price/10)^-2
 * (elasticity -2), 50 units a week at 10 over the 4 weeks before the last one, and 80 in the last
 * week (demand up 60%). TEA: two purchases at one price.
 */
function history(now: number) {
  const events: Record<string, unknown>[] = []
  const buy = (item: string, ms: number, quantity: number, price: number) =>
    events.push({
      id: `h-${events.length}`,
      type: 'purchase',
      subject: 'buyer-1',
      item,
      quantity,
      price,
      timestamp: new Date(ms).toISOString(),
    })
  for (let week = 6; week < 31; week++) {
    const price = [9, 10, 11][week % 3]!
    buy('MUG', now - week * 7 * DAY_MS, Math.round(50 * (price / 10) ** -2), price)
  }
  for (let week = 1; week <= 4; week++) buy('MUG', now - (week * 7 + 3) * DAY_MS, 50, 10)
  buy('MUG', now - 3_600_000, 40, 10)
  buy('MUG', now - DAY_MS, 40, 10)
  buy('TEA', now - 10 * DAY_MS, 2, 5)
  buy('TEA', now - 20 * DAY_MS, 2, 5)
  return events
}

for (const dialect of DIALECTS) {
  describe(`pricing on ${dialect}`, () => {
    let ctx: TestContext
    beforeAll(async () => {
      ctx = await createTestContext(dialect)
      const items = await ctx.request({
        method: 'PUT',
        url: '/v1/items',
        as: 'storefront',
        payload: { items: CATALOG },
      })
      expect(items.statusCode, items.body).toBe(200)
      const version = (await ctx.request({ method: 'GET', url: '/v1/notice' })).json().version
      const consent = await ctx.request({
        method: 'PUT',
        url: '/v1/subjects/buyer-1/consents/analytics.reporting',
        as: 'storefront',
        payload: {
          decision: 'granted',
          method: 'banner',
          noticeVersion: version,
          jurisdiction: 'UK',
        },
      })
      expect(consent.statusCode, consent.body).toBe(200)
      const stored = await ctx.request({
        method: 'POST',
        url: '/v1/events',
        as: 'storefront',
        payload: { events: history(ctx.clock.now().getTime()) },
      })
      expect(stored.statusCode, stored.body).toBeLessThan(300)
      for (const r of stored.json().results) expect(r.status, JSON.stringify(r)).toBe('stored')
    })
    afterAll(async () => {
      await ctx?.close()
    })

    const setRule = (category: string, body: Record<string, unknown>) =>
      ctx.request({
        method: 'PUT',
        url: `/v1/pricing/rules/${encodeURIComponent(category)}`,
        as: 'admin',
        payload: body,
      })
    const run = async () => {
      const r = await ctx.request({ method: 'POST', url: '/v1/pricing/runs', as: 'admin' })
      expect(r.statusCode, r.body).toBe(200)
      return r.json<{
        suggestions: {
          id: string
          item: string
          suggestedPrice: number
          limitedBy?: string
          explanation: string
          status: string
          elasticity: { value: number; low: number; high: number; scope: string }
        }[]
        skipped: { item: string; reason: string }[]
      }>()
    }
    const decide = (id: string, decision: 'approve' | 'reject') =>
      ctx.request({
        method: 'POST',
        url: `/v1/pricing/suggestions/${id}/decision`,
        as: 'admin',
        payload: { decision },
      })
    const price = async (item = 'MUG') => {
      const r = await ctx.request({
        method: 'GET',
        url: `/v1/prices?item=${item}`,
        as: 'storefront',
      })
      expect(r.statusCode, r.body).toBe(200)
      return r.json<{ price: number; source: string; listPrice: number }>()
    }
    const changes = async () =>
      (await ctx.services.audit.list({ action: 'pricing.price_changed', limit: 50 })).map(
        (e) => e.details,
      )

    it('refuses wrong rules naming the field, and writes nothing', async () => {
      const cases: [Record<string, unknown>, string][] = [
        [{ ...KITCHEN, floor: 1.5 }, 'body.floor'],
        [{ ...KITCHEN, ceiling: 0.9 }, 'body.ceiling'],
        [{ ...KITCHEN, maxDailyChange: 0 }, 'body.maxDailyChange'],
        [{ ...KITCHEN, mode: 'sometimes' }, 'body.mode'],
        [
          {
            ...KITCHEN,
            protectedPeriods: [
              { from: '2026-03-05T00:00:00Z', until: '2026-03-04T00:00:00Z', reason: 'sale' },
            ],
          },
          'body.protectedPeriods.0.until',
        ],
      ]
      for (const [body, field] of cases) {
        const r = await setRule('Kitchen', body)
        expect(r.statusCode, r.body).toBe(400)
        expect(r.headers['content-type']).toContain('application/problem+json')
        expect(r.json().errors.map((e: { field: string }) => e.field)).toContain(field)
      }
      const rules = await ctx.request({ method: 'GET', url: '/v1/pricing/rules', as: 'admin' })
      expect(rules.json().rules).toEqual([])
      expect((await setRule('Kitchen', KITCHEN)).statusCode).toBe(200)
      expect((await setRule('Kitchen', KITCHEN)).json()).toMatchObject({
        category: 'Kitchen',
        mode: 'manual',
      })
      expect(
        (
          await ctx.request({
            method: 'PUT',
            url: '/v1/pricing/rules/Kitchen',
            as: 'storefront',
            payload: KITCHEN,
          })
        ).statusCode,
      ).toBe(403)
    })

    it('suggests from demand, stock and elasticity, and says why items have none', async () => {
      const { suggestions, skipped } = await run()
      expect(suggestions.map((s) => s.item)).toEqual(['MUG'])
      const mug = suggestions[0]!
      // Demand up 60% at elasticity about -2 wants +26%; the daily limit holds it to +5% exactly.
      expect(mug.suggestedPrice).toBe(10.5)
      expect(mug.limitedBy).toBe('daily_change')
      expect(mug.status).toBe('pending')
      expect(mug.explanation).toContain('demand up 60% in 7 days')
      expect(mug.explanation).toContain('12 left in stock')
      expect(mug.elasticity.scope).toBe('item')
      expect(mug.elasticity.low).toBeLessThan(mug.elasticity.value)
      expect(mug.elasticity.high).toBeLessThan(0)
      expect(mug.elasticity.value).toBeGreaterThan(-3)
      expect(skipped).toEqual([{ item: 'TEA', reason: expect.stringContaining('too few sales') }])
      // Not served until approved.
      expect(await price()).toMatchObject({ price: 10, source: 'list', listPrice: 10 })
    })

    it('walks up a daily limit at a time to the ceiling, exactly at each edge', async () => {
      const approveMug = async (expected: number, limitedBy: string) => {
        const mug = (await run()).suggestions.find((s) => s.item === 'MUG')!
        expect(mug.suggestedPrice).toBe(expected)
        expect(mug.limitedBy).toBe(limitedBy)
        const r = await decide(mug.id, 'approve')
        expect(r.statusCode, r.body).toBe(200)
        expect(r.json().status).toBe('approved')
        expect(await price()).toMatchObject({ price: expected, source: 'approved' })
      }
      await approveMug(10.5, 'daily_change')
      // The same day again: today's change is used up.
      const again = await run()
      expect(again.suggestions).toEqual([])
      expect(again.skipped.find((s) => s.item === 'MUG')!.reason).toContain('daily change')
      ctx.clock.advance(DAY_MS)
      await approveMug(11.02, 'daily_change') // 10.50 x 1.05 = 11.025, rounded inward
      ctx.clock.advance(DAY_MS)
      await approveMug(11.57, 'daily_change') // 11.02 x 1.05 = 11.571
      ctx.clock.advance(DAY_MS)
      await approveMug(12, 'ceiling') // 11.57 x 1.05 = 12.15 > 1.2 x 10
      ctx.clock.advance(DAY_MS)
      const atCeiling = await run()
      expect(atCeiling.skipped.find((s) => s.item === 'MUG')!.reason).toContain('ceiling')
      const audit = await changes()
      expect(audit.map((d) => d.to)).toEqual([12, 11.57, 11.02, 10.5])
      expect(String(audit[0]!.explanation)).toMatch(/^demand up \d+% in 7 days .*left in stock/)
    })

    it('re-checks an approval against the rules of the moment, and rejects', async () => {
      // Lower the ceiling: the next run suggests the way down to it, at the daily limit.
      expect((await setRule('Kitchen', { ...KITCHEN, ceiling: 1.1 })).statusCode).toBe(200)
      const down = (await run()).suggestions.find((s) => s.item === 'MUG')!
      expect(down.suggestedPrice).toBe(11.4) // 12 x 0.95
      expect(down.limitedBy).toBe('daily_change')
      // A tighter daily limit before the approval: refused, nothing set.
      expect(
        (await setRule('Kitchen', { ...KITCHEN, ceiling: 1.1, maxDailyChange: 0.01 })).statusCode,
      ).toBe(200)
      const refused = await decide(down.id, 'approve')
      expect(refused.statusCode).toBe(409)
      expect(refused.json().code).toBe('conflict')
      expect((await price()).price).toBe(12)
      const rejected = await decide(down.id, 'reject')
      expect(rejected.statusCode).toBe(200)
      expect(rejected.json().status).toBe('rejected')
      expect((await decide(down.id, 'approve')).statusCode).toBe(409)
      expect((await price()).price).toBe(12)
      const entries = await ctx.services.audit.list({
        action: 'pricing.suggestion_rejected',
        limit: 5,
      })
      expect(entries[0]!.details.item).toBe('MUG')
    })

    it('changes nothing in a protected period; applies within bounds in an automatic category', async () => {
      const now = ctx.clock.now().getTime()
      const period = {
        from: new Date(now - 3_600_000).toISOString(),
        until: new Date(now + 3_600_000).toISOString(),
        reason: 'spring promise',
      }
      await setRule('Kitchen', {
        ...KITCHEN,
        ceiling: 1.1,
        protectedPeriods: [period],
        mode: 'automatic',
      })
      const held = await run()
      expect(held.suggestions).toEqual([])
      expect(held.skipped.find((s) => s.item === 'MUG')!.reason).toContain(
        'protected period (spring promise)',
      )
      ctx.clock.advance(2 * 3_600_000)
      const auto = (await run()).suggestions.find((s) => s.item === 'MUG')!
      expect(auto.status).toBe('applied')
      expect(auto.suggestedPrice).toBe(11.4)
      expect(await price()).toMatchObject({ price: 11.4, source: 'automatic' })
      expect((await changes())[0]).toMatchObject({ to: 11.4, source: 'automatic' })
    })

    it('serves a price to a storefront and refuses anything about the asker', async () => {
      expect((await price('CANDLE')).price).toBe(3)
      for (const query of ['item=MUG&subject=cust-1', 'item=MUG&session=s-1', '']) {
        const r = await ctx.request({ method: 'GET', url: `/v1/prices?${query}`, as: 'storefront' })
        expect(r.statusCode, query).toBe(400)
      }
      const missing = await ctx.request({
        method: 'GET',
        url: '/v1/prices?item=NOPE',
        as: 'storefront',
      })
      expect(missing.statusCode).toBe(404)
      const list = await ctx.request({
        method: 'GET',
        url: '/v1/pricing/suggestions?status=rejected',
        as: 'analyst',
      })
      expect(list.json().suggestions.map((s: { item: string }) => s.item)).toEqual(['MUG'])
    })
  })
}
