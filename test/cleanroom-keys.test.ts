import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCandor } from './helpers/cli.js'
import {
  DIALECTS,
  type TestContext,
  type TestDatabase,
  createTestContext,
  createTestDatabase,
} from './helpers/test-context.js'

/**
 * Issue 19, the clean room: a `partner` key names one charter vendor that lists a clean-room purpose
 * (the example charter's retail-media), and reaches only the clean room and its own budget.
 */
for (const dialect of DIALECTS) {
  describe(`partner keys on ${dialect}`, () => {
    let ctx: TestContext
    beforeAll(async () => {
      ctx = await createTestContext(dialect)
    })
    afterAll(async () => {
      await ctx?.close()
    })

    const create = (payload: Record<string, unknown>) =>
      ctx.request({ method: 'POST', url: '/v1/admin/keys', as: 'admin', payload })

    it('creates a partner key for a clean-room vendor, and refuses any other vendor naming the field', async () => {
      const made = await create({ role: 'partner', name: 'media', vendor: 'retail-media' })
      expect(made.statusCode, made.body).toBe(201)
      expect(made.json()).toMatchObject({ role: 'partner', vendor: 'retail-media' })

      for (const payload of [
        { role: 'partner', name: 'media' },
        { role: 'partner', name: 'media', vendor: 'cloud-host' },
        { role: 'partner', name: 'media', vendor: 'no-such-vendor-zq' },
        { role: 'storefront', name: 'shop', vendor: 'retail-media' },
      ]) {
        const refused = await create(payload)
        expect(refused.statusCode, JSON.stringify(payload)).toBe(400)
        const problem = refused.json<{ errors: { field: string }[] }>()
        expect(problem.errors[0]?.field).toBe('body.vendor')
        expect(refused.body).not.toContain('no-such-vendor-zq')
      }
      const keys = await ctx.request({ method: 'GET', url: '/v1/admin/keys', as: 'admin' })
      // The context's own partner key and the one made here; nothing from the refusals.
      expect(
        keys.json<{ keys: { role: string }[] }>().keys.filter((k) => k.role === 'partner'),
      ).toHaveLength(2)
    })

    it('a partner key reaches no staff route, not even /v1/me', async () => {
      const partnerRoutes = ctx.routes.filter(
        (r) => !('public' in r.access) && r.access.roles.includes('partner'),
      )
      for (const route of partnerRoutes) {
        const allowed =
          route.url.startsWith('/v1/cleanroom/') ||
          (route.method === 'GET' && route.url === '/v1/insights/budget')
        expect(allowed, `${route.method} ${route.url}`).toBe(true)
      }
      // Its own budget: the charter's clean-room budget, not the analysts'.
      const budget = await ctx.request({ method: 'GET', url: '/v1/insights/budget', as: 'partner' })
      expect(budget.statusCode, budget.body).toBe(200)
      expect(budget.json()).toMatchObject({ rho: 1, periodDays: 30, spentRho: 0 })
      for (const url of ['/v1/me', '/v1/admin/keys', '/v1/recommendations/quality']) {
        const response = await ctx.request({ method: 'GET', url, as: 'partner' })
        expect(response.statusCode, url).toBe(403)
      }
    })
  })
}

describe('candor keys create --role partner', { timeout: 120_000 }, () => {
  let database: TestDatabase
  let env: Record<string, string>
  beforeAll(async () => {
    database = await createTestDatabase('sqlite')
    env = {
      CANDOR_DATA_DIR: database.dir,
      CANDOR_DATABASE_URL: database.url,
      CANDOR_CHARTER_FILE: path.resolve('candor.charter.yaml'),
    }
  })
  afterAll(async () => {
    await database?.drop()
  })

  it('needs --vendor naming a clean-room vendor, and lists the key with it', () => {
    const without = runCandor(['keys', 'create', '--role', 'partner'], env)
    expect(without.code).toBe(1)
    expect(without.stderr).toContain('vendor: a partner key must name a charter vendor')
    expect(without.stdout).toBe('')
    const made = runCandor(['keys', 'create', '--role', 'partner', '--vendor', 'retail-media'], env)
    expect(made.code, made.stderr).toBe(0)
    expect(made.stdout).toMatch(/^ck_[a-z0-9]+\.\S+\n$/)
    const listed = runCandor(['keys', 'list'], env)
    expect(listed.stdout).toMatch(/\tpartner:retail-media\tactive\t/)
  })
})
