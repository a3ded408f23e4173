import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'

/**
 * What the page and the shopper's own events change in an answer, and that every reason says only
 * what is true of them: the page's item and category at the `off` level, views told apart from
 * purchases, and new items reaching history-based answers through their category.
 */
const PERSONAL = 'personalize.recommendations'
const CATALOG = [
  { id: 'MUG', title: 'Tea mug', category: ['Kitchen', 'Mugs'] },
  { id: 'TEA', title: 'Loose leaf tea', category: ['Kitchen', 'Tea'] },
  { id: 'POT', title: 'Teapot', category: ['Kitchen', 'Tea'] },
  { id: 'CANDLE', title: 'Candle', category: ['Home', 'Candles'] },
  { id: 'HOLDER', title: 'Candle holder', category: ['Home', 'Candles'] },
  { id: 'CARD', title: 'Birthday card', category: ['Cards'] },
  { id: 'WRAP', title: 'Wrapping paper', category: ['Cards'] },
]
// Cards sell most, so the global row leads with them; mugs go with tea, candles with holders.
const BASKETS: string[][] = [
  ...Array.from({ length: 6 }, () => ['CARD', 'WRAP']),
  ...Array.from({ length: 4 }, () => ['MUG', 'TEA', 'POT']),
  ...Array.from({ length: 3 }, () => ['CANDLE', 'HOLDER']),
]
const WITHIN_MS = 1500

interface Answer {
  level: string
  items: Array<{
    id: string
    explanation: { kind: string; sentence: string; evidence: Array<{ id: string }> }
  }>
}

