import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type TopLevelSpec, compile } from 'vega-lite'
import { runAudits } from '../src/modules/reviews/index.js'
import { DIALECTS, type TestContext, createTestContext, runSql } from './helpers/test-context.js'

const EMAIL = 'run.probe.person@leak-probe.example'

for (const dialect of DIALECTS) {
  describe(`all audits at once on ${dialect}`, () => {
    let ctx: TestContext
    beforeAll(async () => {
      ctx = await createTestContext(dialect)
      const version = ctx.services.consent.noticeVersion
      await ctx.request({
        method: 'PUT',
        url: '/v1/items',
        as: 'storefront',
        payload: {
          items: Array.from({ length: 30 }, (_, i) => ({
            id: `R${i}`,
            title: `Item ${i}`,
            category: [i % 3 === 0 ? 'Kitchen' : 'Home'],
          })),
        },
      })
      for (let s = 0; s < 12; s++) {
        const ref = `run-${s}`
        await ctx.request({
          method: 'PUT',
          url: `/v1/subjects/${ref}/consents/personalize.recommendations`,
          as: 'storefront',
          payload: { decision: 'granted', noticeVersion: version, jurisdiction: 'UK' },
        })
        const events = Array.from({ length: 6 }, (_, k) => ({
          id: `${ref}-${k}`,
          type: k % 2 === 0 ? 'view' : 'purchase',
          subject: ref,
          item: `R${(s + k * 5) % 30}`,
          timestamp: new Date(ctx.clock.now().getTime() - (10 - k) * 3_600_000).toISOString(),
        }))
        const r = await ctx.request({
          method: 'POST',
          url: '/v1/events',
          as: 'storefront',
          payload: { events },
        })
        expect(r.statusCode, r.body).toBe(200)
        // Served answers, for the answer log.
        const answer = await ctx.request({
          method: 'GET',
          url: `/v1/recommendations?subject=${ref}&limit=10`,
          as: 'storefront',
        })
        expect(answer.statusCode, answer.body).toBe(200)
      }
      await ctx.services.recommend.flushAnswers()
      const subjectId = await ctx.services.identity.ensureSubjectId('run-0')
      await ctx.services.identity.writeVault(ctx.storage.db, subjectId, { email: EMAIL })
    }, 120_000)
    afterAll(async () => {
      await ctx?.close()
    })

    it('gathers the three audits, problems first, with charts that compile and no personal data', async () => {
      await runSql(
        ctx.database,
        dialect,
        `insert into catalog_items (item_id, title, category_path, available, updated_at)
         values ('LEAK', 'note ${EMAIL}', '["Misc"]', 1, '${ctx.clock.now().toISOString()}')`,
      )
      const report = await runAudits(ctx.services, ctx.clock.now(), {
        authFailures: { failures: 2, blocked: 0 },
      })
      expect(report.id).toMatch(/^rpt_/)
      expect(report.noticeVersion).toBe(ctx.services.consent.noticeVersion)
      expect(report.fairness.served?.lists).toBe(12)
      expect(report.fairness.offline).not.toBeNull()
      expect(report.privacy.eventsChecked).toBeGreaterThanOrEqual(72)
      expect(report.security.auditLog.ok).toBe(true)
      expect(report.findings[0]).toMatchObject({
        area: 'privacy',
        check: 'privacy.plaintext',
        severity: 'problem',
      })
      const areas = new Set(report.findings.map((f) => f.area))
      expect([...areas].sort()).toEqual(['fairness', 'privacy', 'security'])
      const order = { problem: 0, warning: 1, info: 2, ok: 3 }
      const ranks = report.findings.map((f) => order[f.severity])
      expect(ranks).toEqual([...ranks].sort((a, b) => a - b))
      expect(report.charts.length).toBeGreaterThanOrEqual(3)
      for (const chart of report.charts)
        expect(compile(chart.spec as unknown as TopLevelSpec).spec.marks?.length).toBeGreaterThan(0)
      const text = JSON.stringify(report)
      expect(text).not.toContain(EMAIL)
      expect(text).not.toContain('run-')
      expect(text).not.toContain(await ctx.services.identity.ensureSubjectId('run-1'))
    }, 60_000)

    it('counts the failed authentications the server saw when it runs the audits itself', async () => {
      const bad = await ctx.app.inject({
        method: 'GET',
        url: '/v1/admin/keys',
        headers: { authorization: 'Bearer ck_nothere.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
      })
      expect(bad.statusCode).toBe(401)
      const run = await ctx.request({
        method: 'POST',
        url: '/v1/audits/reports',
        as: 'privacy_officer',
      })
      expect(run.statusCode, run.body).toBe(201)
      const report = run.json<{ security: { failedAuthentications: { count: number } | null } }>()
      expect(report.security.failedAuthentications?.count).toBeGreaterThanOrEqual(1)
    }, 60_000)
  })
}
