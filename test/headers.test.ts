import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, parseConfig } from '../src/config.js'
import { type TestContext, createTestContext } from './helpers/test-context.js'
import { seedShopper } from './helpers/shoppers.js'

const SHOP = 'https://shop.example'
const OTHER = 'https://evil.example'

/** The headers every answer carries, whatever its type. */
function expectSecurityHeaders(headers: Record<string, unknown>, label: string) {
  expect(headers['x-content-type-options'], label).toBe('nosniff')
  expect(headers['x-frame-options'], label).toBe('DENY')
  expect(headers['referrer-policy'], label).toBe('no-referrer')
  const csp = String(headers['content-security-policy'])
  expect(csp, label).toContain("frame-ancestors 'none'")
  expect(csp, label).toContain("script-src 'self'")
  expect(csp, label).not.toContain('unsafe-eval')
  expect(csp, label).not.toMatch(/script-src[^;]*unsafe-inline/)
}

describe('security headers (SQLite)', () => {
  let ctx: TestContext
  beforeAll(async () => {
    ctx = await createTestContext('sqlite')
  })
  afterAll(async () => {
    await ctx?.close()
  })

  it('API answers are nosniff, not framed and not stored, refusals included', async () => {
    const answers = [
      await ctx.request({ method: 'GET', url: '/v1/admin/keys', as: 'admin' }),
      await ctx.request({ method: 'GET', url: '/v1/admin/keys' }),
      await ctx.request({ method: 'GET', url: '/v1/no-such-route' }),
      await ctx.request({ method: 'GET', url: '/health/live' }),
    ]
    expect(answers.map((a) => a.statusCode)).toEqual([200, 401, 404, 200])
    for (const answer of answers) {
      const label = `${answer.statusCode} ${String(answer.headers['content-type'])}`
      expectSecurityHeaders(answer.headers, label)
      expect(answer.headers['cache-control'], label).toBe('no-store')
      // Plain HTTP here: asking the browser to keep to HTTPS is the TLS end's job.
      expect(answer.headers['strict-transport-security'], label).toBeUndefined()
    }
  })

  it('the HTML notice carries the same CSP as the pages, and stays cacheable by its ETag', async () => {
    const notice = await ctx.request({ method: 'GET', url: '/v1/notice?format=html' })
    expect(notice.statusCode).toBe(200)
    expect(notice.headers['content-type']).toContain('text/html')
    expectSecurityHeaders(notice.headers, 'notice')
    expect(notice.headers['cache-control']).toBe('no-cache')
    expect(notice.headers.etag).toMatch(/^"/)
    const page = await ctx.request({ method: 'GET', url: '/privacy' })
    expect(page.statusCode).toBe(200)
    expectSecurityHeaders(page.headers, 'page')
    expect(notice.headers['content-security-policy']).toBe(page.headers['content-security-policy'])
    expect(page.headers['cache-control']).toBe('no-cache')
  })

  it('Swagger UI at /docs has the CSP, nosniff and no framing, on its page and its files', async () => {
    const index = await ctx.request({ method: 'GET', url: '/docs/' })
    expect(index.statusCode).toBe(200)
    expect(index.headers['content-type']).toContain('text/html')
    expect(index.body).not.toMatch(/<script>/)
    expectSecurityHeaders(index.headers, '/docs/')
    const script = await ctx.request({ method: 'GET', url: '/docs/static/swagger-initializer.js' })
    expect(script.statusCode).toBe(200)
    expectSecurityHeaders(script.headers, 'swagger-initializer.js')
  })

  it('the SDK and the assets keep their own cache headers; only the SDK may be loaded cross-origin', async () => {
    const sdk = await ctx.request({ method: 'GET', url: '/sdk/candor.min.js' })
    expect(sdk.statusCode).toBe(200)
    expect(sdk.headers['cache-control']).toBe('public, max-age=300')
    expect(sdk.headers['x-content-type-options']).toBe('nosniff')
    expect(sdk.headers['cross-origin-resource-policy']).toBe('cross-origin')
    const html = (await ctx.request({ method: 'GET', url: '/privacy' })).body
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1]
    expect(asset).toBeDefined()
    const file = await ctx.request({ method: 'GET', url: asset! })
    expect(file.headers['cache-control']).toBe('public, max-age=31536000, immutable')
    expect(file.headers['cross-origin-resource-policy']).toBe('same-origin')
  })

  it('no origin gets CORS by default: no Access-Control-Allow-Origin, no preflight', async () => {
    const simple = await ctx.request({
      method: 'GET',
      url: '/v1/notice',
      headers: { origin: SHOP },
    })
    expect(simple.statusCode).toBe(200)
    expect(simple.headers['access-control-allow-origin']).toBeUndefined()
    const preflight = await ctx.request({
      method: 'OPTIONS',
      url: '/v1/events',
      headers: { origin: SHOP, 'access-control-request-method': 'POST' },
    })
    expect(preflight.statusCode).toBe(404)
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined()
    expect(preflight.headers['access-control-allow-methods']).toBeUndefined()
    // The refusal is an answer like any other: it carries the security headers.
    expectSecurityHeaders(preflight.headers, 'preflight 404')
    expect(preflight.headers['cache-control']).toBe('no-store')
  })

  it('HEAD on an export is refused with 405 and compiles nothing; GET still exports', async () => {
    const { subjectId } = await seedShopper(ctx, 'head-export-1')
    const filed = await ctx.request({
      method: 'POST',
      url: '/v1/rights-requests',
      as: 'privacy_officer',
      payload: { type: 'access', subject: 'head-export-1' },
    })
    expect(filed.statusCode, filed.body).toBe(201)
    const url = `/v1/rights-requests/${filed.json().id}/export`
    const exported = async () =>
      (await ctx.services.audit.listForSubject(subjectId)).filter((e) =>
        e.action.endsWith('.exported'),
      ).length
    expect(await exported()).toBe(0)

    const head = await ctx.request({ method: 'HEAD', url, as: 'privacy_officer' })
    expect(head.statusCode).toBe(405)
    expect(head.headers.allow).toBe('GET')
    const zipHead = await ctx.request({ method: 'HEAD', url: `${url}?format=zip`, as: 'admin' })
    expect(zipHead.statusCode).toBe(405)
    // The route guard still runs first: no credential, no answer about the route.
    expect((await ctx.request({ method: 'HEAD', url })).statusCode).toBe(401)
    expect(await exported()).toBe(0)

    const get = await ctx.request({ method: 'GET', url, as: 'privacy_officer' })
    expect(get.statusCode).toBe(200)
    expect(get.headers['cache-control']).toBe('no-store')
    expect(await exported()).toBe(1)
  })
})

