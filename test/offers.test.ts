import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { OfferAnswerSchema, type OfferAnswer } from '../src/modules/offers/offers.js'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'

/**
 * Issue 21, offers: staff define offers, and a storefront is answered the best eligible one at the
 * level the shopper's consent allows for the offer's purpose, within the touchpoint's frequency cap,
 * explained like a recommendation. Every consent state (none, granted, withdrawn) and level (off,
 * session, personal) for a shopper, and an anonymous visit with and without its consent.
 */
const PERSONAL = 'personalize.recommendations'
const SESSION = 'personalize.session'
const MARKETING = 'marketing.advertising.first_party'
const WIDGET = 'recommendations_widget'
const CATALOG = [
  { id: 'MUG', title: 'Tea mug', category: ['Kitchen'] },
  { id: 'TEA', title: 'Loose leaf tea', category: ['Kitchen', 'Tea'] },
  { id: 'CANDLE', title: 'Candle', category: ['Home'] },
  { id: 'BALM', title: 'Healing balm', category: ['Care'], specialCategory: 'health' },
]
const content = (title: string) => ({
  title,
  text: `${title}, this week`,
  link: 'https://shop.example/o',
})
const OFFERS = [
  { id: 'everyone', content: content('Free delivery'), touchpoints: [WIDGET], purpose: PERSONAL },
  {
    id: 'uk-only',
    content: content('UK spring sale'),
    eligibility: { jurisdictions: ['UK'] },
    touchpoints: [WIDGET],
    purpose: PERSONAL,
    priority: 1,
  },
  {
    id: 'candle-cart',
    content: content('Matches for your candle'),
    eligibility: { cartContains: ['CANDLE'] },
    touchpoints: [WIDGET],
    purpose: SESSION,
    priority: 3,
  },
  {
    id: 'returning',
    content: content('Welcome back'),
    eligibility: { customer: 'returning' },
    touchpoints: [WIDGET],
    purpose: PERSONAL,
    priority: 4,
  },
  {
    id: 'kitchen',
    content: content('10% off tea'),
    eligibility: { categoryAffinity: ['Kitchen'] },
    touchpoints: [WIDGET],
    purpose: PERSONAL,
    priority: 5,
  },
  {
    id: 'later',
    content: content('Summer sale'),
    schedule: { from: '2026-06-01T00:00:00Z' },
    touchpoints: [WIDGET],
    purpose: PERSONAL,
    priority: 100,
  },
  {
    id: 'paused',
    content: content('Paused'),
    touchpoints: [WIDGET],
    purpose: PERSONAL,
    priority: 100,
    active: false,
  },
  {
    id: 'mail-everyone',
    content: content('Our newsletter offer'),
    touchpoints: ['offers_email'],
    purpose: MARKETING,
  },
]