async function within(check: () => Promise<boolean>): Promise<boolean> {
  const until = Date.now() + WITHIN_MS
  for (;;) {
    if (await check()) return true
    if (Date.now() > until) return false
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

for (const dialect of DIALECTS) {
  describe(`recommendations that follow the page and tell the truth, on ${dialect}`, () => {
    let ctx: TestContext
    let version: string

    async function call(method: 'PUT' | 'POST', url: string, payload: Record<string, unknown>) {
      const r = await ctx.request({ method, url, as: 'storefront', payload })
      expect(r.statusCode, r.body).toBeLessThan(300)
      return r
    }
    const grant = (ref: string) =>
      call('PUT', `/v1/subjects/${ref}/consents/${PERSONAL}`, {
        decision: 'granted',
        noticeVersion: version,
        jurisdiction: 'UK',
      })
    const send = (events: Record<string, string>[]) =>
      call('POST', '/v1/events', {
        events: events.map((e) => ({ timestamp: ctx.clock.now().toISOString(), ...e })),
      })
    async function recommend(query: string): Promise<Answer> {
      const r = await ctx.request({
        method: 'GET',
        url: `/v1/recommendations?${query}`,
        as: 'storefront',
      })
      expect(r.statusCode, r.body).toBe(200)
      return r.json<Answer>()
    }
    const ids = (a: Answer) => a.items.map((i) => i.id)
    const find = (a: Answer, id: string) => a.items.find((i) => i.id === id)

    beforeAll(async () => {
      ctx = await createTestContext(dialect)
      version = (await ctx.request({ method: 'GET', url: '/v1/notice' })).json().version
      await call('PUT', '/v1/items', { items: CATALOG })
      for (const [b, basket] of BASKETS.entries()) {
        const ref = `crowd-${b}`
        await grant(ref)
        await send(
          basket.map((item, i) => ({ id: `${ref}-${i}`, type: 'purchase', subject: ref, item })),
        )
      }
      await ctx.services.recommend.train()
      ctx.clock.advance(60_000)
    })
    afterAll(async () => {
      await ctx?.close()
    })

    it("answers the product page's bought-together items at the off level, naming the product", async () => {
      const plain = await recommend('limit=4')
      expect(plain.level).toBe('off')
      expect(ids(plain).slice(0, 2)).toEqual(['CARD', 'WRAP'])
      const onCandle = await recommend('limit=4&placement=product&item=CANDLE')
      expect(onCandle.level).toBe('off')
      expect(onCandle.items[0]).toMatchObject({
        id: 'HOLDER',
        explanation: {
          kind: 'bought_with_item',
          sentence: 'Often bought together with Candle.',
          evidence: [{ id: 'CANDLE' }],
        },
      })
      expect(ids(onCandle)).not.toContain('CANDLE')
      expect(ids(onCandle)).not.toEqual(ids(plain))
      // Reasons mix: the bought-together items share the row with popular ones.
      expect(new Set(onCandle.items.map((i) => i.explanation.kind)).size).toBeGreaterThan(1)
      const onMug = await recommend('limit=4&placement=product&item=MUG')
      expect(ids(onMug).slice(0, 2).sort()).toEqual(['POT', 'TEA'])
    })

    it("answers the category's popular items first at the off level, and 404 for an unknown one", async () => {
      const kitchen = await recommend('limit=4&placement=category&category=Kitchen')
      expect(ids(kitchen).sort()).toEqual(['MUG', 'POT', 'TEA'])
      expect(kitchen.items[0]!.explanation).toMatchObject({
        kind: 'popular',
        sentence: 'Popular in Kitchen right now.',
      })
      expect(ids(await recommend('limit=4&category=Home/Candles')).sort()).toEqual([
        'CANDLE',
        'HOLDER',
      ])
      const unknown = await ctx.request({
        method: 'GET',
        url: '/v1/recommendations?category=Garden',
        as: 'storefront',
      })
      expect(unknown.statusCode).toBe(404)
      expect(unknown.headers['content-type']).toContain('application/problem+json')
      expect(unknown.json()).toMatchObject({
        code: 'not_found',
        errors: [{ field: 'querystring.category' }],
      })
    })

    it('says "You looked at this" for an item only viewed, and "You bought this" only for one bought', async () => {
      await grant('viewer')
      await send([
        { id: 'viewer-1', type: 'view', subject: 'viewer', item: 'CARD' },
        { id: 'viewer-2', type: 'purchase', subject: 'viewer', item: 'MUG' },
      ])
      const answer = await recommend('subject=viewer&limit=7')
      expect(answer.level).toBe('personal')
      expect(find(answer, 'CARD')!.explanation).toEqual({
        kind: 'looked_at',
        sentence: 'You looked at this before.',
        evidence: [{ id: 'CARD', title: 'Birthday card' }],
      })
      expect(find(answer, 'MUG')!.explanation.kind).toBe('buy_again')
      for (const item of answer.items) {
        if (item.explanation.kind === 'buy_again') expect(item.id).toBe('MUG')
        if (item.explanation.kind === 'looked_at') expect(item.id).toBe('CARD')
      }
    })

    it('puts a new item nobody has bought in the answers of shoppers whose items share its category', async () => {
      await call('PUT', '/v1/items', {
        items: [{ id: 'INFUSER', title: 'Tea infuser', category: ['Kitchen', 'Tea'] }],
      })
      await grant('tea-fan')
      await send([{ id: 'tea-fan-1', type: 'view', subject: 'tea-fan', item: 'TEA' }])
      await grant('card-fan')
      await send([{ id: 'card-fan-1', type: 'purchase', subject: 'card-fan', item: 'CARD' }])
      expect(
        await within(async () => find(await recommend('limit=20'), 'INFUSER') !== undefined),
      ).toBe(true)
      const fan = await recommend('subject=tea-fan&limit=5')
      expect(fan.level).toBe('personal')
      expect(find(fan, 'INFUSER')!.explanation).toEqual({
        kind: 'new_in_category',
        sentence: 'New in Tea, where you bought or looked at Loose leaf tea.',
        evidence: [{ id: 'TEA', title: 'Loose leaf tea' }],
      })
      expect(find(await recommend('subject=card-fan&limit=5'), 'INFUSER')).toBeUndefined()

      const visit = 'visit-tea-0001'
      await call('PUT', `/v1/sessions/${visit}/consents/personalize.session`, {
        decision: 'granted',
        noticeVersion: version,
        jurisdiction: 'UK',
      })
      await send([{ id: 'visit-1', type: 'view', session: visit, item: 'POT' }])
      const session = await recommend(`session=${visit}&limit=5`)
      expect(session.level).toBe('session')
      expect(find(session, 'INFUSER')?.explanation).toMatchObject({
        kind: 'new_in_category',
        evidence: [{ id: 'POT' }],
      })
    })
  })
}
