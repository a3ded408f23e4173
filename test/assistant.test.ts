import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import path from 'node:path'
import { DAY_MS } from '../src/lib/clock.js'
import { createOutboxNotifier } from '../src/modules/rights/index.js'
import { dumpDatabase } from './helpers/raw-scan.js'
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
    it('keeps nothing of a conversation without the grant of personalize.assistant', async () => {
      const subjectId = (await ctx.services.identity.findSubjectId('tea-fan'))!
      const r = await ask({ text: 'a lavender tea for my aunt', subject: 'tea-fan' })
      expect(r.statusCode, r.body).toBe(200)
      expect(r.json().kept).toBe(false)
      // The id given back is echoed, and still nothing is written under it.
      const again = await ask({
        text: 'a lavender tea please',
        subject: 'tea-fan',
        conversationId: r.json().conversationId,
      })
      expect(again.json()).toMatchObject({ conversationId: r.json().conversationId, kept: false })
      expect(await dumpDatabase(ctx)).not.toContain('lavender')
      expect((await ctx.services.assistant.transcripts.exportSubject(subjectId)).turns).toEqual([])
      const visit = await ask({ text: 'lavender tea', session: 'visit-assistant-3' })
      expect(visit.json().kept).toBe(false)
      expect(await dumpDatabase(ctx)).not.toContain('lavender')
    })

    it('keeps the turns with the grant, pseudonymized, in the export, erased with the shopper and swept after 30 days', async () => {
      await grant('chatty', PERSONAL)
      await grant('chatty', 'personalize.assistant')
      const subjectId = (await ctx.services.identity.findSubjectId('chatty'))!
      const first = (await ask({ text: 'a caddy for my sister', subject: 'chatty' })).json()
      expect(first.kept).toBe(true)
      const second = (
        await ask({
          text: 'and a cosy under £15',
          subject: 'chatty',
          conversationId: first.conversationId,
        })
      ).json()
      expect(second).toMatchObject({ kept: true, conversationId: first.conversationId })
      // Stored under the pseudonym: the customer reference is nowhere in the database.
      const dump = await dumpDatabase(ctx)
      expect(dump).toContain('a caddy for my sister')
      expect(dump).not.toContain('chatty')

      // Export through a verified self-service portability request.
      const { token } = ctx.services.auth.issueShopperToken(subjectId)
      const filed = await ctx.request({
        method: 'POST',
        url: '/v1/rights-requests',
        as: { token },
        payload: { type: 'portability', subject: 'chatty' },
      })
      expect(filed.statusCode, filed.body).toBe(201)
      const id = filed.json().id as string
      const code = createOutboxNotifier(path.join(ctx.config.dataDir, 'outbox')).read(id)[0]!.code
      const verified = await ctx.request({
        method: 'POST',
        url: `/v1/rights-requests/${id}/verify`,
        as: { token },
        payload: { code },
      })
      expect(verified.json().status).toBe('completed')
      const exported = await ctx.request({
        method: 'GET',
        url: `/v1/rights-requests/${id}/export`,
        as: { token },
      })
      const turns = exported.json().assistant.turns as { text: string; conversationId: string }[]
      expect(turns.map((t) => t.text)).toEqual(['a caddy for my sister', 'and a cosy under £15'])
      expect(new Set(turns.map((t) => t.conversationId))).toEqual(new Set([first.conversationId]))

      const erased = await ctx.request({
        method: 'POST',
        url: '/v1/rights-requests',
        as: 'privacy_officer',
        payload: { type: 'erasure', subject: 'chatty', jurisdiction: 'UK' },
      })
      expect(erased.statusCode, erased.body).toBe(201)
      expect(erased.json().result.assistant).toEqual({ assistantTurns: 2 })
      expect(await dumpDatabase(ctx)).not.toContain('a caddy for my sister')

      // Retention: a kept turn goes when the purpose's 30 days end, not before.
      await grant('chatty-2', 'personalize.assistant')
      const other = (await ctx.services.identity.findSubjectId('chatty-2'))!
      expect((await ask({ text: 'tea towels', subject: 'chatty-2' })).json().kept).toBe(true)
      ctx.clock.advance(30 * DAY_MS - 1000)
      await ctx.services.retention.run()
      expect((await ctx.services.assistant.transcripts.exportSubject(other)).turns).toHaveLength(1)
      ctx.clock.advance(2000)
      await ctx.services.retention.run()
      expect((await ctx.services.assistant.transcripts.exportSubject(other)).turns).toEqual([])
    })
  })
}
