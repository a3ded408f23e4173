import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServices } from '../src/main/compose.js'
import { UNWATCHED_TABLES } from '../src/storage/watched-writes.js'
import { sql } from 'kysely'
import {
  type OnlineQuality,
  RecommendationAnswerSchema,
  RecommendationQuerySchema,
} from '../src/modules/recommend/recommend.js'
import type { RecommendTables } from '../src/modules/recommend/recommend.repository.js'
import { migration0010RecommendOnlineQuality } from '../src/storage/migrations/0010_recommend_online_quality.js'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'

const PERSONAL = 'personalize.recommendations'
const CATALOG = [
  { id: 'MUG', title: 'Tea mug', category: ['Kitchen', 'Mugs'] },
  { id: 'TEA', title: 'Loose leaf tea', category: ['Kitchen', 'Tea'] },
  { id: 'POT', title: 'Teapot', category: ['Kitchen', 'Tea'] },
  { id: 'CANDLE', title: 'Candle', category: ['Home', 'Candles'] },
  { id: 'HOLDER', title: 'Candle holder', category: ['Home', 'Candles'] },
  { id: 'MATCH', title: 'Matches', category: ['Home'] },
  { id: 'CARD', title: 'Birthday card', category: ['Cards'] },
  { id: 'WRAP', title: 'Wrapping paper', category: ['Cards'] },
  { id: 'TEST', title: 'Pregnancy test', category: ['Health'], specialCategory: 'health' },
  { id: 'VITA', title: 'Prenatal vitamins', category: ['Health'], specialCategory: 'health' },
  { id: 'GONE', title: 'Sold-out lantern', category: ['Home'], available: false },
]
/** Who bought what together: tea things, candle things, card things; some with health items. */
const BASKETS: string[][] = [
  ...Array.from({ length: 8 }, () => ['MUG', 'TEA', 'POT']),
  ...Array.from({ length: 6 }, () => ['CANDLE', 'HOLDER', 'MATCH']),
  ...Array.from({ length: 5 }, () => ['CARD', 'WRAP']),
  ...Array.from({ length: 4 }, () => ['TEST', 'VITA', 'TEA']),
  ...Array.from({ length: 3 }, () => ['GONE', 'CANDLE']),
]

/** The catalog in place; answers the notice version to consent with. */
async function openShop(ctx: TestContext): Promise<string> {
  await ctx.request({
    method: 'PUT',
    url: '/v1/items',
    as: 'storefront',
    payload: { items: CATALOG },
  })
  return (await ctx.request({ method: 'GET', url: '/v1/notice' })).json<{ version: string }>()
    .version
}
async function grant(ctx: TestContext, ref: string, purpose: string, version: string) {
  const r = await ctx.request({
    method: 'PUT',
    url: `/v1/subjects/${ref}/consents/${purpose}`,
    as: 'storefront',
    payload: { decision: 'granted', noticeVersion: version, jurisdiction: 'UK' },
  })
  expect(r.statusCode, r.body).toBe(200)
}
async function send(ctx: TestContext, events: Record<string, string | number>[]) {
  const at = ctx.clock.now().toISOString()
  const r = await ctx.request({
    method: 'POST',
    url: '/v1/events',
    as: 'storefront',
    payload: { events: events.map((e) => ({ timestamp: at, ...e })) },
  })
  expect(r.statusCode, r.body).toBe(200)
}

/** Every basket bought by a consenting shopper `${prefix}-${index}`. */
async function buyers(ctx: TestContext, prefix: string, version: string) {
  for (const [b, basket] of BASKETS.entries()) {
    const ref = `${prefix}-${b}`
    await grant(ctx, ref, PERSONAL, version)
    await send(
      ctx,
      basket.map((item, i) => ({ id: `${ref}-${i}`, type: 'purchase', subject: ref, item })),
    )
  }
}

/**
 * The catalog, the crowd's baskets (shoppers `${prefix}-N`) and `shopper`, who consented and bought a mug,
 * with the model trained; answers the notice version.
 */
async function trainedShop(ctx: TestContext, prefix: string, shopper: string): Promise<string> {
  const version = await openShop(ctx)
  await buyers(ctx, prefix, version)
  await grant(ctx, shopper, PERSONAL, version)
  await send(ctx, [{ id: `${shopper}-0`, type: 'purchase', subject: shopper, item: 'MUG' }])
  await ctx.services.recommend.train()
  return version
}

/**
 * A second process: its own connection to the same database (on SQLite, where this process keeps copies
 * of what it read, only the database can tell it of the other's commits), with its own services. Opened
 * with `another()`, which counts its writes with this one's: in one process no I/O separates them.
 */
function otherProcess(ctx: TestContext) {
  const storage = ctx.storage.another()
  const services = createServices({
    config: ctx.config,
    storage,
    clock: ctx.clock,
    keys: ctx.services.keys,
    charter: ctx.services.charter,
  })
  return { storage, services }
}

