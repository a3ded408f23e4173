import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type TopLevelSpec, compile } from 'vega-lite'
import { auditFairness } from '../src/modules/reviews/reviews.fairness.data.js'
import { mergeSmallGroups } from '../src/modules/reviews/reviews.fairness.offline.js'
import {
  type CatalogView,
  calibrationKl,
  exposureMetrics,
  gini,
  recallAt,
} from '../src/modules/reviews/reviews.metrics.js'
import { DIALECTS, type TestContext, createTestContext, runSql } from './helpers/test-context.js'

describe('fairness measures', () => {
  it('Gini is 0 for equal exposure and (n-1)/n when one item takes all', () => {
    expect(gini([3, 3, 3, 3])).toBe(0)
    expect(gini([0, 0, 0, 8])).toBeCloseTo(0.75, 10)
    expect(gini([])).toBe(0)
  })
  it("calibration KL is 0 when a list has the history's category mix and grows as it drifts", () => {
    const p = new Map([
      ['a', 0.5],
      ['b', 0.5],
    ])
    expect(
      calibrationKl(
        p,
        new Map([
          ['a', 0.5],
          ['b', 0.5],
        ]),
      ),
    ).toBeCloseTo(0, 10)
    const drifted = calibrationKl(p, new Map([['a', 1]]))
    expect(drifted).toBeGreaterThan(1)
    expect(drifted).toBeLessThan(Infinity)
  })
  it('Gini lies in [0, 1), ignores order and scale (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 1000 }), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 50 }),
        (xs, scale) => {
          const g = gini(xs)
          expect(g).toBeGreaterThanOrEqual(0)
          expect(g).toBeLessThan(1)
          expect(gini([...xs].reverse())).toBeCloseTo(g, 10)
          expect(gini(xs.map((x) => x * scale))).toBeCloseTo(g, 10)
        },
      ),
    )
  })
  it('calibration KL is never negative, and 0 for a list with the history mix (property)', () => {
    const mix = fc
      .array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 6 })
      .map((ws) => {
        const total = ws.reduce((a, b) => a + b, 0)
        return new Map(ws.map((w, k) => [`c${k}`, w / total]))
      })
    fc.assert(
      fc.property(mix, mix, (p, q) => {
        expect(calibrationKl(p, q)).toBeGreaterThanOrEqual(-1e-12)
        expect(calibrationKl(p, p)).toBeCloseTo(0, 10)
      }),
    )
  })
  it('recall counts held-out items in the top k only', () => {
    expect(recallAt(['x', 'y', 'z'], new Set(['z', 'w']), 2)).toBe(0)
    expect(recallAt(['x', 'y', 'z'], new Set(['z', 'w']), 3)).toBe(0.5)
  })
  it('exposure shares and popularity percentiles of a small catalog', () => {
    const catalog: CatalogView = {
      categoryOf: new Map([
        ['A', 'c1'],
        ['B', 'c1'],
        ['C', 'c2'],
        ['D', 'c3'],
      ]),
      newItems: new Set(['D']),
      smallCategoryItems: new Set(['C', 'D']),
      purchases: new Map([
        ['A', 10],
        ['B', 1],
      ]),
    }
    const m = exposureMetrics([{ items: ['A', 'A', 'C'] }, { items: ['A', 'unknown'] }], catalog)
    expect(m.impressions).toBe(4)
    expect(m.coverage).toBe(0.5)
    expect(m.smallCategoryShare).toBe(0.25)
    expect(m.newItemShare).toBe(0)
    expect(m.popularityRecommended).toBeGreaterThan(m.popularityBought - 0.2)
  })
  it('merges groups under 10 into other and withholds other when still under 10', () => {
    const groups = mergeSmallGroups(
      'jurisdiction',
      new Map([
        ['UK', Array(12).fill(0.5)],
        ['FR', Array(4).fill(1)],
        ['DE', Array(3).fill(1)],
      ]),
    )
    expect(groups.find((g) => g.group === 'UK')?.recallAt20).toBe(0.5)
    expect(groups.find((g) => g.group === 'FR')).toBeUndefined()
    const other = groups.find((g) => g.group === 'other')!
    expect(other.subjects).toBeNull()
    expect(other.recallAt20).toBeNull()
  })
})

const CATEGORIES = ['Kitchen', 'Home', 'Garden', 'Cards', 'Toys', 'Bath']
const ITEMS = [
  ...CATEGORIES.flatMap((category, c) =>
    Array.from({ length: 20 }, (_, i) => ({
      id: `I${c}-${i}`,
      title: `Item ${c}-${i}`,
      category: [category],
    })),
  ),
  { id: 'RARE1', title: 'Rare one', category: ['Rare'] },
  { id: 'RARE2', title: 'Rare two', category: ['Rare'] },
  { id: 'HEALTH', title: 'Prenatal vitamins', category: ['Health'], specialCategory: 'health' },
]

