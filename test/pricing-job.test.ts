import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DAY_MS } from '../src/lib/clock.js'
import { startBackgroundJobs } from '../src/main/jobs.js'
import type { Runtime } from '../src/main/runtime.js'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'

/**
 * Issue 24, the daily pricing job: `pricing.run` runs every CANDOR_PRICING_INTERVAL_HOURS the same run as
 * the console's "Run now", by `system:pricing.run`: an `automatic` category's price changes within its
 * rules (audited), a `manual` one only gets a pending suggestion. Its first run is one interval after the
 * first start (starting a server changes no price); 0 leaves it out.
 */
const RULES = { floor: 0.8, ceiling: 1.2, maxDailyChange: 0.05 }
const CATALOG = [
  { id: 'MUG', title: 'Tea mug', category: ['Kitchen'], price: 10, currency: 'GBP', stock: 12 },
  { id: 'LAMP', title: 'Desk lamp', category: ['Home'], price: 10, currency: 'GBP', stock: 12 },
]

/**
 * The history of `test/pricing.test.ts` for each item (elasticity about -2, demand up 60% in the last
 * week), dated from `now`, so that a run a day later still suggests a rise.
 */
function history(now: number) {
  const events: Record<string, unknown>[] = []
  for (const item of ['MUG', 'LAMP']) {
    const buy = (ms: number, quantity: number, price: number) =>
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
      buy(now - week * 7 * DAY_MS, Math.round(50 * (price / 10) ** -2), price)
    }
    for (let week = 1; week <= 4; week++) buy(now - (week * 7 + 3) * DAY_MS, 50, 10)
    buy(now - 3_600_000, 40, 10)
    buy(now - DAY_MS, 40, 10)
  }
  return events
}

for (const dialect of DIALECTS) {
  describe(`the pricing.run job on ${dialect}`, { timeout: 60_000 }, () => {
    let ctx: TestContext
    let off: TestContext
    // Only the jobs that always run besides the one under test: no training, retention or audits.
    const quiet = {
      CANDOR_TRAIN_INTERVAL_MINUTES: '0',
      CANDOR_RETENTION_INTERVAL_MINUTES: '0',
      CANDOR_AUDIT_INTERVAL_HOURS: '0',
    }
    beforeAll(async () => {
      ctx = await createTestContext(dialect, {
        env: { ...quiet, CANDOR_PRICING_INTERVAL_HOURS: '24' },
      })
      off = await createTestContext(dialect, {
        env: { ...quiet, CANDOR_PRICING_INTERVAL_HOURS: '0' },
      })
      for (const c of [ctx, off]) await seed(c)
    })
    afterAll(async () => {
      await ctx?.close()
      await off?.close()
    })

    async function seed(c: TestContext) {
      const items = await c.request({
        method: 'PUT',
        url: '/v1/items',
        as: 'storefront',
        payload: { items: CATALOG },
      })
      expect(items.statusCode, items.body).toBe(200)
      const version = (await c.request({ method: 'GET', url: '/v1/notice' })).json().version
      const consent = await c.request({
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
      const stored = await c.request({
        method: 'POST',
        url: '/v1/events',
        as: 'storefront',
        payload: { events: history(c.clock.now().getTime()) },
      })
      expect(stored.statusCode, stored.body).toBeLessThan(300)
      for (const r of stored.json().results) expect(r.status, JSON.stringify(r)).toBe('stored')
      for (const [category, mode] of [
        ['Kitchen', 'automatic'],
        ['Home', 'manual'],
      ] as const) {
        const rule = await c.request({
          method: 'PUT',
          url: `/v1/pricing/rules/${category}`,
          as: 'admin',
          payload: { ...RULES, mode },
        })
        expect(rule.statusCode, rule.body).toBe(200)
      }
    }

    const runtimeOf = (c: TestContext) =>
      ({ config: c.config, services: c.services, logger: pino({ level: 'silent' }) }) as Runtime
    const price = async (c: TestContext, item: string) => {
      const r = await c.request({ method: 'GET', url: `/v1/prices?item=${item}`, as: 'storefront' })
      expect(r.statusCode, r.body).toBe(200)
      return r.json<{ price: number; source: string }>()
    }
    const runsBy = async (c: TestContext) =>
      c.services.audit.list({ action: 'pricing.run', actor: 'system:pricing.run', limit: 10 })
    const jobOf = async (c: TestContext) =>
      (await c.services.jobs.list()).find((j) => j.kind === 'pricing.run')
    /** Starts the background jobs, waits for `done` (or a few polls of the job table), stops them. */
    async function withJobs(c: TestContext, done: () => Promise<boolean>, waitMs: number) {
      const jobs = await startBackgroundJobs(runtimeOf(c))
      try {
        for (const started = Date.now(); Date.now() - started < waitMs;) {
          if (await done()) return true
          await new Promise((resolve) => setTimeout(resolve, 100))
        }
        return false
      } finally {
        await jobs.stop()
      }
    }

    it('changes no price at the first start: the first run is due one interval later', async () => {
      const startedAt = ctx.clock.now().getTime()
      // Every process polls the job table once a second: three polls, and nothing ran.
      expect(await withJobs(ctx, async () => (await runsBy(ctx)).length > 0, 3_000)).toBe(false)
      const job = await jobOf(ctx)
      expect(job).toMatchObject({ runs: 0, state: 'scheduled' })
      expect(Date.parse(job!.dueAt!)).toBe(startedAt + 24 * 3_600_000)
      expect(await price(ctx, 'MUG')).toMatchObject({ price: 10, source: 'list' })
      expect(await ctx.services.pricing.listSuggestions()).toEqual([])
    })

    it('a day later changes the automatic category within its rules and leaves the manual one pending', async () => {
      ctx.clock.advance(24 * 3_600_000)
      const ran = await withJobs(ctx, async () => (await runsBy(ctx)).length > 0, 30_000)
      expect(ran, 'pricing.run ran within 30 s').toBe(true)
      // Demand up 60% wants more than the daily limit allows: +5% exactly, applied, audited.
      expect(await price(ctx, 'MUG')).toEqual(
        expect.objectContaining({ price: 10.5, source: 'automatic' }),
      )
      expect(await price(ctx, 'LAMP')).toMatchObject({ price: 10, source: 'list' })
      const pending = await ctx.services.pricing.listSuggestions('pending')
      expect(pending.map((s) => [s.item, s.suggestedPrice])).toEqual([['LAMP', 10.5]])
      const changes = await ctx.services.audit.list({
        action: 'pricing.price_changed',
        limit: 10,
      })
      expect(changes).toHaveLength(1)
      expect(changes[0]).toMatchObject({
        actor: 'system:pricing.run',
        details: { item: 'MUG', from: 10, to: 10.5, source: 'automatic' },
      })
      expect(String(changes[0]!.details.explanation)).toContain('demand up')
      expect((await runsBy(ctx))[0]!.details).toMatchObject({ applied: 1, suggested: 1 })
      const job = await jobOf(ctx)
      expect(job?.runs).toBe(1)
      expect(Date.parse(job!.dueAt!) - Date.parse(job!.lastStartedAt!)).toBe(24 * 3_600_000)
    })

    it('is left out with CANDOR_PRICING_INTERVAL_HOURS=0', async () => {
      off.clock.advance(48 * 3_600_000)
      await withJobs(off, async () => false, 1_500)
      expect((await off.services.jobs.list()).map((j) => j.kind)).not.toContain('pricing.run')
      expect(await runsBy(off)).toEqual([])
      expect(await price(off, 'MUG')).toMatchObject({ price: 10, source: 'list' })
    })
  })
}
