import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SDK_BUDGET_GZIP_BYTES, buildSdk } from '../scripts/build-sdk.js'
import {
  DEMO_STAFF_KEY_FILE,
  ensureDemoStaffKey,
  loadDemoData,
  seedDemo,
} from '../src/modules/demo/index.js'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'

describe('the browser SDK', () => {
  it(`stays within its size budget (${SDK_BUDGET_GZIP_BYTES / 1024} KB gzipped) with the on-device engine in it`, async () => {
    const sdk = await buildSdk()
    expect(sdk.gzipBytes).toBeGreaterThan(1000)
    expect(sdk.gzipBytes).toBeLessThanOrEqual(SDK_BUDGET_GZIP_BYTES)
    // No runtime dependencies: nothing is imported or required at run time.
    expect(sdk.code).not.toMatch(/\brequire\(|\bimport\(/)
    // The budget covers the on-device level: the engine's serving-model reader and IndexedDB store.
    expect(sdk.code).toContain('CNDRSM01')
    expect(sdk.code).toContain('candor-on-device')
  })
})

describe('pages and demo mode', () => {
  let ctx: TestContext
  beforeAll(async () => {
    ctx = await createTestContext('sqlite')
  })
  afterAll(async () => {
    await ctx?.close()
  })

  it('serves every page path with the same HTML, a strict CSP and no caching', async () => {
    for (const url of ['/', '/c/kitchen', '/p/85123A', '/basket', '/privacy', '/console']) {
      const response = await ctx.request({ method: 'GET', url })
      expect(response.statusCode, url).toBe(200)
      expect(response.headers['content-type']).toContain('text/html')
      expect(response.headers['content-security-policy']).toContain("script-src 'self'")
      expect(response.body).toContain('<div id="app">')
    }
  })

  it('serves the built assets and the SDK, and nothing outside them', async () => {
    const html = (await ctx.request({ method: 'GET', url: '/' })).body
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1]
    expect(script).toBeDefined()
    const asset = await ctx.request({ method: 'GET', url: script! })
    expect(asset.statusCode).toBe(200)
    expect(asset.headers['content-type']).toContain('text/javascript')
    expect(asset.headers['cache-control']).toContain('immutable')
    const sdk = await ctx.request({ method: 'GET', url: '/sdk/candor.min.js' })
    expect(sdk.statusCode).toBe(200)
    for (const url of ['/assets/..%2Fpackage.json', '/assets/.env', '/assets/nope.js']) {
      expect((await ctx.request({ method: 'GET', url })).statusCode, url).toBe(404)
    }
  })

  it('serves the icon at /favicon.ico and /favicon.svg, and the page links it', async () => {
    const html = (await ctx.request({ method: 'GET', url: '/privacy' })).body
    expect(html).toContain('<link rel="icon" href="/favicon.svg"')
    for (const url of ['/favicon.ico', '/favicon.svg']) {
      const icon = await ctx.request({ method: 'GET', url })
      expect(icon.statusCode, url).toBe(200)
      expect(icon.headers['content-type']).toBe('image/svg+xml')
      expect(icon.body).toMatch(/^<svg [^>]*viewBox="0 0 32 32"/)
    }
  })

  it('issues demo sessions for demo shoppers and new visitors only', async () => {
    const visitor = (
      await ctx.request({ method: 'POST', url: '/demo/session', payload: {} })
    ).json()
    expect(visitor.ref).toMatch(/^visitor-[a-z0-9]+$/)
    const again = (
      await ctx.request({ method: 'POST', url: '/demo/session', payload: { ref: visitor.ref } })
    ).json()
    expect(again.ref).toBe(visitor.ref)
    const demo = (
      await ctx.request({
        method: 'POST',
        url: '/demo/session',
        payload: { ref: 'demo-shopper-2' },
      })
    ).json()
    expect(demo.ref).toBe('demo-shopper-2')
    // Any other reference (a real customer's) gets a new visitor instead.
    const other = (
      await ctx.request({ method: 'POST', url: '/demo/session', payload: { ref: 'customer-42' } })
    ).json()
    expect(other.ref).toMatch(/^visitor-/)
    const consents = await ctx.request({
      method: 'GET',
      url: `/v1/subjects/${demo.ref}/consents`,
      as: { token: demo.token },
    })
    expect(consents.statusCode).toBe(200)
  })

  it('serves the demo catalog', async () => {
    const catalog = (await ctx.request({ method: 'GET', url: '/demo/catalog' })).json()
    expect(catalog.products.length).toBe(300)
    expect(catalog.categories.length).toBeGreaterThan(3)
    expect(catalog.shoppers.map((s: { ref: string }) => s.ref)).toContain('demo-shopper-1')
  })

  it('has no shop and no demo routes when demo mode is off', async () => {
    const off = await createTestContext('sqlite', { env: { CANDOR_DEMO: 'off' } })
    try {
      expect((await off.request({ method: 'GET', url: '/' })).statusCode).toBe(404)
      expect((await off.request({ method: 'GET', url: '/basket' })).statusCode).toBe(404)
      expect(
        (await off.request({ method: 'POST', url: '/demo/session', payload: {} })).statusCode,
      ).toBe(404)
      expect((await off.request({ method: 'GET', url: '/privacy' })).statusCode).toBe(200)
    } finally {
      await off.close()
    }
  })

  it('writes the demo staff key to a 0600 file and keeps it while it works', async () => {
    const file = await ensureDemoStaffKey(ctx.services, ctx.database.dir)
    expect(path.basename(file)).toBe(DEMO_STAFF_KEY_FILE)
    expect(fs.statSync(file).mode & 0o777).toBe(0o600)
    const key = fs.readFileSync(file, 'utf8').trim()
    expect(
      (await ctx.request({ method: 'GET', url: '/v1/audit/verify', as: { token: key } }))
        .statusCode,
    ).toBe(200)
    await ensureDemoStaffKey(ctx.services, ctx.database.dir)
    expect(fs.readFileSync(file, 'utf8').trim()).toBe(key)
  })
})

for (const dialect of DIALECTS) {
  describe(`the demo seed on ${dialect}`, () => {
    let ctx: TestContext
    beforeAll(async () => {
      ctx = await createTestContext(dialect)
    })
    afterAll(async () => {
      await ctx?.close()
    })

    it('seeds an empty database once, through the services', async () => {
      const full = loadDemoData()
      const shoppers = new Set(['demo-shopper-1', 'demo-shopper-2', 'demo-bg-001'])
      const data = {
        products: full.products,
        purchases: full.purchases.filter((p) => shoppers.has(p.shopper)),
      }
      const first = await seedDemo(ctx.services, data)
      expect(first).toMatchObject({ seeded: true, products: 300, shoppers: 3 })
      expect(first.events.stored).toBe(data.purchases.length)
      const second = await seedDemo(ctx.services, data)
      expect(second.seeded).toBe(false)
      const item = await ctx.request({ method: 'GET', url: '/v1/items/85123A', as: 'storefront' })
      expect(item.statusCode).toBe(200)
      const consents = await ctx.request({
        method: 'GET',
        url: '/v1/subjects/demo-shopper-1/consents',
        as: 'admin',
      })
      const personal = consents
        .json()
        .decisions.find((d: { purpose: string }) => d.purpose === 'personalize.recommendations')
      expect(personal.allowed).toBe(true)
    })
  })
}
