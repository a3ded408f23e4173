import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'

// Three references that differ only in a lone surrogate: UTF-8 would turn each into U+FFFD, so before
// the check they hashed alike and became one subject.
const LONE = ['cust-\ud800', 'cust-\udc00', 'cust-\udfff']

for (const dialect of DIALECTS) {
  describe(`customer references on ${dialect}`, () => {
    let ctx: TestContext
    beforeAll(async () => {
      ctx = await createTestContext(dialect)
    })
    afterAll(async () => {
      await ctx?.close()
    })

    it('refuses a reference that is not well-formed Unicode, naming the field, and keeps nothing', async () => {
      for (const subject of LONE) {
        const token = await ctx.request({
          method: 'POST',
          url: '/v1/shopper-tokens',
          as: 'storefront',
          payload: { subject },
        })
        expect(token.statusCode).toBe(400)
        const problem = token.json<{ errors: { field: string; reason: string }[] }>()
        expect(problem.errors).toContainEqual({
          field: 'body.subject',
          reason: 'must be well-formed Unicode (no lone surrogate)',
        })
        const events = await ctx.request({
          method: 'POST',
          url: '/v1/events',
          as: 'storefront',
          payload: { events: [{ id: 'e-1', type: 'view', subject, item: '85123A' }] },
        })
        expect(events.statusCode).toBe(200)
        expect(events.json<{ results: unknown[] }>().results[0]).toMatchObject({
          status: 'refused',
          reason: 'malformed',
          field: 'subject',
        })
        const rights = await ctx.request({
          method: 'POST',
          url: '/v1/rights-requests',
          as: 'privacy_officer',
          payload: { subject, type: 'access' },
        })
        expect(rights.statusCode).toBe(400)
        expect(rights.body).toContain('body.subject')
      }
      const subjects = await sql<{
        n: number | string
      }>`select count(*) as n from subjects`.execute(ctx.storage.db)
      expect(Number(subjects.rows[0]!.n)).toBe(0)
    })

    it('still takes any well-formed reference, astral characters included, as distinct subjects', async () => {
      const refs = ['cust-\u{1F600}', 'cust-\ufffd', 'Kund:in-Ä']
      const ids = new Set<string>()
      for (const subject of refs) {
        const token = await ctx.request({
          method: 'POST',
          url: '/v1/shopper-tokens',
          as: 'storefront',
          payload: { subject },
        })
        expect(token.statusCode, token.body).toBe(201)
        ids.add((await ctx.services.identity.findSubjectId(subject))!)
      }
      expect(ids.size).toBe(3)
    })
  })
}
