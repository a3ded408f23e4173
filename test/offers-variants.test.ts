import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'

/**
 * Issue 21: an experiment over offers (`target: "offer"`) changes the offer a shopper is shown: those
 * in the variant naming an offer (`settings.offer`) get it where it is eligible, the control the best
 * one; each answer it shaped is recorded as an exposure, as recommendation variants are.
 */
const PERSONAL = 'personalize.recommendations'
const WIDGET = 'recommendations_widget'

for (const dialect of DIALECTS) {
  describe(`offer variants on ${dialect}`, () => {
    let ctx: TestContext
    let version: string
    let experiment: string
    beforeAll(async () => {
      ctx = await createTestContext(dialect)
      version = (await ctx.request({ method: 'GET', url: '/v1/notice' })).json().version
      for (const offer of [
        {
          id: 'best',
          content: { title: 'Best' },
          touchpoints: [WIDGET],
          purpose: PERSONAL,
          priority: 9,
        },
        { id: 'other', content: { title: 'Other' }, touchpoints: [WIDGET], purpose: PERSONAL },
      ]) {
        const r = await ctx.request({
          method: 'PUT',
          url: '/v1/offers',
          as: 'admin',
          payload: offer,
        })
        expect(r.statusCode, r.body).toBe(200)
      }
      const created = await ctx.request({
        method: 'POST',
        url: '/v1/experiments',
        as: 'admin',
        payload: {
          name: 'Other offer',
          target: 'offer',
          purpose: PERSONAL,
          variants: [
            { name: 'control', settings: {} },
            { name: 'other', settings: { offer: 'other' } },
          ],
          primaryMetric: 'view',
          stages: [1],
        },
      })
      expect(created.statusCode, created.body).toBeLessThan(300)
      experiment = created.json().id
    })
    afterAll(async () => {
      await ctx?.close()
    })

    it('shows each shopper the offer of their variant, and records the exposure', async () => {
      const seen = { control: 0, other: 0 }
      for (let i = 0; i < 12; i++) {
        const ref = `variant-${i}`
        const granted = await ctx.request({
          method: 'PUT',
          url: `/v1/subjects/${ref}/consents/${PERSONAL}`,
          as: 'storefront',
          payload: { decision: 'granted', method: 'banner', noticeVersion: version },
        })
        expect(granted.statusCode, granted.body).toBe(200)
        const answer = await ctx.request({
          method: 'GET',
          url: `/v1/offers?subject=${ref}&touchpoint=${WIDGET}`,
          as: 'storefront',
        })
        expect(answer.statusCode, answer.body).toBe(200)
        const assigned = await ctx.request({
          method: 'GET',
          url: `/v1/experiments/${experiment}/assignment?subject=${ref}`,
          as: 'admin',
        })
        const variant = assigned.json<{ status: string; variant: 'control' | 'other' }>()
        expect(variant.status).toBe('enrolled')
        expect(answer.json<{ offer: { id: string } }>().offer.id).toBe(
          variant.variant === 'other' ? 'other' : 'best',
        )
        seen[variant.variant]++
        const held = await ctx.request({
          method: 'GET',
          url: `/v1/subjects/${ref}/experiments`,
          as: 'storefront',
        })
        expect(held.json<{ answersShaped: number }>().answersShaped).toBe(1)
      }
      // Both variants were drawn (12 shoppers, half each: all in one has odds 1 in 2,048).
      expect(seen.control).toBeGreaterThan(0)
      expect(seen.other).toBeGreaterThan(0)
    })

    it('an anonymous visitor is never enrolled: the best offer', async () => {
      const answer = await ctx.request({
        method: 'GET',
        url: `/v1/offers?touchpoint=${WIDGET}`,
        as: 'storefront',
      })
      expect(answer.json<{ offer: { id: string } }>().offer.id).toBe('best')
    })
  })
}