for (const dialect of DIALECTS) {
  describe(`recommendations on ${dialect}`, () => {
    let ctx: TestContext
    let version: string
    const at = () => ctx.clock.now().toISOString()

    async function shopper(
      ref: string,
      items: string[],
      options: { consent?: boolean; level?: string } = {},
    ) {
      if (options.consent !== false) {
        const r = await ctx.request({
          method: 'PUT',
          url: `/v1/subjects/${ref}/consents/${PERSONAL}`,
          as: 'storefront',
          payload: { decision: 'granted', noticeVersion: version, jurisdiction: 'UK' },
        })
        expect(r.statusCode).toBe(200)
      }
      if (options.level !== undefined) {
        await ctx.request({
          method: 'PUT',
          url: `/v1/subjects/${ref}/settings`,
          as: 'storefront',
          payload: { level: options.level },
        })
      }
      if (items.length > 0) {
        const r = await ctx.request({
          method: 'POST',
          url: '/v1/events',
          as: 'storefront',
          payload: {
            events: items.map((item, i) => ({
              id: `${ref}-${i}`,
              type: 'purchase',
              subject: ref,
              item,
              quantity: 1,
              price: 3,
              timestamp: at(),
            })),
          },
        })
        expect(r.statusCode).toBe(200)
      }
    }
    const recommend = async (query: string, headers: Record<string, string> = {}) => {
      const r = await ctx.request({
        method: 'GET',
        url: `/v1/recommendations?${query}`,
        as: 'storefront',
        headers,
      })
      expect(r.statusCode, r.body).toBe(200)
      // The route writes its answer without parsing it again: it must be exactly what the schema says.
      expect(RecommendationAnswerSchema.parse(r.json())).toEqual(r.json())
      return r.json<{
        recommId: string
        level: string
        levelReason: string
        prompt?: { purpose: string }
        items: Array<{
          id: string
          explanation: {
            kind: string
            sentence: string
            evidence: Array<{ id: string; title: string }>
          }
          links: Record<string, { href: string }>
        }>
      }>()
    }

    beforeAll(async () => {
      ctx = await createTestContext(dialect)
      version = (await ctx.request({ method: 'GET', url: '/v1/notice' })).json().version
      const items = await ctx.request({
        method: 'PUT',
        url: '/v1/items',
        as: 'storefront',
        payload: { items: CATALOG },
      })
      expect(items.statusCode, items.body).toBe(200)
      for (const [b, basket] of BASKETS.entries()) await shopper(`crowd-${b}`, basket)
      ctx.clock.advance(60_000)
      await shopper('alice', ['MUG'])
      await shopper('no-consent', ['MUG'], { consent: false })
      await shopper('chose-off', ['MUG'], { level: 'off' })
      await ctx.services.recommend.train()
    })
    afterAll(async () => {
      await ctx?.close()
    })

    it('serves popular items with their reasons to a visitor nothing is known about', async () => {
      const answer = await recommend('limit=5')
      expect(answer.level).toBe('off')
      expect(answer.levelReason).toBe('off: nothing about you is used')
      expect(answer.recommId).toMatch(/^rec_/)
      expect(answer.items.length).toBe(5)
      for (const item of answer.items) {
        expect(['popular', 'trending', 'new']).toContain(item.explanation.kind)
        expect(item.explanation.evidence).toEqual([])
        expect(item.explanation.sentence.length).toBeGreaterThan(5)
      }
      expect(answer.items.map((i) => i.id)).not.toContain('GONE')
      expect(answer.items.map((i) => i.id)).not.toContain('TEST')
    })

    it('personalizes with consent, explaining each item with evidence and links', async () => {
      const answer = await recommend('subject=alice&limit=4')
      expect(answer.level).toBe('personal')
      expect(answer.levelReason).toBe('personal: you allowed personalized recommendations')
      const tea = answer.items.find((i) => i.id === 'TEA' || i.id === 'POT')
      expect(tea, JSON.stringify(answer.items.map((i) => i.id))).toBeDefined()
      expect(tea!.explanation.kind).toBe('bought_together')
      expect(tea!.explanation.evidence).toEqual([{ id: 'MUG', title: 'Tea mug' }])
      expect(tea!.explanation.sentence).toContain('Tea mug')
      expect(tea!.links.notThis!.href).toBe('/v1/feedback')
      expect(tea!.links.stopPersonalizing!.href).toBe('/v1/subjects/alice/settings')
      const mug = answer.items.find((i) => i.id === 'MUG')
      if (mug !== undefined) expect(mug.explanation.kind).toBe('buy_again')
    })

    it('sends a repeated answer with its own recommId everywhere, and with the links of who asked', async () => {
      for (const query of ['subject=alice&limit=4', 'subject=chose-off&limit=4', 'limit=4']) {
        const first = await recommend(query)
        const second = await recommend(query)
        expect(second.recommId).not.toBe(first.recommId)
        const again = JSON.stringify(second)
        expect(again).not.toContain(first.recommId)
        expect(again.replaceAll(second.recommId, first.recommId)).toBe(JSON.stringify(first))
        for (const item of second.items) {
          expect(item.links.notThis).toMatchObject({ body: { recommId: second.recommId } })
        }
      }
      // The same question and the same items for someone else: their own links, not the last asker's.
      await shopper('also-off', [], { consent: false, level: 'off' })
      const other = await recommend('subject=also-off&limit=4')
      const before = await recommend('subject=chose-off&limit=4')
      expect(other.items.map((i) => i.id)).toEqual(before.items.map((i) => i.id))
      expect(JSON.stringify(other)).not.toContain('chose-off')
      expect(other.items[0]!.links.stopPersonalizing!.href).toBe('/v1/subjects/also-off/settings')
    })

    it('logs every answer (id, level, placement, items; nobody named) for measuring quality', async () => {
      const answers = [
        await recommend('subject=alice&limit=3&placement=home'),
        await recommend('limit=2&placement=cart'),
        await recommend('subject=alice&limit=3&placement=home'),
      ]
      await ctx.services.recommend.flushAnswers()
      const rows = await ctx.storage.db
        .withTables<{
          recommend_answers: { recomm_id: string; level: string; placement: string; items: string }
        }>()
        .selectFrom('recommend_answers')
        .select(['recomm_id', 'level', 'placement', 'items'])
        .where(
          'recomm_id',
          'in',
          answers.map((a) => a.recommId),
        )
        .orderBy('recomm_id')
        .execute()
      expect(rows).toEqual(
        answers.map((a, k) => ({
          recomm_id: a.recommId,
          level: a.level,
          placement: k === 1 ? 'cart' : 'home',
          items: JSON.stringify(a.items.map((i) => i.id)),
        })),
      )
    })

    it('follows the setting and consent: no consent, chosen off, restricted, GPC, session visitors', async () => {
      const noConsent = await recommend('subject=no-consent')
      expect(noConsent.level).toBe('off')
      expect(noConsent.levelReason).toBe('off: you have not allowed personalized recommendations')
      expect(noConsent.prompt?.purpose).toBe(PERSONAL)
      expect((await recommend('subject=no-consent')).prompt).toBeUndefined()
      expect((await recommend('subject=chose-off')).levelReason).toBe(
        'off: you chose recommendations that use nothing about you',
      )

      await shopper('restricted', ['CARD'])
      const subjectId = (await ctx.services.identity.findSubjectId('restricted'))!
      expect((await recommend('subject=restricted')).level).toBe('personal')
      await ctx.storage.db.transaction().execute((trx) =>
        ctx.services.consent.setRestricted(trx, subjectId, true, {
          kind: 'system',
          name: 'test',
        }),
      )
      const restricted = await recommend('subject=restricted')
      expect(restricted.level).toBe('off')
      expect(restricted.levelReason).toBe('off: you asked us to stop processing your data')

      // Withdrawal counts on the very next request.
      await shopper('withdraws', ['CARD'])
      expect((await recommend('subject=withdraws')).level).toBe('personal')
      await ctx.request({
        method: 'PUT',
        url: `/v1/subjects/withdraws/consents/${PERSONAL}`,
        as: 'storefront',
        payload: { decision: 'denied', noticeVersion: version },
      })
      expect((await recommend('subject=withdraws')).level).toBe('off')

      const visit = 'visit-0001-abcdef'
      expect((await recommend(`session=${visit}`)).level).toBe('off')
      const consent = await ctx.request({
        method: 'PUT',
        url: `/v1/sessions/${visit}/consents/personalize.session`,
        as: 'storefront',
        payload: { decision: 'granted', noticeVersion: version, jurisdiction: 'UK' },
      })
      expect(consent.statusCode, consent.body).toBe(200)
      await ctx.request({
        method: 'POST',
        url: '/v1/events',
        as: 'storefront',
        payload: {
          events: [{ id: 'v1', type: 'view', session: visit, item: 'CANDLE', timestamp: at() }],
        },
      })
      const session = await recommend(`session=${visit}&limit=3`)
      expect(session.level).toBe('session')
      expect(session.items[0]!.explanation).toMatchObject({
        kind: 'similar_to_viewed',
        evidence: [{ id: 'CANDLE', title: 'Candle' }],
      })
    })

    it('honours "not this" and "too personal" on the very next request', async () => {
      await shopper('bob', ['CANDLE'])
      const before = await recommend('subject=bob&limit=3')
      const first = before.items.find((i) => i.explanation.kind === 'bought_together')!
      expect(first.explanation.evidence).toEqual([{ id: 'CANDLE', title: 'Candle' }])
      const hide = await ctx.request({
        method: 'POST',
        url: '/v1/feedback',
        as: 'storefront',
        payload: {
          subject: 'bob',
          kind: 'not_interested',
          item: first.id,
          recommId: before.recommId,
        },
      })
      expect(hide.statusCode).toBe(201)
      const after = await recommend('subject=bob&limit=3')
      expect(after.items.map((i) => i.id)).not.toContain(first.id)
      await ctx.request({
        method: 'POST',
        url: '/v1/feedback',
        as: 'storefront',
        payload: { subject: 'bob', kind: 'too_personal', reasonKind: 'bought_together' },
      })
      const plain = await recommend('subject=bob&limit=3')
      expect(plain.items.every((i) => i.explanation.kind !== 'bought_together')).toBe(true)
      const bad = await ctx.request({
        method: 'POST',
        url: '/v1/feedback',
        as: 'storefront',
        payload: { subject: 'bob', kind: 'not_interested' },
      })
      expect(bad.statusCode).toBe(400)
      expect(bad.json().errors[0].field).toBe('body.item')
    })

    it('never lets special-category purchases shape personal recommendations', async () => {
      await shopper('twin-a', ['MUG', 'CARD'])
      await shopper('twin-b', ['MUG', 'TEST', 'CARD', 'VITA'])
      const a = await recommend('subject=twin-a&limit=8')
      const b = await recommend('subject=twin-b&limit=8')
      const view = (r: typeof a) =>
        r.items.map((i) => [i.id, i.explanation.kind, i.explanation.evidence.map((e) => e.id)])
      expect(view(b)).toEqual(view(a))
      for (const item of b.items) {
        expect(['TEST', 'VITA']).not.toContain(item.id)
        for (const e of item.explanation.evidence) expect(['TEST', 'VITA']).not.toContain(e.id)
      }
    })

    it('uses a special category only for the shopper who turned it on by itself, and only for them', async () => {
      const HEALTH = 'personalize.special.health'
      await shopper('plain-c', ['MUG', 'CARD'])
      await shopper('twin-c', ['MUG', 'TEST', 'CARD', 'VITA'])
      await shopper('twin-d', ['MUG', 'TEST', 'CARD', 'VITA'])
      const choose = (method: string, decision = 'granted') =>
        ctx.request({
          method: 'PUT',
          url: `/v1/subjects/twin-c/consents/${HEALTH}`,
          as: 'storefront',
          payload: { decision, method, noticeVersion: version, jurisdiction: 'UK' },
        })
      const view = (r: Awaited<ReturnType<typeof recommend>>) =>
        r.items.map((i) => [i.id, i.explanation.kind, i.explanation.evidence.map((e) => e.id)])
      const health = (r: Awaited<ReturnType<typeof recommend>>) =>
        r.items.filter((i) => ['TEST', 'VITA'].includes(i.id))

      // Never with a banner's "Accept all" (or a prompt): the choice is made for it alone.
      const banner = await choose('banner')
      expect(banner.statusCode).toBe(400)
      expect(banner.json().errors[0].field).toBe('body.method')
      expect(view(await recommend('subject=twin-c&limit=8'))).toEqual(
        view(await recommend('subject=plain-c&limit=8')),
      )

      expect((await choose('privacy_center')).statusCode).toBe(200)
      const allowed = await recommend('subject=twin-c&limit=8')
      expect(health(allowed).length, JSON.stringify(view(allowed))).toBeGreaterThan(0)
      for (const item of health(allowed)) {
        expect(item.explanation.kind).toBe('buy_again')
        expect(item.explanation.evidence.map((e) => e.id)).toEqual([item.id])
      }
      // Nobody else's suggestions change: the twin who did not choose it still gets the plain ones.
      expect(view(await recommend('subject=twin-d&limit=8'))).toEqual(
        view(await recommend('subject=plain-c&limit=8')),
      )

      // Turned off again: gone on the very next request.
      expect((await choose('privacy_center', 'denied')).statusCode).toBe(200)
      expect(health(await recommend('subject=twin-c&limit=8'))).toEqual([])
    })

    it('after erasure, the model equals one trained from scratch without the subject', async () => {
      const fresh = await createTestContext(dialect)
      try {
        await buyers(fresh, 'p', await openShop(fresh))
        await fresh.services.recommend.train()
        const before = await fresh.services.recommend.model()
        const erased = await fresh.request({
          method: 'POST',
          url: '/v1/rights-requests',
          as: 'privacy_officer',
          payload: { type: 'erasure', subject: 'p-0' },
        })
        expect(erased.json().result.recommend).toEqual({ feedback: 0, modelContributions: 1 })
        const removed = await fresh.services.recommend.model()
        expect(removed).not.toBe(before)
        await fresh.services.recommend.train()
        const scratch = await fresh.services.recommend.model()
        expect(Array.from(removed.neighbours.ptr)).toEqual(Array.from(scratch.neighbours.ptr))
        expect(Array.from(removed.neighbours.cols)).toEqual(Array.from(scratch.neighbours.cols))
        expect(Array.from(removed.neighbours.weights)).toEqual(
          Array.from(scratch.neighbours.weights),
        )
        expect(Array.from(removed.itemSubjects)).toEqual(Array.from(scratch.itemSubjects))
      } finally {
        await fresh.close()
      }
    })
  })
}

