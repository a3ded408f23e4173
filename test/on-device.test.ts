/**
 * The `on_device` level on the server: choosing it (with consent) records the setting and the event gate
 * then stores nothing of the shopper's; `GET /v1/models/current` serves the model the `personal` level
 * ranks with (ETag, 304), without special-category items, and the SDK's ranking over it equals the
 * server's `personal` answer for the same history.
 */
import { gunzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeServingModel, withScoring } from '../src/modules/recommend/engine/index.js'
import { withEaseParams } from '../src/modules/recommend/engine/item-model.js'
import {
  RecommendationQuerySchema,
  createRecommendService,
} from '../src/modules/recommend/index.js'
import { type Trainer, runTrainingJob } from '../src/modules/recommend/training.js'
import { rankOnDevice, readOnDeviceModel } from '../sdk/src/on-device.js'
import type { LocalEvent } from '../sdk/src/on-device-store.js'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'

const ITEMS = [
  ...['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H'].map((id) => ({
    id,
    title: `Item ${id}`,
    category: ['Gifts'],
  })),
  { id: 'TEST', title: 'Pregnancy test', category: ['Health'], specialCategory: 'health' },
]
/** Listed after training in the last tests (nobody has bought it). */
const NEW_ITEM = { id: 'NEW', title: 'New gift', category: ['Gifts'] }
const BASKETS = [
  ['A', 'B', 'C'],
  ['A', 'B', 'D'],
  ['B', 'C', 'E'],
  ['C', 'D', 'F', 'TEST'],
  ['E', 'F', 'G'],
  ['A', 'G', 'H'],
  ['B', 'D', 'H'],
  ['A', 'C', 'E', 'G'],
]

