/**
 * The rating weight (issue 21): aggregated low 1-5 ratings from the voice module lower an item's
 * `personal` score on the server and, through the same factor carried in the serving model, in the
 * browser's ranking; an item nobody rated keeps its place. On SQLite and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeServingModel } from '../src/modules/recommend/engine/index.js'
import { rankOnDevice, readOnDeviceModel } from '../sdk/src/on-device.js'
import type { LocalEvent } from '../sdk/src/on-device-store.js'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'

const ITEMS = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'P', 'Q'].map((id) => ({
  id,
  title: `Item ${id}`,
  category: ['Gifts'],
}))
const BASKETS = [
  ['A', 'B', 'C'],
  ['A', 'B', 'D'],
  ['B', 'C', 'E'],
  ['C', 'D', 'F'],
  ['E', 'F', 'G'],
  ['A', 'G', 'H'],
  ['B', 'D', 'H', 'P', 'Q'],
  ['A', 'C', 'E', 'G', 'P', 'Q'],
]
const DAY = 86_400_000

for (const dialect of DIALECTS) {
  describe(`rating weight in answers and the serving model, on ${dialect}`, () => {
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
    const rate = async (ref: string, item: string, rating: number) => {
      await grant(ref)
      const response = await ctx.request({
        method: 'POST',
        url: '/v1/voice',
        as: 'storefront',
        payload: { kind: 'review', subject: ref, item, rating },
      })
      expect(response.statusCode, response.body).toBe(201)
    }
    const answer = async () => {
      const response = await ctx.request({
        method: 'GET',
        url: '/v1/recommendations?subject=fan&limit=7',
        as: 'storefront',
      })
      expect(response.json().level).toBe('personal')
      return response.json().items as { id: string; explanation: unknown }[]
    }
    const history = (now: number): LocalEvent[] => [
      // P and Q have the same shoppers: viewed alike, they tie, and a rating weight decides.
      { item: 'P', type: 'view', t: now - 2 * DAY },
      { item: 'Q', type: 'view', t: now - 2 * DAY },
    ]
    const onDevice = async (now: number) => {
      const fetched = await ctx.request({
        method: 'GET',
        url: '/v1/models/current?precision=f32&neighbours=1000',
        as: 'storefront',
      })
      const bytes = new Uint8Array(fetched.rawPayload)
      const titles = new Map(ITEMS.map((i) => [i.id, i]))
      const ranked = rankOnDevice(
        readOnDeviceModel(bytes, fetched.headers.etag as string),
        history(now),
        { now, limit: 7, catalog: (id) => titles.get(id) },
      )
      return { served: decodeServingModel(bytes), ranked }
    }
    const strip = (items: readonly { id: string; explanation: unknown }[]) =>
      items.map((i) => ({ id: i.id, explanation: i.explanation }))

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
        const at = new Date(ctx.clock.now().getTime() - (s + 1) * DAY)
        await send(
          `buyer-${s}`,
          basket.map((item) => ({ id: `${s}-${item}`, type: 'purchase', item, at })),
        )
      }
      await ctx.services.recommend.train()
      const now = ctx.clock.now().getTime()
      await grant('fan')
      await send(
        'fan',
        history(now).map((e, k) => ({
          id: `f${k}`,
          type: e.type,
          item: e.item,
          at: new Date(e.t),
        })),
      )
      // The shop's other ratings: high ones, so its mean rating is high.
      for (let k = 0; k < 8; k++) await rate(`happy-${k}`, 'H', 5)
    })
    afterAll(async () => {
      await ctx?.close()
    })

    it('five 1-star ratings lower the item in the next server answer and in the browser model; a neutral item keeps its place', async () => {
      const now = ctx.clock.now().getTime()
      const before = await answer()
      const device = await onDevice(now)
      expect(strip(device.ranked)).toEqual(strip(before))
      expect(device.served.itemFactors.items).toHaveLength(0)
      // The first of the two tied items is rated down; the third, rated by nobody, is the neutral one.
      expect(
        before
          .slice(0, 2)
          .map((i) => i.id)
          .sort(),
      ).toEqual(['P', 'Q'])
      const [neutral, rated] = [before[2]!.id, before[0]!.id]
      for (let k = 0; k < 5; k++) await rate(`angry-${k}`, rated, 1)
      const after = await answer()
      const at = (items: readonly { id: string }[], id: string) =>
        items.findIndex((i) => i.id === id)
      expect(at(after, rated)).toBeGreaterThan(at(before, rated))
      expect(at(after, neutral)).toBe(at(before, neutral))
      // The browser's model carries the factor (below 1) of that item only, and ranks alike.
      const later = await onDevice(now)
      const index = later.served.items.indexOf(rated)
      expect(Array.from(later.served.itemFactors.items)).toEqual([index])
      expect(later.served.itemFactors.factors[0]).toBeLessThan(1)
      expect(later.served.itemFactors.factors[0]).toBeGreaterThanOrEqual(0.25)
      expect(strip(later.ranked)).toEqual(strip(after))
      expect(at(later.ranked, rated)).toBeGreaterThan(at(device.ranked, rated))
    })

    it('four 1-star ratings change nothing (below MIN_RATINGS)', async () => {
      const before = await answer()
      const id = before[2]!.id
      for (let k = 0; k < 4; k++) await rate(`few-${k}`, id, 1)
      expect((await answer()).map((i) => i.id)).toEqual(before.map((i) => i.id))
    })
  })
}
