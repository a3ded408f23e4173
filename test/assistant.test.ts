import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'

const PERSONAL = 'personalize.recommendations'
const CATALOG = [
  { id: 'TEA', title: 'Loose leaf tea', category: ['Kitchen', 'Tea'], price: 6 },
  { id: 'MUG', title: 'Tea mug', category: ['Kitchen', 'Mugs'], price: 8 },
  { id: 'TOWEL', title: 'Tea towel retrospot', category: ['Kitchen'], price: 3 },
  { id: 'CADDY', title: 'Tea caddy', category: ['Kitchen', 'Tea'], price: 5 },
  { id: 'COSY', title: 'Knitted tea cosy', category: ['Kitchen', 'Tea'], price: 12 },
  { id: 'POT', title: 'Porcelain teapot', category: ['Kitchen', 'Tea'], price: 35 },
  { id: 'GONE', title: 'Tea tin', category: ['Kitchen', 'Tea'], price: 4, available: false },
  {
    id: 'HERB',
    title: 'Herbal tea for sleep',
    category: ['Health'],
    price: 4,
    specialCategory: 'health',
  },
  { id: 'CANDLE', title: 'Candle', category: ['Home', 'Candles'], price: 4 },
  { id: 'HOLDER', title: 'Candle holder', category: ['Home', 'Candles'], price: 9 },
  { id: 'CARD', title: 'Birthday card', category: ['Cards'], price: 2 },
]
/** The crowd's baskets: tea things together, candle things together. */
const BASKETS: string[][] = [
  ...Array.from({ length: 6 }, () => ['TEA', 'CADDY', 'COSY']),
  ...Array.from({ length: 6 }, () => ['MUG', 'TOWEL']),
  ...Array.from({ length: 4 }, () => ['CANDLE', 'HOLDER', 'CARD']),
]
const QUESTION = 'a gift under 20 pounds for a tea lover'
const TEA_UNDER_20 = ['TEA', 'MUG', 'TOWEL', 'CADDY', 'COSY']

