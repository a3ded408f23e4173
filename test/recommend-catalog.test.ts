import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServices } from '../src/main/compose.js'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'

const PERSONAL = 'personalize.recommendations'
const HEALTH = 'personalize.special.health'
const CATALOG = [
  { id: 'MUG', title: 'Tea mug', category: ['Kitchen', 'Mugs'] },
  { id: 'TEA', title: 'Loose leaf tea', category: ['Kitchen', 'Tea'] },
  { id: 'POT', title: 'Teapot', category: ['Kitchen', 'Tea'] },
  { id: 'CANDLE', title: 'Candle', category: ['Home', 'Candles'] },
  { id: 'HOLDER', title: 'Candle holder', category: ['Home', 'Candles'] },
  { id: 'CARD', title: 'Birthday card', category: ['Cards'] },
  { id: 'WRAP', title: 'Wrapping paper', category: ['Cards'] },
]
const BASKETS: string[][] = [
  ...Array.from({ length: 5 }, () => ['MUG', 'TEA', 'POT']),
  ...Array.from({ length: 4 }, () => ['CANDLE', 'HOLDER']),
  ...Array.from({ length: 3 }, () => ['CARD', 'WRAP']),
]
/** How long a catalog change may take to reach the answers: a second, and some slack for the machine. */
const WITHIN_MS = 1500

interface Answer {
  level: string
  items: Array<{
    id: string
    title: string
    explanation: { kind: string; evidence: Array<{ id: string }> }
  }>
}

