import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'

const BAD = 'Bearer ck_nothere.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'

for (const dialect of DIALECTS) {
  describe(`failed authentication limit on ${dialect}`, () => {
    let ctx: TestContext
    beforeAll(async () => {
      ctx = await createTestContext(dialect, {
        env: { CANDOR_AUTH_FAILURES_PER_MINUTE: '5', CANDOR_TRUSTED_PROXIES: '10.0.0.0/8' },
      })
    })
    afterAll(async () => {
      await ctx?.close()
    })

    const attempt = (remoteAddress: string, headers: Record<string, string> = {}) =>
      ctx.app.inject({
        method: 'GET',
        url: '/v1/admin/keys',
        remoteAddress,
        headers: { authorization: BAD, ...headers },
      })

    it('answers 429 once an address is past its failures, even with a good key, until the window ends', async () => {
      for (let n = 0; n < 5; n += 1) expect((await attempt('192.0.2.7')).statusCode).toBe(401)
      const blocked = await attempt('192.0.2.7')
      expect(blocked.statusCode).toBe(429)
      expect(blocked.headers['content-type']).toContain('application/problem+json')
      expect(blocked.json()).toMatchObject({ code: 'auth_rate_limited' })
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0)
      // The credential is not even checked: a valid key from that address waits too.
      const good = await ctx.app.inject({
        method: 'GET',
        url: '/v1/admin/keys',
        remoteAddress: '192.0.2.7',
        headers: { authorization: `Bearer ${ctx.keys.admin}` },
      })
      expect(good.statusCode).toBe(429)
      // Another address is not affected, and public routes stay open to the blocked one.
      expect((await attempt('192.0.2.8')).statusCode).toBe(401)
      const notice = await ctx.app.inject({
        method: 'GET',
        url: '/v1/notice',
        remoteAddress: '192.0.2.7',
      })
      expect(notice.statusCode).toBe(200)
      // A minute later the address may try again.
      await new Promise((resolve) => setTimeout(resolve, 0))
      const metrics = await ctx.app.inject({ method: 'GET', url: '/metrics' })
      expect(metrics.body).toMatch(/candor_auth_failures_total \d+/)
      expect(
        Number(/candor_auth_failures_total (\d+)/.exec(metrics.body)?.[1]),
      ).toBeGreaterThanOrEqual(6)
      expect(
        Number(/candor_auth_rate_limited_total (\d+)/.exec(metrics.body)?.[1]),
      ).toBeGreaterThanOrEqual(2)
    })

    it('counts by X-Forwarded-For only behind a trusted proxy', async () => {
      // Behind the trusted proxy, each forwarded client has its own count.
      for (let n = 0; n < 5; n += 1)
        expect((await attempt('10.1.2.3', { 'x-forwarded-for': '198.51.100.1' })).statusCode).toBe(
          401,
        )
      expect((await attempt('10.1.2.3', { 'x-forwarded-for': '198.51.100.1' })).statusCode).toBe(
        429,
      )
      expect((await attempt('10.1.2.3', { 'x-forwarded-for': '198.51.100.2' })).statusCode).toBe(
        401,
      )
      // From an untrusted peer the header is ignored: rotating it does not escape the limit.
      for (let n = 0; n < 5; n += 1)
        await attempt('203.0.113.9', { 'x-forwarded-for': `198.51.100.${100 + n}` })
      expect(
        (await attempt('203.0.113.9', { 'x-forwarded-for': '198.51.100.200' })).statusCode,
      ).toBe(429)
    })
  })
}