describe('CORS with CANDOR_CORS_ORIGINS (SQLite)', () => {
  let ctx: TestContext
  beforeAll(async () => {
    ctx = await createTestContext('sqlite', {
      env: { CANDOR_CORS_ORIGINS: `${SHOP}, http://localhost:5173` },
    })
  })
  afterAll(async () => {
    await ctx?.close()
  })

  it('a listed origin may read answers, refusals included, without credentials (cookies)', async () => {
    const notice = await ctx.request({
      method: 'GET',
      url: '/v1/notice',
      headers: { origin: SHOP },
    })
    expect(notice.statusCode).toBe(200)
    expect(notice.headers['access-control-allow-origin']).toBe(SHOP)
    expect(notice.headers['access-control-allow-credentials']).toBeUndefined()
    expect(String(notice.headers.vary)).toMatch(/origin/i)
    expect(String(notice.headers.vary)).toMatch(/accept/i)
    const exposed = String(notice.headers['access-control-expose-headers'])
    for (const header of ['x-request-id', 'retry-after', 'x-ratelimit-remaining', 'etag'])
      expect(exposed).toContain(header)

    const recommendations = await ctx.request({
      method: 'GET',
      url: '/v1/recommendations?placement=home',
      headers: { origin: 'http://localhost:5173' },
      as: 'storefront',
    })
    expect(recommendations.headers['access-control-allow-origin']).toBe('http://localhost:5173')

    // A 401 the page can read (else the browser reports only a network error).
    const refused = await ctx.request({
      method: 'GET',
      url: '/v1/admin/keys',
      headers: { origin: SHOP },
    })
    expect(refused.statusCode).toBe(401)
    expect(refused.headers['access-control-allow-origin']).toBe(SHOP)
    expectSecurityHeaders(refused.headers, 'cors 401')
  })

  it('answers the preflight of a listed origin with the methods and headers the SDK uses', async () => {
    const preflight = await ctx.request({
      method: 'OPTIONS',
      url: '/v1/events',
      headers: {
        origin: SHOP,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    })
    expect(preflight.statusCode).toBe(204)
    expect(preflight.headers['access-control-allow-origin']).toBe(SHOP)
    expect(String(preflight.headers['access-control-allow-methods'])).toContain('POST')
    expect(String(preflight.headers['access-control-allow-methods'])).toContain('PUT')
    const allowed = String(preflight.headers['access-control-allow-headers'])
    expect(allowed).toContain('authorization')
    expect(allowed).toContain('content-type')
    expect(preflight.headers['access-control-max-age']).toBe('600')
    expect(preflight.headers['access-control-allow-credentials']).toBeUndefined()
  })

  it('an unlisted origin, or a near miss of a listed one, gets no CORS header and no preflight', async () => {
    // The same requests from the listed origin are allowed (so what follows is the list at work).
    const listed = await ctx.request({
      method: 'OPTIONS',
      url: '/v1/events',
      headers: { origin: SHOP, 'access-control-request-method': 'POST' },
    })
    expect(listed.headers['access-control-allow-origin']).toBe(SHOP)
    for (const origin of [OTHER, 'http://shop.example', 'https://shop.example:8443', 'null']) {
      const simple = await ctx.request({ method: 'GET', url: '/v1/notice', headers: { origin } })
      expect(simple.statusCode, origin).toBe(200)
      expect(simple.headers['access-control-allow-origin'], origin).toBeUndefined()
      const preflight = await ctx.request({
        method: 'OPTIONS',
        url: '/v1/events',
        headers: { origin, 'access-control-request-method': 'POST' },
      })
      expect(preflight.statusCode, origin).toBe(404)
      expect(preflight.headers['access-control-allow-origin'], origin).toBeUndefined()
      expect(preflight.headers['access-control-allow-methods'], origin).toBeUndefined()
    }
    // No Origin at all (a server, curl): the answer is as before, without CORS headers.
    const plain = await ctx.request({ method: 'GET', url: '/v1/notice' })
    expect(plain.headers['access-control-allow-origin']).toBeUndefined()
  })
})

describe('HTTPS served directly (SQLite)', () => {
  it('asks browsers to keep to HTTPS (Strict-Transport-Security), without subdomains', async () => {
    const tls = path.resolve('test/fixtures/tls')
    const ctx = await createTestContext('sqlite', {
      env: {
        CANDOR_TLS_CERT: path.join(tls, 'localhost.cert.pem'),
        CANDOR_TLS_KEY: path.join(tls, 'localhost.key.pem'),
      },
    })
    try {
      const live = await ctx.request({ method: 'GET', url: '/health/live' })
      expect(live.headers['strict-transport-security']).toBe('max-age=31536000')
      expectSecurityHeaders(live.headers, 'https')
    } finally {
      await ctx.close()
    }
  })
})

describe('CANDOR_CORS_ORIGINS', () => {
  it('takes a comma-separated list of exact origins, and none by default', () => {
    expect(parseConfig({}).corsOrigins).toEqual([])
    expect(
      parseConfig({ CANDOR_CORS_ORIGINS: ' https://shop.example ,http://localhost:5173,' })
        .corsOrigins,
    ).toEqual(['https://shop.example', 'http://localhost:5173'])
  })

  it('refuses anything that is not an exact origin, naming the variable', () => {
    for (const value of [
      '*',
      'https://shop.example/',
      'https://shop.example/cart',
      'shop.example',
      'ftp://shop.example',
      'https://shop.example,*',
    ]) {
      let error: unknown
      try {
        parseConfig({ CANDOR_CORS_ORIGINS: value })
      } catch (caught) {
        error = caught
      }
      expect(error, value).toBeInstanceOf(ConfigError)
      expect((error as ConfigError).variable).toBe('CANDOR_CORS_ORIGINS')
      expect((error as ConfigError).message).toContain('exact origins')
    }
  })
})
