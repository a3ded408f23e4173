import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'

/**
 * Issue 24, the counterfactual property: any two shoppers, whatever their history, consent,
 * jurisdiction, personalization level and privacy signals, are answered the same price for the same
 * item at the same moment by `GET /v1/prices` (each with their own shopper token, and the storefront
 * key asking for nobody). A price set by pricing is in effect, so the answer is not just the list
 * price.
 */
const ITEMS = [
  { id: 'MUG', title: 'Tea mug', category: ['Kitchen'], price: 10, currency: 'GBP', stock: 3 },
  { id: 'TEA', title: 'Loose leaf tea', category: ['Kitchen'], price: 5, currency: 'GBP' },
]
const PURPOSES = ['personalize.recommendations', 'personalize.session', 'analytics.reporting']

const shopperArb = fc.record({
  jurisdiction: fc.constantFrom('UK', 'EU', 'US-CA', 'default'),
  consents: fc.array(fc.tuple(fc.constantFrom(...PURPOSES), fc.boolean()), { maxLength: 4 }),
  history: fc.array(
    fc.record({ type: fc.constantFrom('view', 'purchase'), item: fc.constantFrom('MUG', 'TEA') }),
    { maxLength: 6 },
  ),
  level: fc.constantFrom('off', 'session', 'personal'),
  gpc: fc.boolean(),
})
type Shopper = typeof shopperArb extends fc.Arbitrary<infer T> ? T : never

for (const dialect of DIALECTS) {
  describe(`the price is the same for every shopper on ${dialect}`, () => {
    let ctx: TestContext
    let version: string
    let n = 0
    beforeAll(async () => {
      ctx = await createTestContext(dialect)
      const put = await ctx.request({
        method: 'PUT',
        url: '/v1/items',
        as: 'storefront',
        payload: { items: ITEMS },
      })
      expect(put.statusCode, put.body).toBe(200)
      version = (await ctx.request({ method: 'GET', url: '/v1/notice' })).json().version
      // A price pricing set: MUG's demand doubled in the last week at a known elasticity (see pricing.test.ts).
      const events: Record<string, unknown>[] = []
      const now = ctx.clock.now().getTime()
      const day = 86_400_000
      const buy = (ms: number, quantity: number, price: number) =>
        events.push({
          id: `h-${events.length}`,
          type: 'purchase',
          subject: 'buyer-0',
          item: 'MUG',
          quantity,
          price,
          timestamp: new Date(ms).toISOString(),
        })
      for (let week = 6; week < 31; week++) {
        const price = [9, 10, 11][week % 3]!
        buy(now - week * 7 * day, Math.round(50 * (price / 10) ** -2), price)
      }
      for (let week = 1; week <= 4; week++) buy(now - (week * 7 + 3) * day, 50, 10)
      buy(now - day, 100, 10)
      await consent('buyer-0', 'analytics.reporting', true, 'UK')
      const stored = await ctx.request({
        method: 'POST',
        url: '/v1/events',
        as: 'storefront',
        payload: { events },
      })
      expect(stored.statusCode, stored.body).toBeLessThan(300)
      const rule = await ctx.request({
        method: 'PUT',
        url: '/v1/pricing/rules/Kitchen',
        as: 'admin',
        payload: { floor: 0.8, ceiling: 1.2, maxDailyChange: 0.05, mode: 'automatic' },
      })
      expect(rule.statusCode, rule.body).toBe(200)
      const run = await ctx.request({ method: 'POST', url: '/v1/pricing/runs', as: 'admin' })
      expect(run.json().suggestions[0]?.status, run.body).toBe('applied')
    }, 120_000)
    afterAll(async () => {
      await ctx?.close()
    })

    async function consent(ref: string, purpose: string, granted: boolean, jurisdiction: string) {
      const r = await ctx.request({
        method: 'PUT',
        url: `/v1/subjects/${ref}/consents/${purpose}`,
        as: 'storefront',
        payload: {
          decision: granted ? 'granted' : 'denied',
          method: 'banner',
          noticeVersion: version,
          ...(jurisdiction === 'default' ? {} : { jurisdiction }),
        },
      })
      expect(r.statusCode, r.body).toBe(200)
    }

    /** Makes the shopper as described and asks their price of `item` with their own token. */
    async function priceFor(shopper: Shopper, item: string): Promise<unknown> {
      const ref = `prop-${(n += 1)}`
      for (const [purpose, granted] of shopper.consents)
        await consent(ref, purpose, granted, shopper.jurisdiction)
      await ctx.request({
        method: 'PUT',
        url: `/v1/subjects/${ref}/settings`,
        as: 'storefront',
        payload: { level: shopper.level },
      })
      if (shopper.history.length > 0)
        await ctx.request({
          method: 'POST',
          url: '/v1/events',
          as: 'storefront',
          payload: {
            events: shopper.history.map((e, i) => ({
              id: `${ref}-${i}`,
              ...e,
              subject: ref,
              timestamp: ctx.clock.now().toISOString(),
            })),
          },
        })
      const token = await ctx.request({
        method: 'POST',
        url: '/v1/shopper-tokens',
        as: 'storefront',
        payload: { subject: ref },
      })
      expect(token.statusCode, token.body).toBe(201)
      const answer = await ctx.request({
        method: 'GET',
        url: `/v1/prices?item=${item}`,
        as: { token: token.json().token as string },
        headers: shopper.gpc ? { 'sec-gpc': '1' } : {},
      })
      expect(answer.statusCode, answer.body).toBe(200)
      return answer.json()
    }

    it('answers any two shoppers alike, and as it answers the storefront', async () => {
      await fc.assert(
        fc.asyncProperty(
          shopperArb,
          shopperArb,
          fc.constantFrom('MUG', 'TEA'),
          async (a, b, item) => {
            const first = await priceFor(a, item)
            const second = await priceFor(b, item)
            const shop = await ctx.request({
              method: 'GET',
              url: `/v1/prices?item=${item}`,
              as: 'storefront',
            })
            expect(second).toEqual(first)
            expect(shop.json()).toEqual(first)
            if (item === 'MUG') expect(first).toMatchObject({ price: 10.5, source: 'automatic' })
          },
        ),
        { numRuns: 12 },
      )
    }, 240_000)
  })
}
