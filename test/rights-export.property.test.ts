import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'
import { PERSONAL } from './helpers/shoppers.js'

interface ShopperPlan {
  consent: boolean
  events: number
  email: boolean
}

const shopperPlan = fc.record({
  consent: fc.boolean(),
  events: fc.integer({ min: 0, max: 6 }),
  email: fc.boolean(),
})

for (const dialect of DIALECTS) {
  describe(`access export on ${dialect}`, () => {
    let ctx: TestContext
    let version: string
    beforeAll(async () => {
      ctx = await createTestContext(dialect)
      version = (await ctx.request({ method: 'GET', url: '/v1/notice' })).json().version
    })
    afterAll(async () => {
      await ctx?.close()
    })

    it('holds everything and only what belongs to the subject, for any mix of shoppers', async () => {
      let run = 0
      await fc.assert(
        fc.asyncProperty(
          fc.array(shopperPlan, { minLength: 2, maxLength: 4 }),
          fc.nat(),
          async (plans, pick) => {
            run += 1
            const refs = plans.map((_, i) => `prop-${run}-${i}`)
            const expected = new Map<
              string,
              { events: string[]; email?: string; purposes: string[] }
            >()
            for (const [i, plan] of plans.entries() as IterableIterator<[number, ShopperPlan]>) {
              const ref = refs[i]!
              const subjectId = await ctx.services.identity.ensureSubjectId(ref)
              const purposes: string[] = []
              const decision = plan.consent || plan.events > 0 ? 'granted' : 'denied'
              await ctx.request({
                method: 'PUT',
                url: `/v1/subjects/${ref}/consents/${PERSONAL}`,
                as: 'storefront',
                payload: { decision, noticeVersion: version },
              })
              purposes.push(PERSONAL)
              if (plan.email) {
                await ctx.services.identity.writeVault(ctx.storage.db, subjectId, {
                  email: `${ref}@example.org`,
                })
              }
              const ids = Array.from({ length: plan.events }, (_, e) => `${ref}-e${e}`)
              if (ids.length > 0) {
                const response = await ctx.request({
                  method: 'POST',
                  url: '/v1/events',
                  as: 'storefront',
                  payload: {
                    events: ids.map((id) => ({
                      id,
                      type: 'view',
                      subject: ref,
                      item: 'ITEM1',
                      timestamp: ctx.clock.now().toISOString(),
                    })),
                  },
                })
                expect(
                  response.json().results.every((r: { status: string }) => r.status === 'stored'),
                ).toBe(true)
              }
              expected.set(ref, {
                events: ids,
                purposes,
                ...(plan.email ? { email: `${ref}@example.org` } : {}),
              })
            }
            const target = refs[pick % refs.length]!
            const filed = await ctx.request({
              method: 'POST',
              url: '/v1/rights-requests',
              as: 'privacy_officer',
              payload: { type: 'access', subject: target },
            })
            const exported = (
              await ctx.request({
                method: 'GET',
                url: `/v1/rights-requests/${filed.json().id}/export`,
                as: 'privacy_officer',
              })
            ).json()
            const want = expected.get(target)!
            const subjectId = await ctx.services.identity.findSubjectId(target)
            expect(exported.subjectId).toBe(subjectId)
            expect(exported.events.events.map((e: { id: string }) => e.id).sort()).toEqual(
              [...want.events].sort(),
            )
            expect(
              exported.events.events.every((e: { subjectId: string }) => e.subjectId === subjectId),
            ).toBe(true)
            expect(
              exported.consent.consentRecords.map((r: { purpose: string }) => r.purpose),
            ).toEqual(want.purposes)
            expect(exported.identity.vault?.email).toBe(want.email)
            const text = JSON.stringify(exported)
            for (const other of refs.filter((r) => r !== target))
              expect(text.includes(`${other}-`)).toBe(false)
            expect(
              exported.audit.entries.every((e: { subjectId: string }) => e.subjectId === subjectId),
            ).toBe(true)
          },
        ),
        { numRuns: 12 },
      )
    })
  })
}
