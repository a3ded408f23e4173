/**
 * The fairness audit's online rates per shopper group (issue 20): each logged answer keeps a coarse
 * segment (jurisdiction, tenure, history length; its level), never its shopper, and the audit counts
 * views, baskets and purchases citing the answers per group, merging or withholding small groups.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { renderChartSvg } from '../src/modules/reviews/reviews.charts.js'
import { auditFairness } from '../src/modules/reviews/reviews.fairness.data.js'
import type { GroupQuality } from '../src/modules/reviews/reviews.js'
import { DIALECTS, type TestContext, createTestContext, runSql } from './helpers/test-context.js'

const PERSONAL = 'personalize.recommendations'
const DAY = 86_400_000
const ITEMS = Array.from({ length: 12 }, (_, i) => ({
  id: `SEG${i}`,
  title: `Segment item ${i}`,
  category: [i < 6 ? 'Kitchen' : 'Garden'],
}))

type AnswerRecord = {
  recomm_id: string
  level: string
  jurisdiction: string | null
  tenure: string | null
  history: string | null
}

async function openShop(ctx: TestContext): Promise<string> {
  const put = await ctx.request({
    method: 'PUT',
    url: '/v1/items',
    as: 'storefront',
    payload: { items: ITEMS },
  })
  expect(put.statusCode, put.body).toBe(200)
  return ctx.services.consent.noticeVersion
}

async function grant(ctx: TestContext, ref: string, version: string, jurisdiction: string) {
  const r = await ctx.request({
    method: 'PUT',
    url: `/v1/subjects/${ref}/consents/${PERSONAL}`,
    as: 'storefront',
    payload: { decision: 'granted', noticeVersion: version, jurisdiction },
  })
  expect(r.statusCode, r.body).toBe(200)
}

async function send(ctx: TestContext, events: Record<string, unknown>[]) {
  const at = ctx.clock.now().toISOString()
  const r = await ctx.request({
    method: 'POST',
    url: '/v1/events',
    as: 'storefront',
    payload: { events: events.map((e) => ({ timestamp: at, ...e })) },
  })
  expect(r.statusCode, r.body).toBe(200)
  const results = r.json<{ results: { status: string }[] }>().results
  expect(results.every((x) => x.status === 'stored')).toBe(true)
}

async function answerRows(ctx: TestContext): Promise<AnswerRecord[]> {
  await ctx.services.recommend.flushAnswers()
  return ctx.storage.db
    .withTables<{ recommend_answers: AnswerRecord & { items: string; placement: string } }>()
    .selectFrom('recommend_answers')
    .selectAll()
    .orderBy('recomm_id')
    .execute()
}

for (const dialect of DIALECTS) {
  describe(`the answer log's segment on ${dialect}`, () => {
    let ctx: TestContext
    beforeAll(async () => {
      ctx = await createTestContext(dialect)
    })
    afterAll(async () => {
      await ctx?.close()
    })

    it('keeps jurisdiction, tenure and history bucket, and nothing that names the shopper', async () => {
      const version = await openShop(ctx)
      // A crowd for the model, and one returning UK shopper with 6 purchases from 31 days ago.
      for (let s = 0; s < 4; s++) {
        const ref = `seg-crowd-${s}`
        await grant(ctx, ref, version, 'UK')
        await send(
          ctx,
          [0, 1, 2].map((k) => ({
            id: `${ref}-${k}`,
            type: 'purchase',
            subject: ref,
            item: `SEG${(s + k) % 12}`,
            quantity: 1,
          })),
        )
      }
      await grant(ctx, 'seg-returning', version, 'UK')
      await send(
        ctx,
        [0, 1, 2, 3, 4, 5].map((k) => ({
          id: `seg-returning-${k}`,
          type: 'purchase',
          subject: 'seg-returning',
          item: `SEG${k}`,
          quantity: 1,
        })),
      )
      ctx.clock.advance(31 * DAY)
      await grant(ctx, 'seg-new', version, 'US-CA')
      await send(ctx, [{ id: 'seg-new-0', type: 'view', subject: 'seg-new', item: 'SEG7' }])
      await ctx.services.recommend.train()
      const ask = async (query: string) => {
        const r = await ctx.request({
          method: 'GET',
          url: `/v1/recommendations?placement=home&limit=3&${query}`,
          as: 'storefront',
        })
        expect(r.statusCode, r.body).toBe(200)
        return r.json<{ recommId: string; level: string }>()
      }
      const returning = await ask('subject=seg-returning')
      const fresh = await ask('subject=seg-new')
      const anonymous = await ask('jurisdiction=US-CA')
      const undeclared = await ask('jurisdiction=XX')
      // A shopper without consent: no personal answer, so no history is read for the log.
      const withoutConsent = await ask('subject=seg-stranger&jurisdiction=EU')
      expect(returning.level).toBe('personal')
      expect(withoutConsent.level).not.toBe('personal')

      const rows = await answerRows(ctx)
      const of = (recommId: string) => {
        const row = rows.find((r) => r.recomm_id === recommId)!
        return [row.level, row.jurisdiction, row.tenure, row.history]
      }
      expect(of(returning.recommId)).toEqual(['personal', 'UK', 'returning', '5-19'])
      expect(of(fresh.recommId)).toEqual(['personal', 'US-CA', 'new', '1-4'])
      expect(of(anonymous.recommId)).toEqual(['off', 'US-CA', null, null])
      // Free text from a request never lands in the log: an undeclared code is `default`.
      expect(of(undeclared.recommId)).toEqual(['off', 'default', null, null])
      expect(of(withoutConsent.recommId)).toEqual([withoutConsent.level, 'EU', null, null])
      // Nothing that names a shopper: no reference, no subject id, no session key.
      const text = JSON.stringify(rows)
      expect(text).not.toContain('seg-')
      expect(text).not.toMatch(/sub_|ses_/)
      expect(Object.keys(rows[0]!).sort()).toEqual([
        'created_at',
        'history',
        'items',
        'jurisdiction',
        'level',
        'placement',
        'recomm_id',
        'tenure',
      ])

      // Retention removes the answers after the log's 30 days, segment and all.
      ctx.clock.advance(31 * DAY)
      await ctx.services.retention.run()
      expect(await answerRows(ctx)).toEqual([])
    }, 60_000)
  })

  describe(`online rates per shopper group on ${dialect}`, () => {
    let ctx: TestContext
    const deps = () => ({
      db: ctx.storage.db,
      charter: ctx.services.charter,
      catalog: ctx.services.catalog,
      consent: ctx.services.consent,
      recommend: ctx.services.recommend,
    })
    /** Logs `n` personal answers of one segment, `bought` of them followed by a purchase. */
    async function plant(
      prefix: string,
      segment: { jurisdiction: string; tenure: string; history: string },
      n: number,
      bought: number,
    ) {
      const at = new Date(ctx.clock.now().getTime() - 3_600_000).toISOString()
      const values = Array.from(
        { length: n },
        (_, k) =>
          `('rec_${prefix}_${k}', 'personal', 'home', '["SEG1","SEG2","SEG3"]', '${at}', '${segment.jurisdiction}', '${segment.tenure}', '${segment.history}')`,
      )
      await runSql(
        ctx.database,
        dialect,
        `insert into recommend_answers (recomm_id, level, placement, items, created_at, jurisdiction, tenure, history)
         values ${values.join(', ')}`,
      )
      const events = Array.from({ length: n }, (_, k) => [
        // Every answer is looked at; a view of an item it did not show counts for nothing.
        { id: `${prefix}-v${k}`, type: 'view', item: 'SEG1', recommId: `rec_${prefix}_${k}` },
        { id: `${prefix}-x${k}`, type: 'view', item: 'SEG9', recommId: `rec_${prefix}_${k}` },
        ...(k < bought
          ? [
              {
                id: `${prefix}-p${k}`,
                type: 'purchase',
                item: 'SEG2',
                quantity: 1,
                recommId: `rec_${prefix}_${k}`,
              },
            ]
          : []),
      ]).flat()
      await send(
        ctx,
        events.map((e) => ({ ...e, subject: 'seg-buyer' })),
      )
    }
    const online = (groups: GroupQuality[], dimension: string, group: string) =>
      groups.find((g) => g.measured === 'online' && g.dimension === dimension && g.group === group)

    beforeAll(async () => {
      ctx = await createTestContext(dialect)
      const version = await openShop(ctx)
      await grant(ctx, 'seg-buyer', version, 'UK')
    }, 60_000)
    afterAll(async () => {
      await ctx?.close()
    })

    it('shows the gap between two segments and withholds a group under 10 from every dimension', async () => {
      await plant('uk', { jurisdiction: 'UK', tenure: 'new', history: '5-19' }, 20, 10)
      await plant('ca', { jurisdiction: 'US-CA', tenure: 'returning', history: '5-19' }, 20, 2)
      await plant('eu', { jurisdiction: 'EU', tenure: 'new', history: '5-19' }, 4, 2)
      const audit = await auditFairness(deps(), ctx.clock.now())
      const groups = audit.part.groups
      expect(online(groups, 'jurisdiction', 'UK')).toMatchObject({
        answers: 20,
        subjects: null,
        merged: false,
        viewRate: 1,
        purchaseRate: 0.5,
      })
      expect(online(groups, 'jurisdiction', 'US-CA')).toMatchObject({
        answers: 20,
        purchaseRate: 0.1,
      })
      // EU's 4 answers: alone in `other`, still under 10, so withheld...
      expect(online(groups, 'jurisdiction', 'EU')).toBeUndefined()
      expect(online(groups, 'jurisdiction', 'other')).toMatchObject({
        merged: true,
        answers: null,
        purchaseRate: null,
      })
      // ...and left out of every other dimension too, so no subtraction gives them back.
      expect(online(groups, 'level', 'personal')).toMatchObject({
        answers: 40,
        purchaseRate: 0.3,
      })
      expect(online(groups, 'tenure', 'new')).toMatchObject({ answers: 20, purchaseRate: 0.5 })
      expect(online(groups, 'history', '5-19')).toMatchObject({ answers: 40 })
      const gap = audit.findings.find((f) => f.check === 'fairness.online.jurisdiction')
      expect(gap?.severity).toBe('warning')
      expect(gap?.figures).toEqual({ min: 0.1, max: 0.5 })
      expect(audit.findings.find((f) => f.check === 'fairness.online.tenure')?.severity).toBe(
        'warning',
      )
      // The chart, drawn from its Vega-Lite spec as the HTML report and the console draw it.
      const chart = audit.charts.find((c) => c.name === 'fairness-online-groups')!
      const values = (chart.spec as { data: { values: { group: string; rate: number }[] } }).data
        .values
      expect(values).toContainEqual({
        dimension: 'jurisdiction',
        group: 'UK',
        action: 'purchase',
        rate: 0.5,
      })
      expect(values.some((v) => v.group === 'EU')).toBe(false)
      const svg = await renderChartSvg(chart)
      expect(svg).toContain('<svg')
      expect(svg).toContain('US-CA')

      // Six more answers of an undeclared jurisdiction: with EU's four they make an `other` of 10.
      await plant('xx', { jurisdiction: 'default', tenure: 'returning', history: '5-19' }, 6, 0)
      const merged = (await auditFairness(deps(), ctx.clock.now())).part.groups
      expect(online(merged, 'jurisdiction', 'other')).toMatchObject({
        merged: true,
        answers: 10,
        purchaseRate: 0.2,
      })
      expect(online(merged, 'level', 'personal')).toMatchObject({ answers: 50 })
    }, 60_000)
  })
}
