/**
 * Federated reports end to end (issue 22): browsers' count-mean-sketch reports posted through
 * `POST /v1/federated/contributions`, a training run through `POST /v1/admin/train`, and the estimated
 * pair in the trained model's co-occurrence and the served model's neighbours, where no shopper's
 * history put it.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ItemModel, decodeServingModel } from '../src/modules/recommend/engine/index.js'
import { DEFAULT_SKETCH, encodePair, seededWords, toWire } from '../src/modules/federated/sketch.js'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'

/** The example charter at epsilon 1 a report, 4 a day: batches of 4 reports. */
function charterWithFourReports(): string {
  const text = readFileSync('candor.charter.yaml', 'utf8').replace(
    'federated: { epsilonPerContribution: 4, epsilonPerDay: 4 }',
    'federated: { epsilonPerContribution: 1, epsilonPerDay: 4 }',
  )
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'candor-federated-')), 'charter.yaml')
  writeFileSync(file, text)
  return file
}

const ITEMS = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H'].map((id) => ({
  id,
  title: `Item ${id}`,
  category: ['Gifts'],
}))
// D and G are never bought together: only the federated reports can pair them.
const BASKETS = [
  ['A', 'B', 'C'],
  ['A', 'B', 'D'],
  ['B', 'C', 'E'],
  ['C', 'D', 'F'],
  ['E', 'F', 'G'],
  ['A', 'G', 'H'],
  ['B', 'D', 'H'],
  ['A', 'C', 'E', 'G'],
]

/** S_ab of the model (quantised), 0 when the pair has no entry. */
function cooccurrence(model: ItemModel, a: number, b: number): number {
  const { ptr, cols, values } = model.cooccurrence
  for (let p = ptr[a]!; p < ptr[a + 1]!; p++) if (cols[p] === b) return values[p]!
  return 0
}

for (const dialect of DIALECTS) {
  describe(`training with federated reports, on ${dialect}`, () => {
    let ctx: TestContext
    const words = seededWords(7)
    const served = async () => {
      const r = await ctx.request({ method: 'GET', url: '/v1/models/current', as: 'storefront' })
      expect(r.statusCode).toBe(200)
      return decodeServingModel(new Uint8Array(r.rawPayload))
    }
    const train = async () => {
      const r = await ctx.request({ method: 'POST', url: '/v1/admin/train', as: 'admin' })
      expect(r.statusCode, r.body).toBe(200)
    }

    beforeAll(async () => {
      ctx = await createTestContext(dialect, {
        env: { CANDOR_CHARTER_FILE: charterWithFourReports() },
      })
      const items = await ctx.request({
        method: 'PUT',
        url: '/v1/items',
        as: 'storefront',
        payload: { items: ITEMS },
      })
      expect(items.statusCode, items.body).toBeLessThan(300)
      const version = (await ctx.request({ method: 'GET', url: '/v1/notice' })).json().version
      for (const [s, basket] of BASKETS.entries()) {
        const ref = `buyer-${s}`
        await ctx.request({
          method: 'PUT',
          url: `/v1/subjects/${ref}/consents/personalize.recommendations`,
          as: 'storefront',
          payload: { decision: 'granted', noticeVersion: version },
        })
        const at = new Date(ctx.clock.now().getTime() - (s + 1) * 86_400_000).toISOString()
        const sent = await ctx.request({
          method: 'POST',
          url: '/v1/events',
          as: 'storefront',
          payload: {
            events: basket.map((item) => ({
              id: `${s}-${item}`,
              type: 'purchase',
              subject: ref,
              item,
              timestamp: at,
            })),
          },
        })
        expect(sent.statusCode, sent.body).toBe(200)
      }
    })
    afterAll(async () => {
      await ctx?.close()
    })

    it('adds the pairs estimated from posted reports to the co-occurrence training builds', async () => {
      await train()
      const before = await served()
      const d = before.items.indexOf('D')
      const g = before.items.indexOf('G')
      expect(d).toBeGreaterThanOrEqual(0)
      expect(cooccurrence(await ctx.services.recommend.model(), d, g)).toBe(0)

      // 200 browsers report D-G, 4 reports a batch (the charter's day at epsilon 1 each).
      for (let i = 0; i < 50; i++) {
        const response = await ctx.request({
          method: 'POST',
          url: '/v1/federated/contributions',
          payload: {
            epsilon: 1,
            sketch: { m: DEFAULT_SKETCH.m, k: DEFAULT_SKETCH.k },
            reports: Array.from({ length: 4 }, () =>
              toWire(encodePair('D', 'G', 1, DEFAULT_SKETCH, words)),
            ),
          },
        })
        expect(response.statusCode, response.body).toBe(202)
      }
      await train()
      const model = await ctx.services.recommend.model()
      const after = await served()
      expect(after.items).toEqual(before.items)
      // The estimate (about 200 reports, standard deviation about 31) in the model's units.
      const s = cooccurrence(model, d, g)
      expect(s).toBeGreaterThan(0)
      expect(cooccurrence(model, g, d)).toBe(s)
      // And G is now among D's neighbours in the model browsers fetch.
      const { ptr, cols } = after.model.neighbours
      expect(Array.from(cols.subarray(ptr[d], ptr[d + 1]))).toContain(g)
      const { ptr: p0, cols: c0 } = before.model.neighbours
      expect(Array.from(c0.subarray(p0[d], p0[d + 1]))).not.toContain(g)
    })
  })
}
