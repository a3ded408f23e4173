import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DAY_MS } from '../src/lib/clock.js'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'

interface Decision {
  purpose: string
  allowed: boolean
  reason: string
}

const PERSONAL = 'personalize.recommendations'
const ADS = 'marketing.advertising.third_party'
const ANALYTICS = 'analytics.reporting'

for (const dialect of DIALECTS) {
  describe(`consent over HTTP on ${dialect}`, () => {
    let ctx: TestContext
    let version: string
    beforeAll(async () => {
      ctx = await createTestContext(dialect)
      version = (await ctx.request({ method: 'GET', url: '/v1/notice' })).json().version
    })
    afterAll(async () => {
      await ctx?.close()
    })

    const consents = async (ref: string, headers: Record<string, string> = {}, query = '') => {
      const response = await ctx.request({
        method: 'GET',
        url: `/v1/subjects/${ref}/consents${query}`,
        as: 'storefront',
        headers,
      })
      expect(response.statusCode).toBe(200)
      return response.json<{
        decisions: Decision[]
        history: Array<Record<string, string>>
        jurisdiction: string
      }>()
    }
    const decisionOf = (state: { decisions: Decision[] }, purpose: string) =>
      state.decisions.find((d) => d.purpose === purpose)!
    const put = (ref: string, purpose: string, body: Record<string, unknown>, headers = {}) =>
      ctx.request({
        method: 'PUT',
        url: `/v1/subjects/${ref}/consents/${purpose}`,
        as: 'storefront',
        headers,
        payload: body,
      })

    it('serves the notice as JSON and HTML, with a content-hash version and ETag', async () => {
      const json = await ctx.request({ method: 'GET', url: '/v1/notice' })
      expect(json.statusCode).toBe(200)
      expect(version).toMatch(/^[0-9a-f]{64}$/)
      expect(json.headers.etag).toBe(`"${version}"`)
      const html = await ctx.request({
        method: 'GET',
        url: '/v1/notice',
        headers: { accept: 'text/html' },
      })
      expect(html.headers['content-type']).toContain('text/html')
      expect(html.body).toContain('<html')
      expect(html.body).toContain('Demo Giftware Ltd')
      const cached = await ctx.request({
        method: 'GET',
        url: '/v1/notice',
        headers: { 'if-none-match': `"${version}"` },
      })
      expect(cached.statusCode).toBe(304)
    })

    it('gives a changed charter a new notice version', async () => {
      const text = fs.readFileSync('candor.charter.yaml', 'utf8')
      const changed = text.replace('title: Counting what sells', 'title: Counting what sells best')
      expect(changed).not.toBe(text)
      const file = path.join(ctx.database.dir, 'changed.charter.yaml')
      fs.writeFileSync(file, changed)
      const other = await createTestContext(dialect, { env: { CANDOR_CHARTER_FILE: file } })
      try {
        const otherVersion = (await other.request({ method: 'GET', url: '/v1/notice' })).json()
          .version
        expect(otherVersion).toMatch(/^[0-9a-f]{64}$/)
        expect(otherVersion).not.toBe(version)
      } finally {
        await other.close()
      }
    })

    it('denies every consent-based purpose with no record, and applies jurisdiction defaults', async () => {
      const uk = await consents('new-shopper', {}, '?jurisdiction=UK')
      expect(decisionOf(uk, PERSONAL)).toMatchObject({ allowed: false, reason: 'no_record' })
      expect(decisionOf(uk, ADS)).toMatchObject({ allowed: false, reason: 'no_record' })
      expect(decisionOf(uk, ANALYTICS)).toMatchObject({
        allowed: false,
        reason: 'jurisdiction_default',
      })
      expect(decisionOf(uk, 'essential.service')).toMatchObject({
        allowed: true,
        reason: 'not_consent_based',
      })
      const ca = await consents('new-shopper', {}, '?jurisdiction=US-CA')
      expect(decisionOf(ca, ANALYTICS)).toMatchObject({
        allowed: true,
        reason: 'jurisdiction_default',
      })
      expect(decisionOf(ca, PERSONAL)).toMatchObject({ allowed: false, reason: 'no_record' })
    })

    it('records grants and withdrawals append-only; a withdrawal decides the next request', async () => {
      const granted = await put('shopper-a', PERSONAL, {
        decision: 'granted',
        method: 'banner',
        noticeVersion: version,
        jurisdiction: 'UK',
      })
      expect(granted.statusCode).toBe(200)
      expect(granted.json().decision).toMatchObject({ allowed: true, reason: 'explicit_grant' })
      const subjectId = (await ctx.services.identity.findSubjectId('shopper-a'))!
      expect((await ctx.services.consent.decide(subjectId, PERSONAL)).allowed).toBe(true)
      ctx.clock.advance(1000)
      const withdrawn = await put('shopper-a', PERSONAL, {
        decision: 'denied',
        method: 'privacy_center',
        noticeVersion: version,
      })
      expect(withdrawn.json().decision).toMatchObject({ allowed: false, reason: 'explicit_denial' })
      expect((await ctx.services.consent.decide(subjectId, PERSONAL)).allowed).toBe(false)
      const state = await consents('shopper-a')
      expect(state.jurisdiction).toBe('UK')
      expect(state.history.map((r) => [r.purpose, r.decision, r.method])).toEqual([
        [PERSONAL, 'granted', 'banner'],
        [PERSONAL, 'denied', 'privacy_center'],
      ])
      expect(state.history[0]!.noticeVersion).toBe(version)
      const audit = await ctx.services.audit.listForSubject(subjectId)
      expect(audit.filter((e) => e.action === 'consent.recorded')).toHaveLength(2)
      expect(JSON.stringify(audit)).not.toContain('shopper-a')
    })

    it('refuses outdated notices, unknown purposes, contract purposes and bad bodies by name', async () => {
      const outdated = await put('shopper-b', PERSONAL, {
        decision: 'granted',
        noticeVersion: 'a'.repeat(64),
      })
      expect(outdated.statusCode).toBe(409)
      expect(outdated.json().code).toBe('notice_outdated')
      const unknown = await put('shopper-b', 'personalize.mind_reading', {
        decision: 'granted',
        noticeVersion: version,
      })
      expect(unknown.statusCode).toBe(404)
      expect(unknown.json().code).toBe('purpose_not_found')
      const contract = await put('shopper-b', 'essential.service', {
        decision: 'denied',
        noticeVersion: version,
      })
      expect(contract.statusCode).toBe(400)
      expect(contract.json().errors[0].field).toBe('purpose')
      const bad = await put('shopper-b', PERSONAL, { decision: 'maybe', noticeVersion: version })
      expect(bad.statusCode).toBe(400)
      expect(bad.json().errors[0].field).toBe('body.decision')
      const gpcMethod = await put('shopper-b', PERSONAL, {
        decision: 'denied',
        method: 'gpc',
        noticeVersion: version,
      })
      expect(gpcMethod.statusCode).toBe(400)
      expect(gpcMethod.json().errors[0].field).toBe('body.method')
      expect((await consents('shopper-b')).history).toEqual([])
    })

    it('records a GPC opt-out from Sec-GPC: 1, unless the shopper grants after it', async () => {
      await put('shopper-gpc', ADS, { decision: 'granted', noticeVersion: version })
      ctx.clock.advance(1000)
      const withGpc = await consents('shopper-gpc', { 'sec-gpc': '1' })
      expect(decisionOf(withGpc, ADS)).toMatchObject({ allowed: false, reason: 'gpc' })
      expect(withGpc.history.at(-1)).toMatchObject({
        purpose: ADS,
        decision: 'denied',
        method: 'gpc',
      })
      expect(decisionOf(withGpc, PERSONAL).reason).toBe('no_record')
      // The signal is recorded once, not on every request.
      const again = await consents('shopper-gpc', { 'sec-gpc': '1' })
      expect(again.history.filter((r) => r.method === 'gpc')).toHaveLength(1)
      ctx.clock.advance(1000)
      await put(
        'shopper-gpc',
        ADS,
        { decision: 'granted', method: 'privacy_center', noticeVersion: version },
        { 'sec-gpc': '1' },
      )
      const after = await consents('shopper-gpc', { 'sec-gpc': '1' })
      expect(decisionOf(after, ADS)).toMatchObject({ allowed: true, reason: 'explicit_grant' })
    })

    it('answers personal without consent with a prompt, not an error; personal with consent', async () => {
      const chosen = await ctx.request({
        method: 'PUT',
        url: '/v1/subjects/shopper-level/settings',
        as: 'storefront',
        payload: { level: 'personal', jurisdiction: 'EU' },
      })
      expect(chosen.statusCode).toBe(200)
      expect(chosen.json()).toMatchObject({
        level: 'personal',
        effectiveLevel: 'off',
        reason: 'consent_required',
        prompt: { purpose: PERSONAL, noticeVersion: version },
      })
      expect(chosen.json().prompt.benefit.length).toBeGreaterThan(20)
      await put('shopper-level', PERSONAL, { decision: 'granted', noticeVersion: version })
      const now = await ctx.request({
        method: 'GET',
        url: '/v1/subjects/shopper-level/settings',
        as: 'storefront',
      })
      expect(now.json()).toMatchObject({
        level: 'personal',
        effectiveLevel: 'personal',
        reason: 'as_requested',
      })
      expect(now.json().prompt).toBeUndefined()
      const badLevel = await ctx.request({
        method: 'PUT',
        url: '/v1/subjects/shopper-level/settings',
        as: 'storefront',
        payload: { level: 'everything' },
      })
      expect(badLevel.statusCode).toBe(400)
      expect(badLevel.json().errors[0].field).toBe('body.level')
      const badPlace = await ctx.request({
        method: 'PUT',
        url: '/v1/subjects/shopper-level/settings',
        as: 'storefront',
        payload: { level: 'off', jurisdiction: 'Atlantis' },
      })
      expect(badPlace.statusCode).toBe(400)
      expect(badPlace.json().errors[0].field).toBe('body.jurisdiction')
    })

    it('decides the level again when the clock passes a record, and for each jurisdiction asked', async () => {
      const settings = (headers: Record<string, string> = {}, query = '') =>
        ctx
          .request({
            method: 'GET',
            url: `/v1/subjects/shopper-clock/settings${query}`,
            as: 'storefront',
            headers,
          })
          .then((r) => r.json<{ effectiveLevel: string; reason: string; jurisdiction: string }>())
      await put('shopper-clock', PERSONAL, { decision: 'granted', noticeVersion: version })
      const granted = ctx.clock.now()
      expect((await settings()).effectiveLevel).toBe('personal')
      // Before the grant, it did not count yet; after it, it does again (asked in that order, each time).
      ctx.clock.set(new Date(granted.getTime() - 60_000))
      expect(await settings()).toMatchObject({ effectiveLevel: 'off', reason: 'consent_required' })
      ctx.clock.set(granted)
      expect((await settings()).effectiveLevel).toBe('personal')
      // The same ledger, other signals: each decided for itself.
      expect((await settings({}, '?jurisdiction=EU')).jurisdiction).toBe('EU')
      expect((await settings({}, '?jurisdiction=UK')).jurisdiction).toBe('UK')
      await put('shopper-clock', PERSONAL, { decision: 'denied', noticeVersion: version })
      expect((await settings()).effectiveLevel).not.toBe('personal')
    })

    it('prompts progressively: once per period, never after a denial until the shopper asks', async () => {
      const subjectId = await ctx.services.identity.ensureSubjectId('shopper-prompt')
      const first = await ctx.services.consent.promptFor(subjectId, PERSONAL)
      expect(first).toMatchObject({ purpose: PERSONAL, noticeVersion: version })
      expect(await ctx.services.consent.promptFor(subjectId, PERSONAL)).toBeUndefined()
      ctx.clock.advance(ctx.services.charter.prompts.repeatAfterDays * DAY_MS + 1000)
      expect(await ctx.services.consent.promptFor(subjectId, PERSONAL)).toBeDefined()
      ctx.clock.advance(ctx.services.charter.prompts.repeatAfterDays * DAY_MS + 1000)
      await put('shopper-prompt', PERSONAL, { decision: 'denied', noticeVersion: version })
      expect(await ctx.services.consent.promptFor(subjectId, PERSONAL)).toBeUndefined()
      expect(
        await ctx.services.consent.promptFor(subjectId, PERSONAL, {}, { shopperAsked: true }),
      ).toBeDefined()
    })

    it('produces and accepts IAB TCF consent strings for the mapped purposes', async () => {
      await put('shopper-tcf', PERSONAL, { decision: 'granted', noticeVersion: version })
      const produced = await ctx.request({
        method: 'GET',
        url: '/v1/subjects/shopper-tcf/consents/tcf',
        as: 'storefront',
      })
      expect(produced.statusCode).toBe(200)
      const { tcString } = produced.json<{ tcString: string }>()
      expect(tcString).toMatch(/^C[A-Za-z0-9_.-]+$/)
      const imported = await ctx.request({
        method: 'PUT',
        url: '/v1/subjects/shopper-tcf-copy/consents/tcf',
        as: 'storefront',
        payload: { tcString },
      })
      expect(imported.statusCode).toBe(200)
      const records = imported.json().records as Array<{
        purpose: string
        decision: string
        method: string
      }>
      expect(records.every((r) => r.method === 'import')).toBe(true)
      expect(records.find((r) => r.purpose === PERSONAL)?.decision).toBe('granted')
      expect(records.find((r) => r.purpose === ADS)?.decision).toBe('denied')
      const garbage = await ctx.request({
        method: 'PUT',
        url: '/v1/subjects/shopper-tcf-copy/consents/tcf',
        as: 'storefront',
        payload: { tcString: 'definitely-not-a-tc-string' },
      })
      expect(garbage.statusCode).toBe(422)
      expect(garbage.json().code).toBe('tcf_string_invalid')
    })

    it('lets a shopper token read and change only its own consents', async () => {
      const subjectId = await ctx.services.identity.ensureSubjectId('token-holder')
      const { token } = ctx.services.auth.issueShopperToken(subjectId)
      const own = await ctx.request({
        method: 'GET',
        url: '/v1/subjects/token-holder/consents',
        as: { token },
      })
      expect(own.statusCode).toBe(200)
      const change = await ctx.request({
        method: 'PUT',
        url: `/v1/subjects/token-holder/consents/${PERSONAL}`,
        as: { token },
        payload: { decision: 'granted', method: 'privacy_center', noticeVersion: version },
      })
      expect(change.statusCode).toBe(200)
      const audit = await ctx.services.audit.listForSubject(subjectId)
      expect(audit.at(-1)?.actor).toBe(`shopper:${subjectId}`)
      const other = await ctx.request({
        method: 'GET',
        url: '/v1/subjects/shopper-a/consents',
        as: { token },
      })
      expect(other.statusCode).toBe(403)
    })
  })
}