for (const dialect of DIALECTS) {
  describe(`shopping assistant on ${dialect}`, () => {
    let ctx: TestContext
    let version: string
    const ask = (payload: object, as: 'storefront' | { token: string } = 'storefront') =>
      ctx.request({ method: 'POST', url: '/v1/assistant/messages', as, payload })
    async function grant(ref: string, purpose: string) {
      const r = await ctx.request({
        method: 'PUT',
        url: `/v1/subjects/${ref}/consents/${purpose}`,
        as: 'storefront',
        payload: { decision: 'granted', noticeVersion: version, jurisdiction: 'UK' },
      })
      expect(r.statusCode, r.body).toBe(200)
    }
    async function buy(ref: string, items: string[]) {
      const at = ctx.clock.now().toISOString()
      const r = await ctx.request({
        method: 'POST',
        url: '/v1/events',
        as: 'storefront',
        payload: {
          events: items.map((item, i) => ({
            id: `${ref}-${item}-${i}`,
            type: 'purchase',
            subject: ref,
            item,
            timestamp: at,
          })),
        },
      })
      expect(r.statusCode, r.body).toBe(200)
    }

    beforeAll(async () => {
      ctx = await createTestContext(dialect)
      const put = await ctx.request({
        method: 'PUT',
        url: '/v1/items',
        as: 'storefront',
        payload: { items: CATALOG },
      })
      expect(put.statusCode, put.body).toBe(200)
      version = (await ctx.request({ method: 'GET', url: '/v1/notice' })).json().version
      for (const [b, basket] of BASKETS.entries()) {
        await grant(`crowd-${b}`, PERSONAL)
        await buy(`crowd-${b}`, basket)
      }
      // The shopper whose history the personal level reads: a tea caddy bought.
      await grant('tea-fan', PERSONAL)
      await buy('tea-fan', ['CADDY'])
      await ctx.services.recommend.train()
    })
    afterAll(async () => {
      await ctx?.close()
    })

    it('answers the example with offered items within the budget whose text matches tea', async () => {
      const r = await ask({ text: QUESTION, session: 'visit-assistant-1' })
      expect(r.statusCode, r.body).toBe(200)
      const answer = r.json()
      expect(answer.conversationId).toMatch(/^conv_/)
      expect(answer.understood).toMatchObject({ budget: { max: 20 }, recipient: 'tea lover' })
      const ids = answer.items.map((i: { id: string }) => i.id)
      expect(new Set(ids)).toEqual(new Set(TEA_UNDER_20))
      for (const item of answer.items) {
        expect(item.price).toBeLessThanOrEqual(20)
        expect(`${item.title} ${item.category.join(' ')}`.toLowerCase()).toContain('tea')
        expect(item.explanation.sentence.length).toBeGreaterThan(0)
      }
      expect(answer.reply).toContain('Loose leaf tea')
      expect(answer.kept).toBe(false)
    })

    it('keeps to a category and a range, and says when nothing matches', async () => {
      const candles = (await ask({ text: 'candles between 5 and 10' })).json()
      expect(candles.items.map((i: { id: string }) => i.id)).toEqual(['HOLDER'])
      const none = (await ask({ text: 'a teapot under £10' })).json()
      expect(none.items).toEqual([])
      expect(none.reply).toContain('I found nothing')
    })

    it('differs between off and personal only by the history, and says what it used', async () => {
      const personal = (await ask({ text: QUESTION, subject: 'tea-fan' })).json()
      expect(personal.level).toBe('personal')
      expect(personal.used).toContain('your past orders')
      // The caddy the shopper bought is the evidence of at least one item's reason.
      const evidence = personal.items.flatMap(
        (i: { explanation: { evidence: { id: string }[] } }) =>
          i.explanation.evidence.map((e) => e.id),
      )
      expect(evidence).toContain('CADDY')

      const settings = await ctx.request({
        method: 'PUT',
        url: '/v1/subjects/tea-fan/settings',
        as: 'storefront',
        payload: { level: 'off' },
      })
      expect(settings.statusCode, settings.body).toBe(200)
      const off = (await ask({ text: QUESTION, subject: 'tea-fan' })).json()
      expect(off.level).toBe('off')
      expect(off.used).toContain('only what you searched for')
      expect(off.used).not.toContain('past orders')
      expect(off.reply).not.toContain('past orders')
      // The same matches (budget and words decide them); only the order and the reasons may differ.
      const ids = (a: { items: { id: string }[] }) => a.items.map((i) => i.id).sort()
      expect(ids(off)).toEqual(ids(personal))
      for (const item of off.items) {
        expect(item.explanation.evidence).toEqual([])
        expect(['buy_again', 'looked_at', 'bought_together']).not.toContain(item.explanation.kind)
      }
      // As anyone asking at off: the same answer as a shopper nobody knows.
      const anonymous = (await ask({ text: QUESTION })).json()
      expect(anonymous.items).toEqual(off.items)
    })

    it('refuses bad input with a 400 naming the field, and personal data in the text', async () => {
      const cases: [object, string][] = [
        [{ subject: 'tea-fan' }, 'body.text'],
        [{ text: '' }, 'body.text'],
        [{ text: 'x'.repeat(501) }, 'body.text'],
        [{ text: 'tea', conversationId: 'nope' }, 'body.conversationId'],
        [{ text: 'tea', subject: 'tea-fan', session: 'visit-assistant-2' }, 'body.session'],
        [{ text: 'tea', color: 'red' }, 'body'],
      ]
      for (const [payload, field] of cases) {
        const r = await ask(payload)
        expect(r.statusCode, r.body).toBe(400)
        expect(r.json().errors[0].field).toBe(field)
      }
      const pii = await ask({ text: 'tea for jo.bloggs@example.net under £10', subject: 'tea-fan' })
      expect(pii.statusCode).toBe(400)
      expect(pii.json().errors[0].field).toBe('body.text')
      expect(pii.body).not.toContain('jo.bloggs')
    })

    it('takes a shopper token for its own subject only', async () => {
      const own = ctx.services.auth.issueShopperToken(
        (await ctx.services.identity.findSubjectId('tea-fan'))!,
      )
      expect(
        (await ask({ text: 'tea', subject: 'tea-fan' }, { token: own.token })).statusCode,
      ).toBe(200)
      expect(
        (await ask({ text: 'tea', subject: 'crowd-1' }, { token: own.token })).statusCode,
      ).toBe(403)
      expect((await ask({ text: 'tea' }, { token: own.token })).statusCode).toBe(403)
      expect(
        (
          await ctx.request({
            method: 'POST',
            url: '/v1/assistant/messages',
            payload: { text: 'tea' },
          })
        ).statusCode,
      ).toBe(401)
    })
  })
}