for (const dialect of DIALECTS) {
  describe(`offers on ${dialect}`, () => {
    let ctx: TestContext
    let version: string
    beforeAll(async () => {
      ctx = await createTestContext(dialect)
      const items = await ctx.request({
        method: 'PUT',
        url: '/v1/items',
        as: 'storefront',
        payload: { items: CATALOG },
      })
      expect(items.statusCode, items.body).toBeLessThan(300)
      version = (await ctx.request({ method: 'GET', url: '/v1/notice' })).json().version
      for (const offer of OFFERS) {
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

    async function consent(url: string, purpose: string, decision: 'granted' | 'denied') {
      const r = await ctx.request({
        method: 'PUT',
        url: `${url}/consents/${purpose}`,
        as: 'storefront',
        payload: { decision, method: 'banner', noticeVersion: version, jurisdiction: 'UK' },
      })
      expect(r.statusCode, r.body).toBe(200)
    }
    async function level(ref: string, value: 'off' | 'session' | 'personal') {
      const r = await ctx.request({
        method: 'PUT',
        url: `/v1/subjects/${ref}/settings`,
        as: 'storefront',
        payload: { level: value },
      })
      expect(r.statusCode, r.body).toBeLessThan(300)
    }
    async function bought(ref: string, item: string) {
      const r = await ctx.request({
        method: 'POST',
        url: '/v1/events',
        as: 'storefront',
        payload: {
          events: [
            {
              id: `e-${ref}-${item}`,
              type: 'purchase',
              subject: ref,
              item,
              timestamp: ctx.clock.now().toISOString(),
            },
          ],
        },
      })
      expect(r.statusCode, r.body).toBeLessThan(300)
      expect(r.json().results[0].status, r.body).toBe('stored')
    }
    async function offerFor(query: string): Promise<OfferAnswer> {
      const r = await ctx.request({ method: 'GET', url: `/v1/offers?${query}`, as: 'storefront' })
      expect(r.statusCode, r.body).toBe(200)
      const answer = r.json<OfferAnswer>()
      expect(OfferAnswerSchema.safeParse(answer).success, r.body).toBe(true)
      return answer
    }

    it('lists every offer for staff, never for a storefront', async () => {
      const list = await ctx.request({ method: 'GET', url: '/v1/offers', as: 'admin' })
      expect(list.statusCode).toBe(200)
      expect(list.json().offers.map((o: { id: string }) => o.id)).toEqual(
        OFFERS.map((o) => o.id).sort(),
      )
      const kitchen = list.json().offers.find((o: { id: string }) => o.id === 'kitchen')
      expect(kitchen.eligibility).toEqual({ categoryAffinity: ['Kitchen'] })
      expect(kitchen.createdAt).toBe('2026-03-02T09:00:00.000Z')
      expect(
        (await ctx.request({ method: 'GET', url: '/v1/offers', as: 'storefront' })).statusCode,
      ).toBe(403)
      const put = await ctx.request({
        method: 'PUT',
        url: '/v1/offers',
        as: 'storefront',
        payload: OFFERS[0]!,
      })
      expect(put.statusCode).toBe(403)
    })

    it('refuses a wrong offer naming the field, and writes nothing', async () => {
      const cases: [Record<string, unknown>, string][] = [
        [{ purpose: MARKETING }, 'body.purpose'],
        [{ purpose: 'no.such.purpose' }, 'body.purpose'],
        [{ touchpoints: ['billboard'] }, 'body.touchpoints.0'],
        [{ eligibility: { cartContains: ['BALM'] } }, 'body.eligibility.cartContains.0'],
        [{ eligibility: { categoryAffinity: ['Care'] } }, 'body.eligibility.categoryAffinity.0'],
        [
          { schedule: { from: '2026-04-01T00:00:00Z', until: '2026-03-01T00:00:00Z' } },
          'body.schedule.until',
        ],
        [{ eligibility: { jurisdictions: ['XX'] } }, 'body.eligibility.jurisdictions.0'],
        [{ eligibility: { age: 30 } }, 'body.eligibility'],
        [{ content: { title: '' } }, 'body.content.title'],
      ]
      for (const [change, field] of cases) {
        const r = await ctx.request({
          method: 'PUT',
          url: '/v1/offers',
          as: 'admin',
          payload: { ...OFFERS[0]!, id: 'wrong', ...change },
        })
        expect(r.statusCode, JSON.stringify(change)).toBe(400)
        expect(r.headers['content-type']).toMatch(/problem\+json/)
        const fields = (r.json().errors as { field: string }[]).map((i) => i.field)
        expect(
          fields.some((f) => f.startsWith(field)),
          `${JSON.stringify(change)}: ${r.body}`,
        ).toBe(true)
      }
      const list = (await ctx.request({ method: 'GET', url: '/v1/offers', as: 'admin' })).json()
      expect(list.offers.map((o: { id: string }) => o.id)).not.toContain('wrong')
      const unknown = await ctx.request({
        method: 'GET',
        url: '/v1/offers?touchpoint=billboard',
        as: 'storefront',
      })
      expect(unknown.statusCode).toBe(400)
      expect(unknown.json().errors[0].field).toBe('querystring.touchpoint')
    })

    it('no consent on record: only offers whose eligibility uses nothing personal', async () => {
      await bought('stranger', 'MUG') // refused: no consent, so nothing is kept either
        .catch(() => undefined)
      const anyone = await offerFor(`touchpoint=${WIDGET}&jurisdiction=US-CA`)
      expect(anyone.offer?.id).toBe('everyone')
      expect(anyone.dataUsed).toBe('none')
      expect(anyone.offer?.explanation).toEqual({
        kind: 'for_everyone',
        sentence: 'An offer for everyone: nothing about you was used.',
        evidence: [],
      })
      const uk = await offerFor(`subject=nobody-1&touchpoint=${WIDGET}&jurisdiction=UK&cart=CANDLE`)
      expect(uk.offer?.id).toBe('uk-only')
      expect(uk.dataUsed).toBe('none')
      expect(uk.offer?.explanation.sentence).toBe(
        'An offer for everyone in UK: nothing about you was used.',
      )
      expect(uk.offer?.links.stop?.href).toBe(`/v1/subjects/nobody-1/consents/${PERSONAL}`)
      // Scheduled later and paused offers are never chosen, whatever their priority.
      expect([anyone.offer?.id, uk.offer?.id]).not.toContain('later')
    })

    it('granted and personal: the category of their own purchases, with the evidence', async () => {
      await consent('/v1/subjects/tea-1', PERSONAL, 'granted')
      await bought('tea-1', 'MUG')
      const answer = await offerFor(`subject=tea-1&touchpoint=${WIDGET}&jurisdiction=UK`)
      expect(answer.dataUsed).toBe('personal')
      expect(answer.offer?.id).toBe('kitchen')
      expect(answer.offer?.explanation).toEqual({
        kind: 'category_affinity',
        sentence: 'Because you bought or looked at Tea mug.',
        evidence: [{ id: 'MUG', title: 'Tea mug' }],
      })
      expect(answer.offer?.links.notThis).toEqual({
        method: 'POST',
        href: '/v1/feedback',
        body: {
          subject: 'tea-1',
          kind: 'not_interested',
          item: 'offer:kitchen',
          recommId: answer.answerId,
        },
      })
      // "Not this": the next best one (returning customer), explained as such.
      const fb = await ctx.request({
        method: 'POST',
        url: answer.offer!.links.notThis.href,
        as: 'storefront',
        payload: answer.offer!.links.notThis.body,
      })
      expect(fb.statusCode, fb.body).toBe(201)
      const next = await offerFor(`subject=tea-1&touchpoint=${WIDGET}&jurisdiction=UK`)
      expect(next.offer?.id).toBe('returning')
      expect(next.offer?.explanation.sentence).toBe('Because you have shopped with us before.')
    })

    it('granted but level session: only the cart of this visit; level off: nothing personal', async () => {
      await consent('/v1/subjects/tea-2', PERSONAL, 'granted')
      await consent('/v1/subjects/tea-2', SESSION, 'granted')
      await bought('tea-2', 'MUG')
      expect((await offerFor(`subject=tea-2&touchpoint=${WIDGET}&jurisdiction=UK`)).offer?.id).toBe(
        'kitchen',
      )
      await level('tea-2', 'session')
      const cart = await offerFor(
        `subject=tea-2&touchpoint=${WIDGET}&jurisdiction=UK&cart=TEA,CANDLE`,
      )
      expect(cart.dataUsed).toBe('session')
      expect(cart.offer?.id).toBe('candle-cart')
      expect(cart.offer?.explanation).toEqual({
        kind: 'cart_contents',
        sentence: 'Because Candle is in your basket.',
        evidence: [{ id: 'CANDLE', title: 'Candle' }],
      })
      const noCart = await offerFor(`subject=tea-2&touchpoint=${WIDGET}&jurisdiction=UK`)
      expect(noCart.offer?.id).toBe('uk-only')
      await level('tea-2', 'off')
      const off = await offerFor(`subject=tea-2&touchpoint=${WIDGET}&jurisdiction=UK&cart=CANDLE`)
      expect(off.dataUsed).toBe('none')
      expect(off.offer?.id).toBe('uk-only')
    })

    it('withdrawn (through the stop link): nothing personal from then on', async () => {
      await consent('/v1/subjects/tea-3', PERSONAL, 'granted')
      await bought('tea-3', 'TEA')
      const before = await offerFor(`subject=tea-3&touchpoint=${WIDGET}&jurisdiction=UK`)
      expect(before.offer?.id).toBe('kitchen')
      expect(before.offer?.explanation.evidence).toEqual([{ id: 'TEA', title: 'Loose leaf tea' }])
      const stop = before.offer!.links.stop!
      const r = await ctx.request({
        method: 'PUT',
        url: stop.href,
        as: 'storefront',
        payload: stop.body,
      })
      expect(r.statusCode, r.body).toBe(200)
      const after = await offerFor(`subject=tea-3&touchpoint=${WIDGET}&jurisdiction=UK`)
      expect(after.dataUsed).toBe('none')
      expect(after.offer?.id).toBe('uk-only')
    })

    it('an anonymous visit: its cart only with its own consent', async () => {
      const without = await offerFor(
        `session=visit-offers-1&touchpoint=${WIDGET}&jurisdiction=UK&cart=CANDLE`,
      )
      expect(without.offer?.id).toBe('uk-only')
      expect(without.offer?.links.stop).toBeUndefined()
      await consent('/v1/sessions/visit-offers-1', SESSION, 'granted')
      const visit = await offerFor(
        `session=visit-offers-1&touchpoint=${WIDGET}&jurisdiction=UK&cart=CANDLE`,
      )
      expect(visit.dataUsed).toBe('session')
      expect(visit.offer?.id).toBe('candle-cart')
      expect(visit.offer?.links.notThis.body).toMatchObject({ session: 'visit-offers-1' })
    })

    it('an item tagged special-category after the offer was defined never selects anyone', async () => {
      const seeds = { id: 'SEEDS', title: 'Herb seeds', category: ['Garden'] }
      const put = (items: object[]) =>
        ctx.request({ method: 'PUT', url: '/v1/items', as: 'storefront', payload: { items } })
      expect((await put([seeds])).statusCode).toBeLessThan(300)
      const garden = await ctx.request({
        method: 'PUT',
        url: '/v1/offers',
        as: 'admin',
        payload: {
          id: 'garden',
          content: content('Garden week'),
          eligibility: { cartContains: ['SEEDS'] },
          touchpoints: [WIDGET],
          purpose: SESSION,
          priority: 50,
        },
      })
      expect(garden.statusCode, garden.body).toBe(200)
      await consent('/v1/sessions/visit-offers-2', SESSION, 'granted')
      const ask = `session=visit-offers-2&touchpoint=${WIDGET}&jurisdiction=UK&cart=SEEDS`
      expect((await offerFor(ask)).offer?.id).toBe('garden')
      expect((await put([{ ...seeds, specialCategory: 'health' }])).statusCode).toBeLessThan(300)
      const after = await offerFor(ask)
      expect(after.offer?.id).not.toBe('garden')
      expect(JSON.stringify(after)).not.toContain('SEEDS')
    })

    it('keeps the touchpoint frequency cap for a shopper who allowed the purpose', async () => {
      ctx.clock.set('2026-03-09T10:00:00Z')
      await consent('/v1/subjects/mail-1', MARKETING, 'granted')
      const first = await offerFor('subject=mail-1&touchpoint=offers_email')
      expect(first.offer?.id).toBe('mail-everyone')
      expect(first.cap).toBeUndefined()
      const second = await offerFor('subject=mail-1&touchpoint=offers_email')
      expect(second.offer).toBeNull()
      expect(second.cap).toMatchObject({ touchpoint: 'offers_email', max: 1, perDays: 7 })
      ctx.clock.set(second.cap!.resetsAt)
      expect((await offerFor('subject=mail-1&touchpoint=offers_email')).offer?.id).toBe(
        'mail-everyone',
      )
    })
  })
}
