import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROLES } from '../src/modules/auth/index.js'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'

/** The routes that are public by design; every other route must refuse callers it does not name. */
const PUBLIC = [
  '/health/live',
  '/health/ready',
  '/metrics',
  '/openapi.json',
  '/v1/notice',
  // How suggestions work (issue 20): figures about the recommender, nothing about anyone.
  '/v1/model-card',
  // The audit log's signed checkpoint and consistency proofs: hashes only, for anyone to keep.
  '/v1/audit/checkpoint',
  '/v1/audit/proof',
  // The one-click unsubscribe link of an offer e-mail (RFC 8058): the signed token is the credential.
  '/v1/unsubscribe/:token',
  // An offer's link as its answer gives it (issue 21): counts one click, redirects; names no shopper.
  '/v1/offers/:id/open',
  // Federated learning: reports carry no identity, so no key or cookie may be asked for.
  '/v1/federated/contributions',
  '/v1/federated/terms',
  // The web pages and their static files, and the browser SDK.
  '/privacy',
  '/privacy/suggestions',
  '/console',
  '/assets/:file',
  '/favicon.svg',
  '/favicon.ico',
  '/sdk/candor.min.js',
  // Demo mode only (CANDOR_DEMO=on): the demo shop's pages and its own backend.
  '/',
  '/c/:category',
  '/p/:item',
  '/basket',
  '/demo/catalog',
  '/demo/session',
]

function fill(url: string): string {
  return url.replace(/:([a-zA-Z]+)/g, (_m, name: string) =>
    name === 'ref' ? 'customer-under-test' : `x_${name}`,
  )
}

for (const dialect of DIALECTS) {
  describe(`route protection on ${dialect}`, () => {
    let ctx: TestContext
    let otherShopper: string
    beforeAll(async () => {
      // Every route is tried with bad credentials from one address: far past the failure limit.
      ctx = await createTestContext(dialect, {
        env: { CANDOR_AUTH_FAILURES_PER_MINUTE: '1000000' },
      })
      otherShopper = ctx.services.auth.issueShopperToken(
        await ctx.services.identity.ensureSubjectId('someone-else'),
      ).token
      await ctx.services.identity.ensureSubjectId('customer-under-test')
    })
    afterAll(async () => {
      await ctx?.close()
    })

    it('declares access on every route, and only the known ones are public', () => {
      const publicRoutes = ctx.routes.filter(
        (r) => 'public' in r.access && !r.url.startsWith('/docs'),
      )
      for (const route of publicRoutes)
        expect(PUBLIC, `${route.method} ${route.url}`).toContain(route.url)
      expect(ctx.routes.filter((r) => !('public' in r.access)).length).toBeGreaterThan(3)
    })

    it('refuses every caller a protected route does not name', async () => {
      let checked = 0
      for (const route of ctx.routes) {
        if ('public' in route.access) continue
        const method = route.method as 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH'
        const url = fill(route.url)
        const label = `${route.method} ${route.url}`
        const anonymous = await ctx.request({
          method,
          url,
          ...(method === 'GET' ? {} : { payload: {} }),
        })
        expect(anonymous.statusCode, `${label} anonymous`).toBe(401)
        const garbage = await ctx.request({ method, url, as: { token: 'ck_nope.nope' } })
        expect(garbage.statusCode, `${label} bad key`).toBe(401)
        for (const role of ROLES) {
          if (route.access.roles.includes(role)) continue
          const response = await ctx.request({ method, url, as: role })
          expect(response.statusCode, `${label} as ${role}`).toBe(403)
        }
        if (route.access.shopper !== true) {
          const response = await ctx.request({ method, url, as: { token: otherShopper } })
          expect(response.statusCode, `${label} as shopper`).toBe(403)
        } else if (route.url.includes(':ref')) {
          const response = await ctx.request({ method, url, as: { token: otherShopper } })
          expect(response.statusCode, `${label} as another shopper`).toBe(403)
        }
        checked++
      }
      expect(checked).toBe(ctx.routes.filter((r) => !('public' in r.access)).length)
    })
  })
}