for (const dialect of DIALECTS) {
  describe(`erasure across processes on ${dialect}`, () => {
    it('takes an erased shopper out of the model of every process sharing the database', async () => {
      const ctx = await createTestContext(dialect)
      try {
        // A second "process": its own services and in-memory model over the same database.
        const other = createServices({
          config: ctx.config,
          storage: ctx.storage,
          clock: ctx.clock,
          keys: ctx.services.keys,
          charter: ctx.services.charter,
        })
        await buyers(ctx, 'm', await openShop(ctx))
        await ctx.services.recommend.train()
        await other.recommend.train()
        const subjectId = (await ctx.services.identity.findSubjectId('m-0'))!
        expect((await other.recommend.exportSubject(subjectId)).model.contributesToModel).toBe(true)
        await ctx.request({
          method: 'POST',
          url: '/v1/rights-requests',
          as: 'privacy_officer',
          payload: { type: 'erasure', subject: 'm-0' },
        })
        // The other process learns of it on its next answer (it checks at most once a second).
        await new Promise((resolve) => setTimeout(resolve, 1100))
        await other.recommend.recommend({ placement: 'home', limit: 3 } as never, {})
        expect((await other.recommend.exportSubject(subjectId)).model.contributesToModel).toBe(
          false,
        )
        const mine = await ctx.services.recommend.model()
        const theirs = await other.recommend.model()
        expect(Array.from(theirs.neighbours.cols)).toEqual(Array.from(mine.neighbours.cols))
        expect(Array.from(theirs.neighbours.weights)).toEqual(Array.from(mine.neighbours.weights))
      } finally {
        await ctx.close()
      }
    })
  })
}