for (const dialect of DIALECTS) {
  describe(`fairness audit on ${dialect}`, () => {
    let ctx: TestContext
    const deps = () => ({
      db: ctx.storage.db,
      charter: ctx.services.charter,
      catalog: ctx.services.catalog,
      consent: ctx.services.consent,
      recommend: ctx.services.recommend,
    })
    beforeAll(async () => {
      ctx = await createTestContext(dialect)
      const put = await ctx.request({
        method: 'PUT',
        url: '/v1/items',
        as: 'storefront',
        payload: { items: ITEMS },
      })
      expect(put.statusCode, put.body).toBe(200)
      const version = ctx.services.consent.noticeVersion
      const base = ctx.clock.now().getTime()
      // 48 shoppers, each shopping mostly in one category (the one their number picks) with a
      // little of the next: a recommender that follows their history can find what they buy next.
      for (let s = 0; s < 48; s++) {
        const ref = `fair-${s}`
        const consent = await ctx.request({
          method: 'PUT',
          url: `/v1/subjects/${ref}/consents/personalize.recommendations`,
          as: 'storefront',
          payload: {
            decision: 'granted',
            noticeVersion: version,
            jurisdiction: s % 2 === 0 ? 'UK' : 'US-CA',
          },
        })
        expect(consent.statusCode, consent.body).toBe(200)
        const c = s % CATEGORIES.length
        const events = Array.from({ length: 10 }, (_, k) => ({
          id: `${ref}-${k}`,
          type: k % 2 === 0 ? 'purchase' : 'view',
          subject: ref,
          item:
            k === 9
              ? `I${(c + 1) % CATEGORIES.length}-${(s + k) % 20}`
              : `I${c}-${(s * 3 + k * 7) % 20}`,
          timestamp: new Date(base - (20 - k) * 3_600_000 - s * 60_000).toISOString(),
        }))
        const r = await ctx.request({
          method: 'POST',
          url: '/v1/events',
          as: 'storefront',
          payload: { events },
        })
        expect(r.statusCode, r.body).toBe(200)
        expect(
          r.json<{ results: { status: string }[] }>().results.every((x) => x.status === 'stored'),
        ).toBe(true)
      }
    }, 120_000)
    afterAll(async () => {
      await ctx?.close()
    })

    it('a recommender that always shows the same 20 items scores visibly worse on coverage and Gini', async () => {
      const real = await auditFairness(deps(), ctx.clock.now())
      const same20 = ITEMS.slice(0, 20).map((i) => i.id)
      const biased = await auditFairness(deps(), ctx.clock.now(), { recommender: () => same20 })
      const r = real.part.offline!
      const b = biased.part.offline!
      expect(b.coverage).toBeLessThanOrEqual(20 / 122)
      expect(r.coverage).toBeGreaterThan(b.coverage * 2)
      expect(b.gini).toBeGreaterThan(r.gini + 0.2)
      expect(b.calibrationKl!).toBeGreaterThan(r.calibrationKl!)
      expect(real.part.offlineRecallAt20!).toBeGreaterThan(biased.part.offlineRecallAt20!)
      expect(biased.findings.find((f) => f.check === 'fairness.gini')?.severity).toBe('warning')
      expect(real.findings.find((f) => f.check === 'fairness.gini')?.severity).toBe('ok')
      // Per group: jurisdictions of 24 shoppers each are shown, history length is one group of 48.
      const uk = real.part.groups.find((g) => g.dimension === 'jurisdiction' && g.group === 'UK')
      expect(uk?.subjects).toBe(24)
      expect(real.charts.map((c) => c.name)).toContain('fairness-exposure')
      const spec = real.charts[0]!.spec as { data: { values: unknown[] } }
      expect(spec.data.values.length).toBeGreaterThan(0)
      // Every spec is valid Vega-Lite: it compiles to a Vega spec.
      for (const chart of [...real.charts, ...biased.charts])
        expect(compile(chart.spec as unknown as TopLevelSpec).spec.marks?.length).toBeGreaterThan(0)
      expect(JSON.stringify(real)).not.toContain('fair-')
    }, 60_000)

    it('flags a personal answer holding a special-category item for a shopper without the grant', async () => {
      const before = await auditFairness(deps(), ctx.clock.now())
      expect(before.part.specialCategoryViolations).toBe(0)
      const at = new Date(ctx.clock.now().getTime() - 60_000).toISOString()
      await runSql(
        ctx.database,
        dialect,
        `insert into recommend_answers (recomm_id, level, placement, items, created_at)
         values ('rec_planted', 'personal', 'home', '["HEALTH","I0-1"]', '${at}')`,
      )
      const cite = await ctx.request({
        method: 'POST',
        url: '/v1/events',
        as: 'storefront',
        payload: {
          events: [
            {
              id: 'cite-1',
              type: 'view',
              subject: 'fair-0',
              item: 'I0-1',
              recommId: 'rec_planted',
              timestamp: ctx.clock.now().toISOString(),
            },
          ],
        },
      })
      expect(cite.statusCode, cite.body).toBe(200)
      const after = await auditFairness(deps(), ctx.clock.now())
      expect(after.part.specialCategoryViolations).toBe(1)
      expect(after.findings.find((f) => f.check === 'fairness.special_categories')?.severity).toBe(
        'problem',
      )
    }, 60_000)
  })
}