for (const dialect of DIALECTS) {
  describe(`on_device level and serving model, on ${dialect}`, () => {
    let ctx: TestContext
    let version: string
    const grant = (ref: string) =>
      ctx.request({
        method: 'PUT',
        url: `/v1/subjects/${ref}/consents/personalize.recommendations`,
        as: 'storefront',
        payload: { decision: 'granted', noticeVersion: version },
      })
    const send = (ref: string, events: { id: string; type: string; item: string; at: Date }[]) =>
      ctx.request({
        method: 'POST',
        url: '/v1/events',
        as: 'storefront',
        payload: {
          events: events.map((e) => ({
            id: e.id,
            type: e.type,
            subject: ref,
            item: e.item,
            timestamp: e.at.toISOString(),
          })),
        },
      })

    beforeAll(async () => {
      ctx = await createTestContext(dialect)
      await ctx.request({
        method: 'PUT',
        url: '/v1/items',
        as: 'storefront',
        payload: { items: ITEMS },
      })
      version = (await ctx.request({ method: 'GET', url: '/v1/notice' })).json().version
      for (const [s, basket] of BASKETS.entries()) {
        await grant(`buyer-${s}`)
        const at = new Date(ctx.clock.now().getTime() - (s + 1) * 86_400_000)
        await send(
          `buyer-${s}`,
          basket.map((item) => ({ id: `${s}-${item}`, type: 'purchase', item, at })),
        )
      }
      await ctx.services.recommend.train()
    })
    afterAll(async () => {
      await ctx?.close()
    })

    it('records on_device with consent, and then stores no event of the shopper', async () => {
      await grant('device-1')
      const set = await ctx.request({
        method: 'PUT',
        url: '/v1/subjects/device-1/settings',
        as: 'storefront',
        payload: { level: 'on_device' },
      })
      expect(set.statusCode).toBe(200)
      expect(set.json()).toMatchObject({ level: 'on_device', effectiveLevel: 'on_device' })
      const at = new Date(ctx.clock.now().getTime() - 60_000)
      const answer = await send('device-1', [
        { id: 'd1', type: 'view', item: 'A', at },
        { id: 'd2', type: 'purchase', item: 'B', at },
      ])
      expect(answer.json().results).toEqual([
        { id: 'd1', status: 'refused', reason: 'on_device' },
        { id: 'd2', status: 'refused', reason: 'on_device' },
      ])
      const subjectId = await ctx.services.identity.findSubjectId('device-1')
      const stored = await ctx.services.events.listSubjectItemEvents(
        subjectId!,
        'personalize.recommendations',
      )
      expect(stored).toEqual([])
      // The server answers nothing personal for them: their history is not here.
      const recs = await ctx.request({
        method: 'GET',
        url: '/v1/recommendations?subject=device-1&limit=3',
        as: 'storefront',
      })
      expect(recs.json().level).toBe('off')
      // Back to personal: events are stored again.
      await ctx.request({
        method: 'PUT',
        url: '/v1/subjects/device-1/settings',
        as: 'storefront',
        payload: { level: 'personal' },
      })
      const later = await send('device-1', [{ id: 'd3', type: 'view', item: 'C', at }])
      expect(later.json().results[0].status).toBe('stored')
    })

    it('keeps on_device off without consent (never falling back to a level that stores events)', async () => {
      const set = await ctx.request({
        method: 'PUT',
        url: '/v1/subjects/device-2/settings',
        as: 'storefront',
        payload: { level: 'on_device' },
      })
      expect(set.json()).toMatchObject({
        level: 'on_device',
        effectiveLevel: 'off',
        reason: 'consent_required',
        prompt: { purpose: 'personalize.recommendations' },
      })
    })

    it('serves the model the personal level uses, with an ETag, 304 when unchanged, no special-category item', async () => {
      const first = await ctx.request({
        method: 'GET',
        url: '/v1/models/current',
        as: 'storefront',
      })
      expect(first.statusCode).toBe(200)
      expect(first.headers['content-type']).toContain('application/vnd.candor.serving-model')
      const etag = first.headers.etag as string
      expect(etag).toMatch(/^"[0-9a-f]{32}"$/)
      const served = decodeServingModel(new Uint8Array(first.rawPayload))
      expect(served.items).not.toContain('TEST')
      expect(served.items).toEqual(expect.arrayContaining(['A', 'B', 'H']))
      const model = await ctx.services.recommend.model()
      expect(served.model.trainedAt).toBe(model.trainedAt)
      expect(served.model.subjects).toBe(model.subjects)
      const again = await ctx.request({
        method: 'GET',
        url: '/v1/models/current',
        as: 'storefront',
        headers: { 'if-none-match': etag },
      })
      expect(again.statusCode).toBe(304)
      expect(again.body).not.toContain('CNDRSM01')
      const zipped = await ctx.request({
        method: 'GET',
        url: '/v1/models/current',
        as: 'storefront',
        headers: { 'accept-encoding': 'gzip' },
      })
      expect(zipped.headers['content-encoding']).toBe('gzip')
      expect(new Uint8Array(gunzipSync(zipped.rawPayload))).toEqual(
        new Uint8Array(first.rawPayload),
      )
      // Retraining on new data changes the version.
      await grant('buyer-new')
      await send('buyer-new', [{ id: 'n1', type: 'purchase', item: 'H', at: ctx.clock.now() }])
      await ctx.services.recommend.train()
      const retrained = await ctx.request({
        method: 'GET',
        url: '/v1/models/current',
        as: 'storefront',
        headers: { 'if-none-match': etag },
      })
      expect(retrained.statusCode).toBe(200)
      expect(retrained.headers.etag).not.toBe(etag)
      const bad = await ctx.request({
        method: 'GET',
        url: '/v1/models/current?precision=f16',
        as: 'storefront',
      })
      expect(bad.statusCode).toBe(400)
      expect(bad.body).toContain('precision')
      const anonymous = await ctx.request({ method: 'GET', url: '/v1/models/current' })
      expect(anonymous.statusCode).toBe(401)
    })

    it("ranks in the browser exactly as the server's personal answer for the same history", async () => {
      // Listed after training, bought by nobody yet: it may take the answer's last place on both sides.
      await ctx.request({
        method: 'PUT',
        url: '/v1/items',
        as: 'storefront',
        payload: { items: [NEW_ITEM] },
      })
      // The model takes catalog changes in at most once a second (`syncCatalog`).
      await new Promise((resolve) => setTimeout(resolve, 1100))
      const now = ctx.clock.now().getTime()
      const history: LocalEvent[] = [
        { item: 'A', type: 'purchase', t: now - 3 * 86_400_000 },
        { item: 'C', type: 'view', t: now - 2 * 86_400_000 },
        { item: 'A', type: 'purchase', t: now - 86_400_000 },
      ]
      await grant('twin')
      await send(
        'twin',
        history.map((e, k) => ({ id: `t${k}`, type: e.type, item: e.item, at: new Date(e.t) })),
      )
      const server = (
        await ctx.request({
          method: 'GET',
          url: '/v1/recommendations?subject=twin&limit=5',
          as: 'storefront',
        })
      ).json()
      expect(server.level).toBe('personal')
      const fetched = await ctx.request({
        method: 'GET',
        url: '/v1/models/current?precision=f32&neighbours=1000',
        as: 'storefront',
      })
      const model = readOnDeviceModel(
        new Uint8Array(fetched.rawPayload),
        fetched.headers.etag as string,
      )
      const titles = new Map([...ITEMS, NEW_ITEM].map((i) => [i.id, i]))
      const browser = rankOnDevice(model, history, {
        now,
        limit: 5,
        catalog: (id) => titles.get(id),
      })
      const strip = (items: { id: string; explanation: unknown }[]) =>
        items.map((i) => ({ id: i.id, explanation: i.explanation }))
      expect(strip(browser)).toEqual(strip(server.items))
      expect(browser[0]).toMatchObject({ id: 'A', explanation: { kind: 'buy_again' } })
      expect(browser.at(-1)).toMatchObject({ id: 'NEW', explanation: { kind: 'new_in_category' } })
    })

    it('ranks in the browser as the server does where training chose EASE', async () => {
      // Training as the server trains, then EASE on every item with most of N from it, as tuning
      // would choose it on a shop where it ranks the held-out period better.
      const withEase: Trainer = async (job, onProgress) => {
        const trained = runTrainingJob({ ...job, tune: false }, onProgress)
        const m = withEaseParams(trained.model, { easeItems: 8, easeLambda: 0.5 })
        const personal = { ...m.scoring.personal, easeWeight: 0.8, otherWeight: 1 }
        return { ...trained, model: withScoring(m, { ...m.scoring, personal }) }
      }
      const service = createRecommendService({
        db: ctx.storage.db,
        charter: ctx.services.charter,
        changes: ctx.storage.changes,
        clock: ctx.clock,
        audit: ctx.services.audit,
        identity: ctx.services.identity,
        consent: ctx.services.consent,
        events: ctx.services.events,
        session: ctx.services.session,
        catalog: ctx.services.catalog,
        trainer: withEase,
      })
      await service.train()
      const now = ctx.clock.now().getTime()
      const history: LocalEvent[] = [
        { item: 'E', type: 'view', t: now - 2 * 86_400_000 },
        { item: 'G', type: 'purchase', t: now - 86_400_000 },
      ]
      await grant('twin-ease')
      await send(
        'twin-ease',
        history.map((e, k) => ({ id: `te${k}`, type: e.type, item: e.item, at: new Date(e.t) })),
      )
      const query = RecommendationQuerySchema.parse({ subject: 'twin-ease', limit: '6' })
      const server = await service.recommend(query, {})
      expect(server.level).toBe('personal')
      const served = await service.servingModel({ precision: 'f32', neighbours: 1000 })
      const decoded = decodeServingModel(served.bytes)
      expect(decoded.model.ease?.items).toHaveLength(8)
      expect(decoded.model.scoring.personal.easeWeight).toBe(0.8)
      const titles = new Map([...ITEMS, NEW_ITEM].map((i) => [i.id, i]))
      const browser = rankOnDevice(readOnDeviceModel(served.bytes, served.etag), history, {
        now,
        limit: 6,
        catalog: (id) => titles.get(id),
      })
      const strip = (items: readonly { id: string; explanation: unknown }[]) =>
        items.map((i) => ({ id: i.id, explanation: i.explanation }))
      expect(strip(browser)).toEqual(strip(server.items))
      expect(browser.map((b) => b.explanation.kind)).toContain('bought_together')
    })
  })
}