for (const dialect of DIALECTS) {
  describe(`online quality on ${dialect}`, () => {
    it('counts what shoppers did with each answer, by level and placement, never naming anyone', async () => {
      const ctx = await createTestContext(dialect)
      try {
        await trainedShop(ctx, 'crowd', 'alice')
        const ask = async (query: string) => {
          const r = await ctx.request({
            method: 'GET',
            url: `/v1/recommendations?${query}`,
            as: 'storefront',
          })
          expect(r.statusCode, r.body).toBe(200)
          return r.json<{ recommId: string; level: string; items: { id: string }[] }>()
        }
        const quality = async (query = '') => {
          const r = await ctx.request({
            method: 'GET',
            url: `/v1/recommendations/quality${query}`,
            as: 'analyst',
          })
          expect(r.statusCode, r.body).toBe(200)
          expect(r.body).not.toContain('alice')
          return r.json<{ online: OnlineQuality }>().online
        }
        const personal: { recommId: string; items: { id: string }[] }[] = []
        for (let k = 0; k < 12; k++)
          personal.push(await ask('subject=alice&limit=3&placement=home'))
        expect(new Set(personal.map((a) => a.recommId)).size).toBe(12)
        const off = []
        for (let k = 0; k < 3; k++) off.push(await ask('limit=3&placement=cart'))
        expect(off[0]!.level).toBe('off')

        type Answer = (typeof personal)[number]
        const [a, b, c, d] = personal.slice(0, 4) as [Answer, Answer, Answer, Answer]
        const cite = (id: string, type: string, answer: Answer, item: string) => ({
          id,
          type,
          subject: 'alice',
          item,
          recommId: answer.recommId,
          ...(type === 'view' ? {} : { quantity: 1 }),
        })
        await send(ctx, [
          cite('v1', 'view', a, a.items[0]!.id),
          // The same answer viewed again counts once.
          cite('v2', 'view', a, a.items[1]!.id),
          cite('c1', 'cart', b, b.items[0]!.id),
          // Bought, but not something that answer showed: not the answer's doing.
          cite('p0', 'purchase', b, 'WRAP'),
          cite('p1', 'purchase', c, c.items[2]!.id),
          // Small groups' citations are counted with them, never shown alone.
          cite('v3', 'view', off[0]!, off[0]!.items[0]!.id),
        ])
        const notThis = await ctx.request({
          method: 'POST',
          url: '/v1/feedback',
          as: 'storefront',
          payload: {
            subject: 'alice',
            kind: 'not_interested',
            item: d.items[0]!.id,
            recommId: d.recommId,
          },
        })
        expect(notThis.statusCode, notThis.body).toBe(201)

        let online = await quality()
        const expected = {
          level: 'personal',
          placement: 'home',
          answers: 12,
          viewed: 1,
          carted: 1,
          purchased: 1,
          notInterested: 1,
          viewRate: 0.0833,
          cartRate: 0.0833,
          purchaseRate: 0.0833,
          notInterestedRate: 0.0833,
        }
        expect(online.groups).toEqual([expected])
        expect(online.total).toEqual({ ...expected, level: 'all', placement: 'all' })
        expect(online.withheld).toEqual({ groups: 1, answers: 3 })
        expect(online.minAnswers).toBe(10)

        // Grown past the threshold, the off answers are shown as their own group.
        for (let k = 0; k < 7; k++) await ask('limit=3&placement=cart')
        online = await quality()
        expect(online.groups.map((g) => [g.level, g.placement, g.answers, g.viewed])).toEqual([
          ['personal', 'home', 12, 1],
          ['off', 'cart', 10, 1],
        ])
        expect(online.withheld).toEqual({ groups: 0, answers: 0 })
        expect(online.total).toMatchObject({ answers: 22, viewed: 2, viewRate: 0.0909 })

        // A window counts only the answers given in it; the log goes back 30 days at most.
        ctx.clock.advance(2 * 86_400_000)
        online = await quality('?days=1')
        expect(online.groups).toEqual([])
        expect(online.total.answers).toBe(0)
        // Whole UTC days, today included: yesterday and today hold none of them.
        expect((await quality('?days=2')).total.answers).toBe(0)
        expect((await quality('?days=3')).total.answers).toBe(22)
        // Past the log's 30 days, retention removes the answers and their day counts alike.
        ctx.clock.advance(30 * 86_400_000)
        await ctx.services.retention.run()
        for (const table of ['recommend_answers', 'recommend_answer_days'] as const) {
          const { n } = await ctx.storage.db
            .withTables<Record<typeof table, { recomm_id: string }>>()
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number | string>().as('n'))
            .executeTakeFirstOrThrow()
          expect(Number(n), table).toBe(0)
        }
        const tooFar = await ctx.request({
          method: 'GET',
          url: '/v1/recommendations/quality?days=31',
          as: 'analyst',
        })
        expect(tooFar.statusCode).toBe(400)
        expect(tooFar.json().errors[0].field).toBe('querystring.days')
        const storefront = await ctx.request({
          method: 'GET',
          url: '/v1/recommendations/quality',
          as: 'storefront',
        })
        expect(storefront.statusCode).toBe(403)
      } finally {
        await ctx.close()
      }
    })
  })

  describe(`online quality's day counts on ${dialect}`, () => {
    it('are filled from the answers logged before the upgrade that adds them', async () => {
      const ctx = await createTestContext(dialect)
      try {
        const db = ctx.storage.db.withTables<RecommendTables>()
        const logged = [
          ['rec_1', 'off', 'home', '2026-03-01T23:59:00.000Z'],
          ['rec_2', 'off', 'home', '2026-03-01T08:00:00.000Z'],
          ['rec_3', 'off', 'home', '2026-03-02T00:00:00.000Z'],
          ['rec_4', 'personal', 'cart', '2026-03-02T10:00:00.000Z'],
        ]
        await migration0010RecommendOnlineQuality.down!(ctx.storage.db)
        await db
          .insertInto('recommend_answers')
          .values(
            logged.map(([id, level, placement, at]) => ({
              recomm_id: id!,
              level: level!,
              placement: placement!,
              items: '[]',
              created_at: at!,
            })),
          )
          .execute()
        await migration0010RecommendOnlineQuality.up(ctx.storage.db)
        const rows = await db
          .selectFrom('recommend_answer_days')
          .selectAll()
          .orderBy('day')
          .orderBy('level')
          .execute()
        expect(rows.map((r) => ({ ...r, answers: Number(r.answers) }))).toEqual([
          { day: '2026-03-01', level: 'off', placement: 'home', answers: 2 },
          { day: '2026-03-02', level: 'off', placement: 'home', answers: 1 },
          { day: '2026-03-02', level: 'personal', placement: 'cart', answers: 1 },
        ])
      } finally {
        await ctx.close()
      }
    })
  })

  describe(`answers that stay current on ${dialect}`, () => {
    /** Runs `body` on a new database with the catalog in place; `version` is the notice's. */
    async function inShop(body: (ctx: TestContext, version: string) => Promise<void>) {
      const ctx = await createTestContext(dialect)
      try {
        await body(ctx, await openShop(ctx))
      } finally {
        await ctx.close()
      }
    }
    it('reflects what another process writes, on the very next request', async () => {
      const ctx = await createTestContext(dialect)
      const { storage: otherStorage, services: other } = otherProcess(ctx)
      const actor = { kind: 'cli', command: 'test' } as const
      const recommend = async (ref: string) => {
        const r = await ctx.request({
          method: 'GET',
          url: `/v1/recommendations?subject=${ref}&limit=4`,
          as: 'storefront',
        })
        expect(r.statusCode, r.body).toBe(200)
        return r.json<{
          level: string
          items: Array<{
            id: string
            explanation: { kind: string; evidence: Array<{ id: string }> }
          }>
        }>()
      }
      try {
        const v = await trainedShop(ctx, 'c', 'c-99')
        const before = await recommend('c-99')
        expect(before.level).toBe('personal')
        expect(
          before.items.some((i) => i.explanation.evidence.some((e) => e.id === 'CANDLE')),
        ).toBe(false)
        const view = (answer: typeof before) => answer.items.map((i) => [i.id, i.explanation])
        expect(view(await recommend('c-99'))).toEqual(view(before))

        // A purchase stored by the other process counts at once.
        const stored = await other.events.ingest(
          [
            {
              id: 'c-99-candle',
              type: 'purchase',
              subject: 'c-99',
              item: 'CANDLE',
              timestamp: ctx.clock.now().toISOString(),
            },
          ],
          { actor, signals: { jurisdiction: 'UK' } },
        )
        expect(stored.counts.stored).toBe(1)
        const after = await recommend('c-99')
        expect(after.items.some((i) => i.explanation.evidence.some((e) => e.id === 'CANDLE'))).toBe(
          true,
        )

        // So does a withdrawal.
        const subjectId = (await other.identity.findSubjectId('c-99'))!
        await other.consent.recordChange(
          subjectId,
          PERSONAL,
          { decision: 'denied', method: 'api', noticeVersion: v },
          {},
          actor,
        )
        expect((await recommend('c-99')).level).toBe('off')

        // And an erasure: the reference no longer leads to anything (a new, unknown shopper).
        await recommend('c-0')
        const created = await other.rights.create(
          { type: 'erasure', subject: 'c-0' },
          'staff',
          actor,
        )
        await other.rights.process(created.id)
        expect((await other.rights.get(created.id))?.status).toBe('completed')
        expect(await ctx.services.identity.findSubjectId('c-0')).toBeUndefined()
        expect((await recommend('c-0')).level).toBe('off')
      } finally {
        await ctx.close()
        await otherStorage.close()
      }
    })

    it('keeps its copies when another process only logs answers, and drops them for any other write', async () => {
      const ctx = await createTestContext(dialect)
      const { storage: otherStorage, services: other } = otherProcess(ctx)
      try {
        await trainedShop(ctx, 'w', 'w-1')
        const watched = await sql<{ name: string }>`
          select name from sqlite_master where type = 'trigger' and tbl_name = 'events'`
          .execute(ctx.storage.db)
          .catch(() => undefined)
        if (ctx.dialect === 'postgres') {
          // PostgreSQL: no writes are counted (and there is no sqlite_master): its copies follow what
          // each write notifies (test/pg-freshness.test.ts).
          expect(watched).toBeUndefined()
          return
        }
        expect(watched?.rows.map((r) => r.name).sort()).toEqual(
          ['delete', 'insert', 'update'].map((op) => `candor_watched_writes_events_${op}`),
        )
        // Every table is watched but the answer log and the migration bookkeeping.
        const tables = await sql<{ name: string; triggers: number }>`
          select t.name, (select count(*) from sqlite_master g where g.type = 'trigger' and g.tbl_name = t.name) as triggers
          from sqlite_master t where t.type = 'table' and t.name not like 'sqlite_%'`.execute(
          ctx.storage.db,
        )
        expect(tables.rows.length).toBeGreaterThan(15)
        for (const { name, triggers } of tables.rows)
          expect([name, triggers]).toEqual([name, UNWATCHED_TABLES.includes(name) ? 0 : 3])
        const query = RecommendationQuerySchema.parse({ subject: 'w-1', limit: '4' })
        // The other process trains its own model (a watched write) and serves.
        await other.recommend.recommend(query, {})
        await other.recommend.flushAnswers()
        ctx.storage.changes.checkExternal(true)
        let dropped = 0
        ctx.storage.changes.subscribe((owner) => {
          if (owner === undefined) dropped += 1
        })
        const before = await ctx.services.recommend.recommend(query, {})
        expect(before.level).toBe('personal')

        // Only answers logged: every copy here still stands.
        for (let k = 0; k < 3; k += 1) await other.recommend.recommend(query, {})
        await other.recommend.flushAnswers()
        const answers = await sql<{
          n: number
        }>`select count(*) as n from recommend_answers`.execute(otherStorage.db)
        expect(Number(answers.rows[0]!.n)).toBeGreaterThanOrEqual(4)
        ctx.storage.changes.checkExternal(true)
        expect(dropped).toBe(0)

        // Anything else it writes (here an event of someone else) drops them.
        await other.events.ingest(
          [
            {
              id: 'w-other-1',
              type: 'purchase',
              subject: 'w-0',
              item: 'CARD',
              timestamp: ctx.clock.now().toISOString(),
            },
          ],
          { actor: { kind: 'cli', command: 'test' }, signals: { jurisdiction: 'UK' } },
        )
        ctx.storage.changes.checkExternal(true)
        expect(dropped).toBe(1)
      } finally {
        await ctx.close()
        await otherStorage.close()
      }
    })

    it('stops using an event the moment it expires, before retention deletes it', async () => {
      await inShop(async (ctx, v) => {
        await grant(ctx, 'eve', PERSONAL, v)
        await send(ctx, [{ id: 'eve-1', type: 'view', subject: 'eve', item: 'MUG' }])
        const subjectId = (await ctx.services.identity.findSubjectId('eve'))!
        const [event] = await ctx.services.events.listSubjectEvents(subjectId)
        expect(
          (await ctx.services.events.listSubjectItemEvents(subjectId, PERSONAL)).map((e) => e.item),
        ).toEqual(['MUG'])
        ctx.clock.set(new Date(Date.parse(event!.expiresAt) + 1))
        expect(await ctx.services.events.listSubjectItemEvents(subjectId, PERSONAL)).toEqual([])
      })
    })

    it('stores an old event only for the purposes whose retention it is still within', async () => {
      await inShop(async (ctx, v) => {
        for (const purpose of [PERSONAL, 'marketing.advertising.first_party'])
          await grant(ctx, 'gina', purpose, v)
        const old = new Date(ctx.clock.now().getTime() - 400 * 86_400_000).toISOString()
        const ancient = new Date(ctx.clock.now().getTime() - 800 * 86_400_000).toISOString()
        const r = await ctx.request({
          method: 'POST',
          url: '/v1/events',
          as: 'storefront',
          payload: {
            events: [
              {
                id: 'gina-old',
                type: 'purchase',
                subject: 'gina',
                item: 'MUG',
                price: 3,
                timestamp: old,
              },
              {
                id: 'gina-ancient',
                type: 'purchase',
                subject: 'gina',
                item: 'TEA',
                timestamp: ancient,
              },
            ],
          },
        })
        expect(r.json().results).toEqual([
          { id: 'gina-old', status: 'stored', dropped: ['price'] },
          { id: 'gina-ancient', status: 'refused', reason: 'expired' },
        ])
        const subjectId = (await ctx.services.identity.findSubjectId('gina'))!
        const [kept] = await ctx.services.events.listSubjectEvents(subjectId)
        expect(kept).toMatchObject({
          id: 'gina-old',
          purposes: ['marketing.advertising.first_party'],
        })
        expect(kept).not.toHaveProperty('price')
      })
    })

    it("uses an event for a purpose only within that purpose's retention, while a longer one keeps it", async () => {
      await inShop(async (ctx, v) => {
        // Personalization keeps purchases 365 days, first-party marketing 730 (candor.charter.yaml).
        for (const purpose of [PERSONAL, 'marketing.advertising.first_party'])
          await grant(ctx, 'frank', purpose, v)
        await send(ctx, [
          {
            id: 'frank-1',
            type: 'purchase',
            subject: 'frank',
            item: 'MUG',
            price: 3,
            currency: 'GBP',
            quantity: 2,
            recommId: 'rec_x',
          },
        ])
        const subjectId = (await ctx.services.identity.findSubjectId('frank'))!
        const [event] = await ctx.services.events.listSubjectEvents(subjectId)
        expect(event!.purposes).toEqual(
          expect.arrayContaining([PERSONAL, 'marketing.advertising.first_party']),
        )
        await ctx.services.recommend.train()
        expect(
          (await ctx.services.recommend.exportSubject(subjectId)).model.contributesToModel,
        ).toBe(true)
        expect(
          (await ctx.services.events.listSubjectItemEvents(subjectId, PERSONAL)).map((e) => e.item),
        ).toEqual(['MUG'])

        ctx.clock.advance(366 * 86_400_000)
        // Still stored (marketing keeps it), no longer personalization's.
        expect((await ctx.services.events.listSubjectEvents(subjectId)).map((e) => e.id)).toEqual([
          'frank-1',
        ])
        expect(await ctx.services.events.listSubjectItemEvents(subjectId, PERSONAL)).toEqual([])
        expect(
          (
            await ctx.services.events.listSubjectItemEvents(
              subjectId,
              'marketing.advertising.first_party',
            )
          ).map((e) => e.item),
        ).toEqual(['MUG'])
        await ctx.services.recommend.train()
        expect(
          (await ctx.services.recommend.exportSubject(subjectId)).model.contributesToModel,
        ).toBe(false)

        // Retention takes the ended purpose out of the row, with the fields only it declared.
        const run = await ctx.services.retention.run()
        expect(run.deleted.events?.purposesEnded).toBe(1)
        const [kept] = await ctx.services.events.listSubjectEvents(subjectId)
        expect(kept).toMatchObject({
          id: 'frank-1',
          item: 'MUG',
          purposes: ['marketing.advertising.first_party'],
        })
        for (const field of ['price', 'currency', 'quantity', 'recommId'])
          expect(kept).not.toHaveProperty(field)
        ctx.clock.advance(365 * 86_400_000)
        expect((await ctx.services.retention.run()).deleted.events?.events).toBe(1)
        expect(await ctx.services.events.listSubjectEvents(subjectId)).toEqual([])
      })
    })
  })
}
