import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseCharter } from '../src/modules/charter/index.js'
import { createReviewsService, renderReportHtml } from '../src/modules/reviews/index.js'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'

/**
 * Issue 20, points 4 to 6, over HTTP on every database: the impact assessment and its sign-off (a
 * privacy officer only, an audit-log entry, stale under a new notice version), the public model card,
 * stored reports with the change since the previous one, and the HTML report that opens offline.
 */
for (const dialect of DIALECTS) {
  describe(`reviews routes (${dialect})`, () => {
    let ctx: TestContext
    beforeAll(async () => {
      ctx = await createTestContext(dialect)
    })
    afterAll(async () => ctx?.close())

    it('generates the impact assessment for staff only', async () => {
      const answer = await ctx.request({ method: 'GET', url: '/v1/audits/dpia', as: 'admin' })
      expect(answer.statusCode).toBe(200)
      const dpia = answer.json()
      expect(dpia.purposes.map((p: { key: string }) => p.key)).toContain(
        'personalize.recommendations',
      )
      expect(dpia.signOff).toBeNull()
      expect(dpia.hash).toMatch(/^[0-9a-f]{64}$/)
      for (const as of ['analyst', 'storefront'] as const) {
        const refused = await ctx.request({ method: 'GET', url: '/v1/audits/dpia', as })
        expect(refused.statusCode).toBe(403)
      }
      expect((await ctx.request({ method: 'GET', url: '/v1/audits/dpia' })).statusCode).toBe(401)
    })

    it('is signed off by a privacy officer, with an audit entry; stale under a new notice version', async () => {
      const dpia = (
        await ctx.request({ method: 'GET', url: '/v1/audits/dpia', as: 'admin' })
      ).json()
      const body = { noticeVersion: dpia.noticeVersion, note: 'Reviewed' }
      const byAdmin = await ctx.request({
        method: 'POST',
        url: '/v1/audits/dpia/sign-off',
        as: 'admin',
        payload: body,
      })
      expect(byAdmin.statusCode).toBe(403)

      const wrong = await ctx.request({
        method: 'POST',
        url: '/v1/audits/dpia/sign-off',
        as: 'privacy_officer',
        payload: { noticeVersion: 'abc' },
      })
      expect(wrong.statusCode).toBe(409)
      expect(wrong.json().errors).toEqual([
        { field: 'body.noticeVersion', reason: 'is not the notice version in force' },
      ])
      const missing = await ctx.request({
        method: 'POST',
        url: '/v1/audits/dpia/sign-off',
        as: 'privacy_officer',
        payload: {},
      })
      expect(missing.statusCode).toBe(400)
      expect(JSON.stringify(missing.json())).toContain('noticeVersion')

      const signed = await ctx.request({
        method: 'POST',
        url: '/v1/audits/dpia/sign-off',
        as: 'privacy_officer',
        payload: body,
      })
      expect(signed.statusCode).toBe(201)
      expect(signed.json()).toMatchObject({ dpiaHash: dpia.hash, stale: false, note: 'Reviewed' })

      const after = (
        await ctx.request({ method: 'GET', url: '/v1/audits/dpia', as: 'admin' })
      ).json()
      expect(after.signOff).toMatchObject({ id: signed.json().id, stale: false })

      const log = await ctx.request({
        method: 'GET',
        url: '/v1/audit?action=reviews.dpia.signed_off',
        as: 'privacy_officer',
      })
      const entries = log.json().entries as { details: Record<string, unknown>; actor: string }[]
      expect(entries).toHaveLength(1)
      expect(entries[0]!.details).toEqual({
        signOffId: signed.json().id,
        noticeVersion: dpia.noticeVersion,
        dpiaHash: dpia.hash,
      })

      // The same database read under a changed charter (a new notice version): the sign-off is stale.
      const text = fs.readFileSync(path.resolve('candor.charter.yaml'), 'utf8')
      const changed = parseCharter(text.replace('retentionDays: 365', 'retentionDays: 400'))
      const reviews = createReviewsService({
        db: ctx.storage.db,
        clock: ctx.clock,
        charter: changed,
        audit: ctx.services.audit,
        runAudits: () => Promise.reject(new Error('not used')),
        lastTrainingRun: async () => undefined,
      })
      const stale = await reviews.dpia()
      expect(stale.signOff?.stale).toBe(true)
      expect(stale.signOff?.staleReason).toMatch(/notice version/)
    })

    it('serves the model card to anyone, without a key', async () => {
      const answer = await ctx.request({ method: 'GET', url: '/v1/model-card' })
      expect(answer.statusCode).toBe(200)
      const card = answer.json()
      expect(card.title).toBe('How suggestions work')
      expect(card.levels.map((l: { level: string }) => l.level)).toEqual([
        'off',
        'session',
        'personal',
      ])
      expect(card.turnOff.length).toBeGreaterThan(0)
    })

    it('keeps each report and says what changed since the previous one', async () => {
      const none = await ctx.request({
        method: 'GET',
        url: '/v1/audits/reports/latest',
        as: 'privacy_officer',
      })
      expect(none.json()).toEqual({ latest: null, changes: null })
      const noHtml = await ctx.request({
        method: 'GET',
        url: '/v1/audits/reports/latest/html',
        as: 'admin',
      })
      expect(noHtml.statusCode).toBe(404)

      const first = await ctx.request({ method: 'POST', url: '/v1/audits/reports', as: 'admin' })
      expect(first.statusCode).toBe(201)
      ctx.clock.advance(60_000)
      const second = await ctx.request({
        method: 'POST',
        url: '/v1/audits/reports',
        as: 'privacy_officer',
      })
      expect(second.statusCode).toBe(201)
      const latest = (
        await ctx.request({ method: 'GET', url: '/v1/audits/reports/latest', as: 'admin' })
      ).json()
      expect(latest.latest.id).toBe(second.json().id)
      expect(latest.changes.previousId).toBe(first.json().id)
      expect(latest.latest.findings.length).toBeGreaterThan(0)
      expect(latest.latest.charts.length).toBeGreaterThan(0)
      const refused = await ctx.request({
        method: 'GET',
        url: '/v1/audits/reports/latest',
        as: 'analyst',
      })
      expect(refused.statusCode).toBe(403)

      const html = await ctx.request({
        method: 'GET',
        url: '/v1/audits/reports/latest/html',
        as: 'privacy_officer',
      })
      expect(html.statusCode).toBe(200)
      expect(html.headers['content-type']).toBe('text/html; charset=utf-8')
      expect(html.headers['content-disposition']).toMatch(
        /^attachment; filename="candor-audit-\d{4}-\d{2}-\d{2}\.html"$/,
      )
      expect(html.body).toContain(second.json().id)
      expect(html.body).toContain('Since the report of')

      // The model card now carries the latest fairness findings.
      const card = (await ctx.request({ method: 'GET', url: '/v1/model-card' })).json()
      expect(card.fairness.reportId).toBe(second.json().id)
    })

    it('writes the report as one HTML file with inline SVG charts and nothing fetched', async () => {
      const { latest, changes } = await ctx.services.reviews.latestReports()
      const html = await renderReportHtml({
        report: latest!,
        changes,
        dpia: await ctx.services.reviews.dpia(),
        controller: ctx.services.charter.controller.name,
      })
      expect(html).toMatch(/^<!doctype html>/)
      expect(html).toContain('<svg')
      expect((html.match(/<figure data-chart=/g) ?? []).length).toBe(latest!.charts.length)
      // Self-contained: no script, no external reference of any kind.
      expect(html).not.toMatch(/<script|<link|src=|@import|url\(/i)
      expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org)/)
      expect(html).toContain('Data protection impact assessment')
    })
  })
}
