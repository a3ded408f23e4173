import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DAY_MS } from '../src/lib/clock.js'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'
import { PERSONAL } from './helpers/shoppers.js'

for (const dialect of DIALECTS) {
  describe(`voice representativeness on ${dialect}`, () => {
    let ctx: TestContext
    beforeAll(async () => {
      ctx = await createTestContext(dialect)
    })
    afterAll(async () => {
      await ctx?.close()
    })

    /** A shopper known from now on, who consents in `jurisdiction`. */
    async function shopper(ref: string, jurisdiction: string, version: string) {
      const response = await ctx.request({
        method: 'PUT',
        url: `/v1/subjects/${ref}/consents/${PERSONAL}`,
        as: 'storefront',
        payload: { decision: 'granted', method: 'banner', noticeVersion: version, jurisdiction },
      })
      expect(response.statusCode, response.body).toBe(200)
    }
    const review = async (ref: string) => {
      const response = await ctx.request({
        method: 'POST',
        url: '/v1/voice',
        as: 'storefront',
        payload: { kind: 'review', subject: ref, item: '85123A', rating: 4 },
      })
      expect(response.statusCode, response.body).toBe(201)
    }
    const measure = async (days: number) => {
      const response = await ctx.request({
        method: 'GET',
        url: `/v1/voice/representativeness?days=${days}`,
        as: 'analyst',
      })
      expect(response.statusCode, response.body).toBe(200)
      return response.json<
        Record<string, unknown> & { dimensions: Array<{ dimension: string; distance: number }> }
      >()
    }

    it('flags a skewed sample of respondents and not a balanced one, and does not judge too few', async () => {
      const version = (await ctx.request({ method: 'GET', url: '/v1/notice' })).json().version
      // The base: 30 returning shoppers in the UK (known for 60 days), 30 new ones in the EU.
      for (let i = 0; i < 30; i++) await shopper(`rep-old-${i}`, 'UK', version)
      ctx.clock.advance(60 * DAY_MS)
      for (let i = 0; i < 30; i++) await shopper(`rep-new-${i}`, 'EU', version)

      // Too few: 5 respondents are not judged.
      for (let i = 0; i < 5; i++) await review(`rep-old-${i}`)
      const few = await measure(1)
      expect(few).toMatchObject({ baseShoppers: 60, respondents: 5, enough: false, skewed: null })

      // Balanced: 12 of each cohort, the base's shares.
      ctx.clock.advance(2 * DAY_MS)
      for (let i = 0; i < 12; i++) {
        await review(`rep-old-${i}`)
        await review(`rep-new-${i}`)
      }
      const balanced = await measure(1)
      expect(balanced).toMatchObject({ respondents: 24, enough: true, skewed: false })
      for (const d of balanced.dimensions) expect(d.distance).toBeLessThanOrEqual(0.2)

      // Skewed: only returning UK shoppers answer.
      ctx.clock.advance(2 * DAY_MS)
      for (let i = 0; i < 24; i++) await review(`rep-old-${i}`)
      const skewed = await measure(1)
      expect(skewed).toMatchObject({ respondents: 24, enough: true, skewed: true, threshold: 0.2 })
      const byName = Object.fromEntries(
        (skewed.dimensions as Array<{ dimension: string }>).map((d) => [d.dimension, d]),
      )
      expect(byName.tenure).toMatchObject({
        distance: 0.5,
        skewed: true,
        groups: [
          { group: 'new', base: 0.5, respondents: 0 },
          { group: 'returning', base: 0.5, respondents: 1 },
        ],
      })
      expect(byName.jurisdiction).toMatchObject({ distance: 0.5, skewed: true })
      expect(byName.level).toMatchObject({ distance: 0, skewed: false })
      // Nothing names a shopper.
      expect(JSON.stringify(skewed)).not.toMatch(/rep-|sub_/)
    })

    it('refuses a bad window naming the field, and callers other than analysts and admins', async () => {
      const bad = await ctx.request({
        method: 'GET',
        url: '/v1/voice/representativeness?days=0',
        as: 'analyst',
      })
      expect(bad.statusCode).toBe(400)
      expect(bad.json().errors[0].field).toBe('querystring.days')
      const storefront = await ctx.request({
        method: 'GET',
        url: '/v1/voice/representativeness',
        as: 'storefront',
      })
      expect(storefront.statusCode).toBe(403)
    })
  })
}
