import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { OfferAnswerSchema, type OfferAnswer } from '../src/modules/offers/offers.js'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'

/**
 * Issue 21, per-offer totals: each offer's shown, clicked and "not this" counts, from what is stored
 * (`offer_totals` and the feedback kept), for staff (analyst, admin), with no shopper in them. The
 * click is counted by the offer's `links.open`, which redirects to the offer's own link only.
 */
const PERSONAL = 'personalize.recommendations'
const WIDGET = 'recommendations_widget'
const LINK = 'https://shop.example/tea?promo=spring'

for (const dialect of DIALECTS) {
  describe(`offer totals on ${dialect}`, () => {
    let ctx: TestContext
    let version: string
    beforeAll(async () => {
      ctx = await createTestContext(dialect)
      version = (await ctx.request({ method: 'GET', url: '/v1/notice' })).json().version
      const offers = [
        {
          id: 'tea-spring',
          content: { title: 'Tea week', link: LINK },
          touchpoints: [WIDGET],
          purpose: PERSONAL,
          priority: 5,
        },
        { id: 'no-link', content: { title: 'No link' }, touchpoints: [WIDGET], purpose: PERSONAL },
      ]
      for (const offer of offers) {
        const r = await ctx.request({
          method: 'PUT',
          url: '/v1/offers',
          as: 'admin',
          payload: offer,
        })
        expect(r.statusCode, r.body).toBe(200)
      }
    })
    afterAll(async () => {
      await ctx?.close()
    })

    async function offerFor(query: string): Promise<OfferAnswer> {
      const r = await ctx.request({ method: 'GET', url: `/v1/offers?${query}`, as: 'storefront' })
      expect(r.statusCode, r.body).toBe(200)
      return OfferAnswerSchema.parse(r.json())
    }

    it('counts shown, clicked and "not this" per offer, day and touchpoint, naming nobody', async () => {
      for (let i = 0; i < 3; i++) {
        const answer = await offerFor(`touchpoint=${WIDGET}`)
        expect(answer.offer?.id).toBe('tea-spring')
        expect(answer.offer?.links.open).toBe(`/v1/offers/tea-spring/open?touchpoint=${WIDGET}`)
      }
      const granted = await ctx.request({
        method: 'PUT',
        url: `/v1/subjects/cust-totals/consents/${PERSONAL}`,
        as: 'storefront',
        payload: { decision: 'granted', method: 'banner', noticeVersion: version },
      })
      expect(granted.statusCode, granted.body).toBe(200)
      const mine = await offerFor(`subject=cust-totals&touchpoint=${WIDGET}`)
      expect(mine.offer?.id).toBe('tea-spring')

      // Followed twice, with no key: each counts, and goes to the offer's own link.
      for (let i = 0; i < 2; i++) {
        const r = await ctx.request({ method: 'GET', url: mine.offer!.links.open! })
        expect(r.statusCode, r.body).toBe(302)
        expect(r.headers.location).toBe(LINK)
        expect(r.headers['referrer-policy']).toBe('no-referrer')
      }
      // Refused, and not counted: a touchpoint the offer is not shown at, an offer without a link.
      const wrong = await ctx.request({
        method: 'GET',
        url: '/v1/offers/tea-spring/open?touchpoint=offers_email',
      })
      expect(wrong.statusCode).toBe(400)
      expect(wrong.json().errors).toEqual([
        { field: 'querystring.touchpoint', reason: 'the offer is not shown there' },
      ])
      for (const url of [
        `/v1/offers/no-link/open?touchpoint=${WIDGET}`,
        `/v1/offers/nope/open?touchpoint=${WIDGET}`,
      ])
        expect((await ctx.request({ method: 'GET', url })).statusCode).toBe(404)

      // "Not this" through the answer's own link.
      const notThis = mine.offer!.links.notThis
      const said = await ctx.request({
        method: 'POST',
        url: notThis.href,
        as: 'storefront',
        payload: notThis.body,
      })
      expect(said.statusCode, said.body).toBeLessThan(300)

      const r = await ctx.request({ method: 'GET', url: '/v1/offers/totals?days=7', as: 'analyst' })
      expect(r.statusCode, r.body).toBe(200)
      const today = new Date(ctx.clock.now()).toISOString().slice(0, 10)
      expect(r.json()).toEqual({
        from: expect.any(String),
        offers: [
          {
            offer: 'no-link',
            shown: 0,
            clicked: 0,
            notThis: 0,
            days: [],
            touchpoints: [],
          },
          {
            offer: 'tea-spring',
            shown: 4,
            clicked: 2,
            notThis: 1,
            days: [{ day: today, shown: 4, clicked: 2, notThis: 1 }],
            touchpoints: [{ touchpoint: WIDGET, shown: 4, clicked: 2 }],
          },
        ],
      })
      expect(r.body).not.toContain('cust-totals')
      expect(r.body).not.toContain('sub_')
      expect(r.body).not.toContain('ofa_')
    })

    it("explains an offer to a shopper's privacy center without counting it", async () => {
      const before = (
        await ctx.request({ method: 'GET', url: '/v1/offers/totals', as: 'admin' })
      ).json<{ offers: { offer: string; shown: number }[] }>().offers
      const r = await ctx.request({
        method: 'GET',
        url: '/v1/offers/tea-spring/why?subject=cust-totals',
        as: 'storefront',
      })
      expect(r.statusCode, r.body).toBe(200)
      expect(r.json()).toMatchObject({
        offer: { id: 'tea-spring', title: 'Tea week', purpose: PERSONAL },
        eligible: true,
        evidence: [],
      })
      const unknown = await ctx.request({
        method: 'GET',
        url: '/v1/offers/nope/why?subject=cust-totals',
        as: 'storefront',
      })
      expect(unknown.statusCode).toBe(404)
      const after = (
        await ctx.request({ method: 'GET', url: '/v1/offers/totals', as: 'admin' })
      ).json<{ offers: { offer: string; shown: number }[] }>().offers
      expect(after).toEqual(before)
    })

    it('is for staff only, and names a wrong number of days', async () => {
      const storefront = await ctx.request({
        method: 'GET',
        url: '/v1/offers/totals',
        as: 'storefront',
      })
      expect(storefront.statusCode).toBe(403)
      const admin = await ctx.request({ method: 'GET', url: '/v1/offers/totals', as: 'admin' })
      expect(admin.statusCode).toBe(200)
      const bad = await ctx.request({
        method: 'GET',
        url: '/v1/offers/totals?days=0',
        as: 'analyst',
      })
      expect(bad.statusCode).toBe(400)
      expect(bad.body).toContain('querystring.days')
    })
  })
}