/** Polls `check` until it holds or `WITHIN_MS` of real time passed; answers whether it held. */
async function within(check: () => Promise<boolean>): Promise<boolean> {
  const until = Date.now() + WITHIN_MS
  for (;;) {
    if (await check()) return true
    if (Date.now() > until) return false
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

for (const dialect of DIALECTS) {
  describe(`items added to the catalog after training, on ${dialect}`, () => {
    let ctx: TestContext
    let version: string

    async function put(items: Record<string, unknown>[]) {
      const r = await ctx.request({
        method: 'PUT',
        url: '/v1/items',
        as: 'storefront',
        payload: { items },
      })
      expect(r.statusCode, r.body).toBe(200)
    }
    async function grant(ref: string, purpose = PERSONAL, method = 'api') {
      const r = await ctx.request({
        method: 'PUT',
        url: `/v1/subjects/${ref}/consents/${purpose}`,
        as: 'storefront',
        payload: { decision: 'granted', method, noticeVersion: version, jurisdiction: 'UK' },
      })
      expect(r.statusCode, r.body).toBe(200)
    }
    async function send(events: Record<string, string>[]) {
      const at = ctx.clock.now().toISOString()
      const r = await ctx.request({
        method: 'POST',
        url: '/v1/events',
        as: 'storefront',
        payload: { events: events.map((e) => ({ timestamp: at, ...e })) },
      })
      expect(r.statusCode, r.body).toBe(200)
      expect(r.json().results.map((x: { status: string }) => x.status)).toEqual(
        events.map(() => 'stored'),
      )
    }
    async function recommend(query: string): Promise<Answer> {
      const r = await ctx.request({
        method: 'GET',
        url: `/v1/recommendations?${query}`,
        as: 'storefront',
      })
      expect(r.statusCode, r.body).toBe(200)
      return r.json<Answer>()
    }
    const find = (answer: Answer, id: string) => answer.items.find((i) => i.id === id)
    /** Every item and evidence id of an answer. */
    const named = (answer: Answer) =>
      answer.items.flatMap((i) => [i.id, ...i.explanation.evidence.map((e) => e.id)])

    beforeAll(async () => {
      ctx = await createTestContext(dialect)
      version = (await ctx.request({ method: 'GET', url: '/v1/notice' })).json().version
      await put(CATALOG)
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

    it('lists a new item among the new arrivals of the off level within a second, without training', async () => {
      expect(find(await recommend('limit=20'), 'LAMP')).toBeUndefined()
      const run = await ctx.services.recommend.latestTrainingRun()
      await put([{ id: 'LAMP', title: 'Desk lamp', category: ['Home', 'Lamps'], price: 25 }])
      expect(
        await within(async () => find(await recommend('limit=20'), 'LAMP') !== undefined),
      ).toBe(true)
      const lamp = find(await recommend('limit=20'), 'LAMP')!
      expect(lamp).toMatchObject({ title: 'Desk lamp', explanation: { kind: 'new', evidence: [] } })
      // In the new slots of the mix (3 popular, 1 trending, 1 new): the newest item comes first there.
      expect((await recommend('limit=5')).items.map((i) => i.id)).toContain('LAMP')
      expect(find(await recommend('limit=20&category=Home/Lamps'), 'LAMP')).toBeDefined()
      expect(find(await recommend('limit=20&category=Kitchen'), 'LAMP')).toBeUndefined()
      // Nobody retrained.
      expect((await ctx.services.recommend.latestTrainingRun())?.id).toBe(run?.id)
    })

    it('follows an item going out of stock and coming back', async () => {
      expect(find(await recommend('limit=20'), 'CARD')).toBeDefined()
      ctx.clock.advance(1000)
      await put([{ id: 'CARD', title: 'Birthday card', category: ['Cards'], available: false }])
      expect(
        await within(async () => find(await recommend('limit=20'), 'CARD') === undefined),
      ).toBe(true)
      expect(find(await recommend('limit=20&inStock=false'), 'CARD')).toBeDefined()
      ctx.clock.advance(1000)
      await put([{ id: 'CARD', title: 'Birthday card', category: ['Cards'], available: true }])
      expect(
        await within(async () => find(await recommend('limit=20'), 'CARD') !== undefined),
      ).toBe(true)
      // An update is not a listing: it stays what it was (popular), not new.
      expect(find(await recommend('limit=20'), 'CARD')!.explanation.kind).not.toBe('new')
    })

    it('learns of an item another process added', async () => {
      const storage = ctx.storage.another()
      try {
        const other = createServices({
          config: ctx.config,
          storage,
          clock: ctx.clock,
          keys: ctx.services.keys,
          charter: ctx.services.charter,
        })
        ctx.clock.advance(1000)
        await other.catalog.upsertItems([{ id: 'VASE', title: 'Glass vase', category: ['Home'] }], {
          kind: 'cli',
          command: 'test',
        })
        expect(
          await within(
            async () => find(await recommend('limit=20'), 'VASE')?.explanation.kind === 'new',
          ),
        ).toBe(true)
      } finally {
        await storage.close()
      }
    })

    it('never uses a new special-category item in history-based answers, unless the shopper allowed it', async () => {
      ctx.clock.advance(1000)
      await put([
        { id: 'FOLIC', title: 'Folic acid', category: ['Health'], specialCategory: 'health' },
        { id: 'SAUCER', title: 'Saucer', category: ['Kitchen'] },
      ])
      await grant('dana')
      await grant('erin')
      for (const ref of ['dana', 'erin'])
        await send(
          ['FOLIC', 'SAUCER', 'MUG'].map((item, i) => ({
            id: `${ref}-${i}`,
            type: 'purchase',
            subject: ref,
            item,
          })),
        )
      const visit = 'visit-0001-abcdef'
      const consent = await ctx.request({
        method: 'PUT',
        url: `/v1/sessions/${visit}/consents/personalize.session`,
        as: 'storefront',
        payload: { decision: 'granted', noticeVersion: version, jurisdiction: 'UK' },
      })
      expect(consent.statusCode, consent.body).toBe(200)
      await send(
        ['FOLIC', 'SAUCER'].map((item, i) => ({
          id: `v-${i}`,
          type: 'view',
          session: visit,
          item,
        })),
      )
      // Known once the plain one counts for the shopper who bought it.
      expect(
        await within(
          async () => find(await recommend('subject=dana&limit=20'), 'SAUCER') !== undefined,
        ),
      ).toBe(true)
      const dana = await recommend('subject=dana&limit=20')
      expect(dana.level).toBe('personal')
      expect(find(dana, 'SAUCER')!.explanation.kind).toBe('buy_again')
      expect(named(dana)).not.toContain('FOLIC')
      const session = await recommend(`session=${visit}&limit=20`)
      expect(session.level).toBe('session')
      expect(named(session)).not.toContain('FOLIC')

      // Erin turns the category on for herself: her own purchase counts, for her alone.
      await grant('erin', HEALTH, 'privacy_center')
      expect(find(await recommend('subject=erin&limit=20'), 'FOLIC')?.explanation.kind).toBe(
        'buy_again',
      )
      expect(named(await recommend('subject=dana&limit=20'))).not.toContain('FOLIC')
    })

    it('keeps an item that becomes special-category out of history, and erasure exact', async () => {
      ctx.clock.advance(1000)
      await put([
        { id: 'WRAP', title: 'Wrapping paper', category: ['Cards'], specialCategory: 'health' },
      ])
      await grant('fay')
      await send([{ id: 'fay-0', type: 'purchase', subject: 'fay', item: 'WRAP' }])
      expect(
        await within(async () => {
          const fay = await recommend('subject=fay&limit=20')
          return fay.level === 'personal' && !named(fay).includes('WRAP')
        }),
      ).toBe(true)
      // crowd-9 bought CARD and WRAP before WRAP became special: erasure takes out what training
      // counted (both items), not what the catalog says now.
      const total = async () =>
        Array.from((await ctx.services.recommend.model()).itemSubjects).reduce((a, b) => a + b, 0)
      const before = await total()
      const erased = await ctx.request({
        method: 'POST',
        url: '/v1/rights-requests',
        as: 'privacy_officer',
        payload: { type: 'erasure', subject: 'crowd-9' },
      })
      expect(erased.statusCode, erased.body).toBeLessThan(300)
      expect(erased.json().result.recommend).toEqual({ feedback: 0, modelContributions: 1 })
      expect(before - (await total())).toBe(2)
    })
  })
}
