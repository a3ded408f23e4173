import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrateToLatest } from '../src/storage/migrate.js'
import type { RequestLine } from '../src/http/request-log.js'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'

for (const dialect of DIALECTS) {
  describe(`foundation on ${dialect}`, () => {
    let ctx: TestContext
    beforeAll(async () => {
      ctx = await createTestContext(dialect)
    })
    afterAll(async () => {
      await ctx?.close()
    })

    it('answers liveness and readiness, naming the database engine', async () => {
      const live = await ctx.request({ method: 'GET', url: '/health/live' })
      expect(live.statusCode).toBe(200)
      const ready = await ctx.request({ method: 'GET', url: '/health/ready' })
      expect(ready.statusCode).toBe(200)
      expect(ready.json()).toEqual({ status: 'ok', database: dialect })
      expect(ready.headers['x-request-id']).toMatch(/^req_[a-z0-9]{16}$/)
    })

    it('serves an OpenAPI 3.1 document listing every non-hidden route', async () => {
      const response = await ctx.request({ method: 'GET', url: '/openapi.json' })
      expect(response.statusCode).toBe(200)
      const doc = response.json<{
        openapi: string
        paths: Record<string, Record<string, unknown>>
      }>()
      expect(doc.openapi).toBe('3.1.0')
      const documented = new Set<string>()
      for (const [p, ops] of Object.entries(doc.paths)) {
        for (const method of Object.keys(ops)) documented.add(`${method.toUpperCase()} ${p}`)
      }
      const expected = ctx.routes
        .filter((r) => !r.url.startsWith('/docs') && r.url !== '/openapi.json')
        .map((r) => `${r.method} ${r.url.replace(/:([a-zA-Z]+)/g, '{$1}')}`)
      expect(expected.length).toBeGreaterThan(5)
      for (const route of expected) expect(documented, route).toContain(route)
      const docs = await ctx.request({ method: 'GET', url: '/docs/' })
      expect(docs.statusCode).toBe(200)
      expect(docs.headers['content-type']).toContain('text/html')
    })

    it('answers a malformed body with problem+json 400 naming the field', async () => {
      const response = await ctx.request({
        method: 'POST',
        url: '/v1/shopper-tokens',
        as: 'storefront',
        payload: { subject: 17 },
      })
      expect(response.statusCode).toBe(400)
      expect(response.headers['content-type']).toContain('application/problem+json')
      const problem = response.json()
      expect(problem.code).toBe('validation_failed')
      expect(problem.type).toBe('urn:candor:problem:validation_failed')
      expect(problem.errors[0].field).toBe('body.subject')
      expect(problem.detail).toContain('body.subject')
      expect(problem.requestId).toBe(response.headers['x-request-id'])
    })

    it('names a missing field and a bad query parameter', async () => {
      const missing = await ctx.request({
        method: 'POST',
        url: '/v1/admin/keys',
        as: 'admin',
        payload: { name: 'no role' },
      })
      expect(missing.statusCode).toBe(400)
      expect(missing.json().errors.map((e: { field: string }) => e.field)).toContain('body.role')
      const query = await ctx.request({ method: 'GET', url: '/v1/audit?limit=0', as: 'admin' })
      expect(query.statusCode).toBe(400)
      expect(query.json().errors[0].field).toBe('querystring.limit')
    })

    it('refuses invalid JSON, oversized bodies and unknown routes as problems', async () => {
      const badJson = await ctx.request({
        method: 'POST',
        url: '/v1/shopper-tokens',
        as: 'storefront',
        headers: { 'content-type': 'application/json' },
        payload: '{"subject": ',
      })
      expect(badJson.statusCode).toBe(400)
      expect(badJson.json().code).toBe('malformed_json')
      const big = await ctx.request({
        method: 'POST',
        url: '/v1/shopper-tokens',
        as: 'storefront',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ subject: 'x'.repeat(ctx.config.bodyLimitBytes + 10) }),
      })
      expect(big.statusCode).toBe(413)
      expect(big.json().code).toBe('payload_too_large')
      const missing = await ctx.request({ method: 'GET', url: '/v1/nothing-here' })
      expect(missing.statusCode).toBe(404)
      expect(missing.json().code).toBe('route_not_found')
    })

    it('creates, lists and revokes API keys, storing only hashes', async () => {
      const created = await ctx.request({
        method: 'POST',
        url: '/v1/admin/keys',
        as: 'admin',
        payload: { role: 'analyst', name: 'dashboards' },
      })
      expect(created.statusCode).toBe(201)
      const { key, id } = created.json<{ key: string; id: string }>()
      expect(key).toMatch(/^ck_[a-z0-9]+\.[A-Za-z0-9_-]{43}$/)
      const secret = key.split('.')[1]!
      const rows = await sql<{ secret_hash: string }>`select secret_hash from api_keys`.execute(
        ctx.storage.db,
      )
      expect(rows.rows.some((r) => r.secret_hash.includes(secret))).toBe(false)

      const asNew = await ctx.request({
        method: 'GET',
        url: '/v1/audit/verify',
        as: { token: key },
      })
      expect(asNew.statusCode).toBe(403)
      const listed = await ctx.request({ method: 'GET', url: '/v1/admin/keys', as: 'admin' })
      expect(listed.json().keys.map((k: { id: string }) => k.id)).toContain(id)
      expect(listed.body).not.toContain(secret)

      const revoked = await ctx.request({
        method: 'DELETE',
        url: `/v1/admin/keys/${id}`,
        as: 'admin',
      })
      expect(revoked.statusCode).toBe(204)
      // A fresh service instance has no cache: the revoked key is refused.
      await expect(ctx.services.auth.authenticate(key)).rejects.toMatchObject({
        code: 'unauthenticated',
      })
    })

    it('issues shopper tokens that expire and cannot be forged', async () => {
      const issued = await ctx.request({
        method: 'POST',
        url: '/v1/shopper-tokens',
        as: 'storefront',
        payload: { subject: 'customer-1' },
      })
      expect(issued.statusCode).toBe(201)
      const { token } = issued.json<{ token: string }>()
      const caller = await ctx.services.auth.authenticate(token)
      expect(caller).toEqual({
        kind: 'shopper',
        subjectId: await ctx.services.identity.findSubjectId('customer-1'),
      })
      const forged = token.slice(0, -2) + (token.endsWith('AA') ? 'BB' : 'AA')
      await expect(ctx.services.auth.authenticate(forged)).rejects.toMatchObject({
        code: 'unauthenticated',
      })
      ctx.clock.advance((ctx.config.shopperTokenTtlSeconds + 1) * 1000)
      await expect(ctx.services.auth.authenticate(token)).rejects.toMatchObject({
        code: 'unauthenticated',
      })
    })

    it('counts requests per route in /metrics', async () => {
      const counted = async () => {
        const metrics = await ctx.request({ method: 'GET', url: '/metrics' })
        expect(metrics.statusCode).toBe(200)
        const count = (pattern: RegExp) => Number(pattern.exec(metrics.body)?.[1] ?? 0)
        return {
          requests: count(
            /candor_http_requests_total\{method="GET",route="\/health\/live",status="200"\} (\d+)/,
          ),
          timed: count(
            /candor_http_request_duration_seconds_count\{method="GET",route="\/health\/live"\} (\d+)/,
          ),
        }
      }
      const before = await counted()
      for (let i = 0; i < 3; i++) await ctx.request({ method: 'GET', url: '/health/live' })
      expect(await counted()).toEqual({ requests: before.requests + 3, timed: before.timed + 3 })
    })

    it('runs migrations a second time without changing anything', async () => {
      const report = await migrateToLatest(ctx.storage)
      expect(report.applied).toEqual([])
    })

    it('keeps a hash-chained audit log that verifies, and catches a tampered row', async () => {
      const verify = await ctx.request({
        method: 'GET',
        url: '/v1/audit/verify',
        as: 'privacy_officer',
      })
      expect(verify.json()).toMatchObject({ ok: true })
      const entries = (
        await ctx.request({ method: 'GET', url: '/v1/audit?limit=500', as: 'admin' })
      ).json().entries as Array<{ seq: number; action: string; actor: string }>
      expect(entries.map((e) => e.action)).toContain('api_key.create')
      expect(entries.map((e) => e.action)).toContain('api_key.revoke')
      const target = entries.find((e) => e.action === 'api_key.create')!
      await sql`update audit_log set actor = ${'key:key_intruder'} where seq = ${target.seq}`.execute(
        ctx.storage.db,
      )
      const broken = await ctx.request({ method: 'GET', url: '/v1/audit/verify', as: 'admin' })
      expect(broken.json()).toMatchObject({
        ok: false,
        firstBrokenSeq: target.seq,
        reason: 'entry content changed',
      })
      await sql`update audit_log set actor = ${target.actor} where seq = ${target.seq}`.execute(
        ctx.storage.db,
      )
      expect((await ctx.services.audit.verify()).ok).toBe(true)
      const last = entries[0]!
      await sql`delete from audit_log where seq = ${last.seq - 1}`.execute(ctx.storage.db)
      expect(await ctx.services.audit.verify()).toMatchObject({
        ok: false,
        firstBrokenSeq: last.seq - 1,
      })
    })

    it('keeps the audit chain linear under concurrent appends', async () => {
      const fresh = await createTestContext(dialect)
      try {
        await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            fresh.services.audit.recordNow({
              actor: { kind: 'system', name: 'test' },
              action: `concurrent.${i}`,
            }),
          ),
        )
        // The 20 and one api_key.create per key the context made.
        expect(await fresh.services.audit.verify()).toMatchObject({
          ok: true,
          entries: 20 + Object.keys(fresh.keys).length,
        })
      } finally {
        await fresh.close()
      }
    })

    it('answers an unexpected failure with 500 and a request id, never the cause', async () => {
      const fresh = await createTestContext(dialect)
      await fresh.storage.close()
      const response = await fresh
        .request({ method: 'GET', url: '/v1/admin/keys', as: 'admin' })
        .catch(() => undefined)
      // The key was cached when created, so authentication passes and the query fails.
      expect(response?.statusCode).toBe(500)
      const problem = response!.json()
      expect(problem.code).toBe('internal')
      expect(problem.detail).toContain(problem.requestId)
      expect(JSON.stringify(problem)).not.toMatch(/sqlite|postgres|pool|destroy/i)
      const ready = await fresh.request({ method: 'GET', url: '/health/ready' })
      expect(ready.statusCode).toBe(503)
      await fresh.app.close()
      await fresh.database.drop()
    })

    it('logs one line per request with the route pattern, never the URL and its customer reference', async () => {
      const lines: RequestLine[] = []
      const logged = await createTestContext(dialect, { requestLog: (line) => lines.push(line) })
      try {
        const ok = await logged.request({
          method: 'GET',
          url: '/v1/subjects/customer-7781/settings',
          as: 'storefront',
        })
        const missing = await logged.request({ method: 'GET', url: '/no/such/customer-7781' })
        expect(lines).toEqual([
          {
            reqId: ok.headers['x-request-id'],
            method: 'GET',
            route: '/v1/subjects/:ref/settings',
            status: ok.statusCode,
            ms: expect.any(Number),
          },
          {
            reqId: missing.headers['x-request-id'],
            method: 'GET',
            route: 'unmatched',
            status: 404,
            ms: expect.any(Number),
          },
        ])
        expect(JSON.stringify(lines)).not.toContain('7781')
      } finally {
        await logged.close()
      }
    })

    it('limits the request rate per caller', async () => {
      const limited = await createTestContext(dialect, {
        env: { CANDOR_RATE_LIMIT_PER_MINUTE: '3' },
      })
      try {
        const answers = []
        for (let i = 0; i < 5; i++) {
          answers.push(await limited.request({ method: 'GET', url: '/health/live' }))
        }
        expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200, 429, 429])
        // Every answer says where the caller stands; a refusal also says when to come back.
        expect(answers.map((a) => a.headers['x-ratelimit-remaining'])).toEqual([
          '2',
          '1',
          '0',
          '0',
          '0',
        ])
        for (const answer of answers) {
          expect(answer.headers['x-ratelimit-limit']).toBe('3')
          expect(Number(answer.headers['x-ratelimit-reset'])).toBeGreaterThan(0)
          expect(Number(answer.headers['x-ratelimit-reset'])).toBeLessThanOrEqual(60)
        }
        expect(answers[0]!.headers['retry-after']).toBeUndefined()
        expect(Number(answers[4]!.headers['retry-after'])).toBeGreaterThan(0)
        const problem = (await limited.request({ method: 'GET', url: '/health/live' })).json()
        expect(problem.code).toBe('rate_limited')
        expect(problem.status).toBe(429)
        // An API key has a budget of its own, whoever else calls from the same address.
        const keyed: number[] = []
        for (let i = 0; i < 4; i++) {
          keyed.push(
            (await limited.request({ method: 'GET', url: '/v1/recommendations', as: 'storefront' }))
              .statusCode,
          )
        }
        expect(keyed).toEqual([200, 200, 200, 429])
      } finally {
        await limited.close()
      }
    })
  })
}
