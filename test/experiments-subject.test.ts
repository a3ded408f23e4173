import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'

const SESSION_PURPOSE = 'personalize.session'

for (const dialect of DIALECTS) {
  describe(`a shopper's own experiments (GET /v1/subjects/:ref/experiments) on ${dialect}`, () => {
    let ctx: TestContext
    beforeAll(async () => {
      ctx = await createTestContext(dialect)
    })
    afterAll(async () => {
      await ctx?.close()
    })

    async function enrolled(ref: string): Promise<{ id: string; variant: string }> {
      const version = (await ctx.request({ method: 'GET', url: '/v1/notice' })).json()
        .version as string
      const created = await ctx.request({
        method: 'POST',
        url: '/v1/experiments',
        as: 'admin',
        payload: {
          name: 'Fewer popular items',
          target: 'recommendation_parameters',
          variants: [
            { name: 'control', settings: {} },
            { name: 'less_popular', settings: { 'personal.popularityWeight': 0 } },
          ],
          primaryMetric: 'purchase',
          stages: [1],
        },
      })
      expect(created.statusCode).toBe(201)
      const id = created.json().id as string
      const subjectId = await ctx.services.identity.ensureSubjectId(ref)
      await ctx.services.consent.recordChange(
        subjectId,
        SESSION_PURPOSE,
        { decision: 'granted', method: 'api', noticeVersion: version },
        {},
        { kind: 'system', name: 'test' },
      )
      const a = await ctx.request({
        method: 'GET',
        url: `/v1/experiments/${id}/assignment?subject=${ref}`,
        as: 'storefront',
      })
      expect(a.json().status).toBe('enrolled')
      return { id, variant: a.json().variant as string }
    }

    it('lists the experiments a shopper is in, in plain words, to their own token', async () => {
      const { id, variant } = await enrolled('exp-reader')
      const subjectId = await ctx.services.identity.ensureSubjectId('exp-reader')
      const { token } = ctx.services.auth.issueShopperToken(subjectId)
      const own = await ctx.request({
        method: 'GET',
        url: '/v1/subjects/exp-reader/experiments',
        as: { token },
      })
      expect(own.statusCode).toBe(200)
      const body = own.json()
      expect(body.experiments).toHaveLength(1)
      expect(body.experiments[0]).toMatchObject({
        experiment: id,
        name: 'Fewer popular items',
        status: 'running',
        variant,
        control: variant === 'control',
      })
      expect(body.experiments[0].differs).toBe(
        variant === 'control'
          ? 'Nothing differs for you: you see the usual version, for comparison.'
          : 'Your suggestions are ranked differently: we change how much items popular with everyone count.',
      )
      expect(typeof body.answersShaped).toBe('number')
    })

    it("refuses another shopper's token, and answers an empty list for a shopper never enrolled", async () => {
      await enrolled('exp-other')
      const strangerId = await ctx.services.identity.ensureSubjectId('exp-stranger')
      const { token } = ctx.services.auth.issueShopperToken(strangerId)
      const other = await ctx.request({
        method: 'GET',
        url: '/v1/subjects/exp-other/experiments',
        as: { token },
      })
      expect(other.statusCode).toBe(403)
      expect(JSON.stringify(other.json())).not.toContain('Fewer popular items')
      const own = await ctx.request({
        method: 'GET',
        url: '/v1/subjects/exp-stranger/experiments',
        as: { token },
      })
      expect(own.json()).toEqual({ experiments: [], answersShaped: 0 })
      const unknown = await ctx.request({
        method: 'GET',
        url: '/v1/subjects/exp-nobody/experiments',
        as: 'privacy_officer',
      })
      expect(unknown.json()).toEqual({ experiments: [], answersShaped: 0 })
      const analyst = await ctx.request({
        method: 'GET',
        url: '/v1/subjects/exp-other/experiments',
        as: 'analyst',
      })
      expect(analyst.statusCode).toBe(403)
    })
  })
}
