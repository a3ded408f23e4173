import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DAY_MS } from '../src/lib/clock.js'
import type { Role } from '../src/modules/auth/index.js'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'
import { PERSONAL, seedShopper } from './helpers/shoppers.js'

/** The routes the staff console calls: who am I, staff decisions on requests, audit pages, consent rates. */

const ANALYTICS = 'analytics.reporting'

function expectProblem(
  response: { statusCode: number; headers: Record<string, unknown>; json(): unknown },
  status: number,
  field?: string,
) {
  expect(response.statusCode).toBe(status)
  expect(String(response.headers['content-type'])).toMatch(/^application\/problem\+json/)
  const problem = response.json() as { code: string; errors?: { field: string; reason: string }[] }
  if (field !== undefined) expect(problem.errors?.map((e) => e.field)).toContain(field)
  return problem
}

for (const dialect of DIALECTS) {
  describe(`console routes on ${dialect}`, () => {
    let ctx: TestContext
    let version: string
    beforeAll(async () => {
      ctx = await createTestContext(dialect)
      version = (await ctx.request({ method: 'GET', url: '/v1/notice' })).json().version as string
    })
    afterAll(async () => {
      await ctx?.close()
    })

    const decide = (ref: string, purpose: string, decision: 'granted' | 'denied') =>
      ctx
        .request({
          method: 'PUT',
          url: `/v1/subjects/${ref}/consents/${purpose}`,
          as: 'storefront',
          payload: { decision, method: 'banner', noticeVersion: version, jurisdiction: 'UK' },
        })
        .then((r) => expect(r.statusCode, r.body).toBe(200))

    /** A request the shopper filed themself: it waits for their code, so staff may still deny it. */
    async function selfServiceRequest(ref: string, jurisdiction = 'UK') {
      const { subjectId } = await seedShopper(ctx, ref, { events: 1 })
      const { token } = ctx.services.auth.issueShopperToken(subjectId)
      const filed = await ctx.request({
        method: 'POST',
        url: '/v1/rights-requests',
        as: { token },
        payload: { type: 'erasure', subject: ref, jurisdiction },
      })
      expect(filed.statusCode, filed.body).toBe(201)
      expect(filed.json().status).toBe('received')
      return filed.json<{ id: string; receivedAt: string; dueAt: string }>()
    }

    it('tells each API key its role and exactly the routes that role may call', async () => {
      const seen: Record<string, string[]> = {}
      for (const role of ['storefront', 'analyst', 'privacy_officer', 'admin'] as Role[]) {
        const me = await ctx.request({ method: 'GET', url: '/v1/me', as: role })
        expect(me.statusCode, me.body).toBe(200)
        expect(me.json().role).toBe(role)
        expect(me.json().keyId).toMatch(/^key_[a-z0-9]+$/)
        seen[role] = me.json().may
      }
      expect(seen.storefront).toContain('POST /v1/events')
      expect(seen.storefront).not.toContain('GET /v1/audit')
      expect(seen.storefront).not.toContain('GET /v1/rights-requests')
      expect(seen.analyst).toContain('GET /v1/recommendations/quality')
      expect(seen.analyst).not.toContain('GET /v1/consent-rates')
      for (const route of [
        'GET /v1/audit',
        'GET /v1/consent-rates',
        'POST /v1/rights-requests/:id/extend',
        'POST /v1/rights-requests/:id/deny',
      ])
        expect(seen.privacy_officer).toContain(route)
      expect(seen.privacy_officer).not.toContain('POST /v1/admin/keys')
      expect(seen.admin).toContain('POST /v1/admin/keys')
      // The answer is the route table itself: every route it names answers that role (not 403).
      for (const route of seen.storefront!) {
        const entry = ctx.routes.find((r) => `${r.method} ${r.url}` === route)
        expect(entry && 'roles' in entry.access && entry.access.roles).toContain('storefront')
      }
      const anonymous = await ctx.request({ method: 'GET', url: '/v1/me' })
      expectProblem(anonymous, 401)
      const { token } = ctx.services.auth.issueShopperToken('sub_x')
      expectProblem(await ctx.request({ method: 'GET', url: '/v1/me', as: { token } }), 403)
    })

    it('extends a GDPR request once by the months asked, before its deadline, audited without the reason', async () => {
      const request = await selfServiceRequest('extend-me')
      const url = `/v1/rights-requests/${request.id}/extend`
      for (const role of ['storefront', 'analyst'] as const) {
        const refused = await ctx.request({
          method: 'POST',
          url,
          as: role,
          payload: { reason: 'Needs a lot of looking up' },
        })
        expect(expectProblem(refused, 403).code).toBe('forbidden')
      }
      const short = await ctx.request({
        method: 'POST',
        url,
        as: 'privacy_officer',
        payload: { reason: 'busy' },
      })
      expectProblem(short, 400, 'body.reason')
      const threeMonths = await ctx.request({
        method: 'POST',
        url,
        as: 'privacy_officer',
        payload: { reason: 'Needs a lot of looking up', months: 3 },
      })
      expectProblem(threeMonths, 400, 'body.months')
      const missing = await ctx.request({
        method: 'POST',
        url: '/v1/rights-requests/rr_nothere/extend',
        as: 'privacy_officer',
        payload: { reason: 'Needs a lot of looking up' },
      })
      expectProblem(missing, 404)

      const reason = 'Three stores to search, Mrs Example asked for everything'
      // Two officers at once: exactly one extension happens.
      const [a, b] = await Promise.all([
        ctx.request({ method: 'POST', url, as: 'privacy_officer', payload: { reason, months: 1 } }),
        ctx.request({ method: 'POST', url, as: 'admin', payload: { reason, months: 1 } }),
      ])
      expect([a.statusCode, b.statusCode].sort()).toEqual([200, 409])
      const extended = (a.statusCode === 200 ? a : b).json()
      const expected = new Date(request.receivedAt)
      expected.setUTCMonth(expected.getUTCMonth() + 2)
      expect(extended).toMatchObject({
        dueAt: expected.toISOString(),
        extensionReason: reason,
        status: 'received',
      })
      const again = await ctx.request({
        method: 'POST',
        url,
        as: 'privacy_officer',
        payload: { reason: 'Still more to look up' },
      })
      expect(expectProblem(again, 409).code).toBe('conflict')
      const entries = await ctx.services.audit.list({
        action: 'rights.erasure.extended',
        limit: 10,
      })
      expect(entries).toHaveLength(1)
      expect(entries[0]!.details).toEqual({
        requestId: request.id,
        dueAt: expected.toISOString(),
        months: 1,
      })
      expect(JSON.stringify(entries)).not.toContain('Mrs Example')
      expect(entries[0]!.actor).toMatch(/^key:key_/)
    })

    it('refuses an extension after the deadline, and months for a CCPA request', async () => {
      const ca = await selfServiceRequest('extend-ca', 'US-CA')
      const months = await ctx.request({
        method: 'POST',
        url: `/v1/rights-requests/${ca.id}/extend`,
        as: 'privacy_officer',
        payload: { reason: 'Needs a lot of looking up', months: 2 },
      })
      expectProblem(months, 400, 'body.months')
      const late = await selfServiceRequest('extend-late')
      ctx.clock.advance(32 * DAY_MS)
      const tooLate = await ctx.request({
        method: 'POST',
        url: `/v1/rights-requests/${late.id}/extend`,
        as: 'privacy_officer',
        payload: { reason: 'Needs a lot of looking up' },
      })
      expect(expectProblem(tooLate, 409).code).toBe('conflict')
      // The CCPA request (45 days) is still within its deadline: 45 more days from receipt.
      const ok = await ctx.request({
        method: 'POST',
        url: `/v1/rights-requests/${ca.id}/extend`,
        as: 'privacy_officer',
        payload: { reason: 'Needs a lot of looking up' },
      })
      expect(ok.statusCode, ok.body).toBe(200)
      expect(ok.json().dueAt).toBe(new Date(Date.parse(ca.receivedAt) + 90 * DAY_MS).toISOString())
    })

    it('denies a waiting request with a ground and a reason, audits the ground only, and only once', async () => {
      const request = await selfServiceRequest('deny-me')
      const url = `/v1/rights-requests/${request.id}/deny`
      expect(
        expectProblem(
          await ctx.request({
            method: 'POST',
            url,
            as: 'storefront',
            payload: { ground: 'excessive', reason: 'Fourth copy this week' },
          }),
          403,
        ).code,
      ).toBe('forbidden')
      expectProblem(
        await ctx.request({
          method: 'POST',
          url,
          as: 'privacy_officer',
          payload: { reason: 'Fourth copy this week' },
        }),
        400,
        'body.ground',
      )
      expectProblem(
        await ctx.request({
          method: 'POST',
          url,
          as: 'privacy_officer',
          payload: { ground: 'because', reason: 'Fourth copy this week' },
        }),
        400,
        'body.ground',
      )
      expectProblem(
        await ctx.request({
          method: 'POST',
          url,
          as: 'privacy_officer',
          payload: { ground: 'excessive', reason: ' no ' },
        }),
        400,
        'body.reason',
      )
      // Bad input left the request as it was.
      const before = await ctx.request({
        method: 'GET',
        url: `/v1/rights-requests/${request.id}`,
        as: 'privacy_officer',
      })
      expect(before.json()).toMatchObject({ status: 'received', deniedReason: null })

      const reason = 'This is the fourth identical request this week from Mr Sample'
      const denied = await ctx.request({
        method: 'POST',
        url,
        as: 'privacy_officer',
        payload: { ground: 'excessive', reason },
      })
      expect(denied.statusCode, denied.body).toBe(200)
      expect(denied.json()).toMatchObject({
        status: 'denied',
        deniedReason: reason,
        result: { ground: 'excessive' },
        overdue: false,
      })
      const entries = await ctx.services.audit.list({ action: 'rights.erasure.denied', limit: 10 })
      expect(entries).toHaveLength(1)
      expect(entries[0]!.details).toEqual({ requestId: request.id, ground: 'excessive' })
      expect(JSON.stringify(entries)).not.toContain('Mr Sample')
      // A denied request's code no longer works and it cannot be denied or extended again.
      const twice = await ctx.request({
        method: 'POST',
        url,
        as: 'admin',
        payload: { ground: 'excessive', reason: 'Once more with feeling' },
      })
      expect(expectProblem(twice, 409).code).toBe('conflict')
      const extend = await ctx.request({
        method: 'POST',
        url: `/v1/rights-requests/${request.id}/extend`,
        as: 'privacy_officer',
        payload: { reason: 'Needs a lot of looking up' },
      })
      expectProblem(extend, 409)
      // A completed request (staff-filed requests run at once) cannot be denied.
      const done = await ctx.request({
        method: 'POST',
        url: '/v1/rights-requests',
        as: 'privacy_officer',
        payload: { type: 'access', subject: 'deny-me' },
      })
      expect(done.json().status).toBe('completed')
      expectProblem(
        await ctx.request({
          method: 'POST',
          url: `/v1/rights-requests/${done.json().id}/deny`,
          as: 'privacy_officer',
          payload: { ground: 'excessive', reason: 'Fourth copy this week' },
        }),
        409,
      )
    })

    it('filters the audit log by action, actor and time, and pages through it by cursor', async () => {
      const storefrontId = (
        await ctx.request({ method: 'GET', url: '/v1/me', as: 'storefront' })
      ).json().keyId as string
      ctx.clock.set('2026-06-10T10:00:00Z')
      for (let i = 0; i < 5; i++) await decide(`audit-${i}`, PERSONAL, 'granted')
      ctx.clock.set('2026-06-11T10:00:00Z')
      for (let i = 0; i < 3; i++) await decide(`audit-${i}`, PERSONAL, 'denied')
      const get = (query: string, role: Role = 'privacy_officer') =>
        ctx.request({ method: 'GET', url: `/v1/audit?${query}`, as: role })

      const day = await get('action=consent.recorded&from=2026-06-11&to=2026-06-11')
      expect(day.statusCode, day.body).toBe(200)
      expect(day.json().entries).toHaveLength(3)
      expect(day.json().next).toBeNull()
      for (const e of day.json().entries) {
        expect(e.action).toBe('consent.recorded')
        expect(e.at.slice(0, 10)).toBe('2026-06-11')
      }
      const both = await get(
        `action=consent.*&actor=key:${storefrontId}&from=2026-06-10T00:00:00Z&to=2026-06-12`,
      )
      expect(both.json().entries).toHaveLength(8)
      expect(new Set(both.json().entries.map((e: { actor: string }) => e.actor))).toEqual(
        new Set([`key:${storefrontId}`]),
      )
      const rights = await get('action=rights.*&limit=500')
      expect(rights.json().entries.length).toBeGreaterThan(0)
      for (const e of rights.json().entries) expect(e.action.startsWith('rights.')).toBe(true)

      // Three entries a page: 3, 3, 2, and the pages join up to the whole list, newest first.
      const seqs: number[] = []
      let next: number | null = null
      let pages = 0
      do {
        const page = await get(
          `action=consent.*&from=2026-06-10&to=2026-06-11&limit=3${next === null ? '' : `&before=${next}`}`,
        )
        expect(page.statusCode, page.body).toBe(200)
        seqs.push(...page.json().entries.map((e: { seq: number }) => e.seq))
        next = page.json().next
        pages++
      } while (next !== null && pages < 10)
      expect(pages).toBe(3)
      expect(seqs).toEqual(both.json().entries.map((e: { seq: number }) => e.seq))
      expect([...seqs].sort((a, b) => b - a)).toEqual(seqs)

      expectProblem(await get('from=2026-13-45'), 400, 'querystring.from')
      expectProblem(await get('to=yesterday'), 400, 'querystring.to')
      expectProblem(await get('action=rights.*.denied'), 400, 'querystring.action')
      expectProblem(await get('from=2026-06-12&to=2026-06-10'), 400, 'querystring.from')
      expectProblem(await get('limit=0'), 400, 'querystring.limit')
      expectProblem(await get('before=abc'), 400, 'querystring.before')
      expect(expectProblem(await get('', 'analyst'), 403).code).toBe('forbidden')
      expectProblem(await get('', 'storefront'), 403)
    })

    it('counts grants, withdrawals and refusals per purpose and day from the consent ledger', async () => {
      ctx.clock.set('2026-07-01T08:00:00Z')
      await decide('rates-a', PERSONAL, 'granted')
      await decide('rates-b', PERSONAL, 'denied')
      await decide('rates-c', PERSONAL, 'granted')
      await decide('rates-a', ANALYTICS, 'granted')
      ctx.clock.set('2026-07-02T23:59:00Z')
      await decide('rates-a', PERSONAL, 'denied') // withdrawal: a's previous choice was yes
      await decide('rates-b', PERSONAL, 'denied') // refusal again: b never said yes
      await decide('rates-d', PERSONAL, 'granted')
      ctx.clock.set('2026-07-03T00:00:00Z')
      await decide('rates-c', PERSONAL, 'denied') // the next day: outside the period asked below

      const rates = await ctx.request({
        method: 'GET',
        url: '/v1/consent-rates?from=2026-07-01&to=2026-07-02',
        as: 'privacy_officer',
      })
      expect(rates.statusCode, rates.body).toBe(200)
      expect(rates.json()).toEqual({
        from: '2026-07-01',
        to: '2026-07-02',
        days: [
          { day: '2026-07-01', purpose: ANALYTICS, granted: 1, withdrawn: 0, refused: 0 },
          { day: '2026-07-01', purpose: PERSONAL, granted: 2, withdrawn: 0, refused: 1 },
          { day: '2026-07-02', purpose: PERSONAL, granted: 1, withdrawn: 1, refused: 1 },
        ],
      })
      // By default the last 30 days up to today (the clock's): the 3rd is in, with c's withdrawal.
      const recent = await ctx.request({ method: 'GET', url: '/v1/consent-rates', as: 'admin' })
      expect(recent.json()).toMatchObject({ from: '2026-06-04', to: '2026-07-03' })
      expect(recent.json().days.at(-1)).toEqual({
        day: '2026-07-03',
        purpose: PERSONAL,
        granted: 0,
        withdrawn: 1,
        refused: 0,
      })

      const bad = (query: string) =>
        ctx.request({ method: 'GET', url: `/v1/consent-rates?${query}`, as: 'privacy_officer' })
      expectProblem(await bad('from=2026-02-30'), 400, 'querystring.from')
      expectProblem(await bad('to=07/02/2026'), 400, 'querystring.to')
      expectProblem(await bad('from=2026-07-03&to=2026-07-01'), 400, 'querystring.from')
      expectProblem(await bad('from=2025-01-01&to=2026-07-01'), 400, 'querystring.from')
      for (const role of ['storefront', 'analyst'] as const) {
        const refused = await ctx.request({ method: 'GET', url: '/v1/consent-rates', as: role })
        expect(expectProblem(refused, 403).code).toBe('forbidden')
      }
    })
  })
}
