import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type TestContext, createTestContext } from './helpers/test-context.js'

/** A shopper's own events count at once, even when the shop's clock runs a little ahead of ours. */
describe('a new shopper with views only, on sqlite', () => {
  let ctx: TestContext
  beforeAll(async () => {
    ctx = await createTestContext('sqlite')
  })
  afterAll(async () => {
    await ctx?.close()
  })

  it('gets reasons from their own views, though the views were timestamped ahead of the server', async () => {
    await ctx.request({
      method: 'PUT',
      url: '/v1/items',
      as: 'storefront',
      payload: { items: ['A', 'B', 'C', 'D'].map((id) => ({ id, title: `Item ${id}` })) },
    })
    const version = (await ctx.request({ method: 'GET', url: '/v1/notice' })).json().version
    const consent = (ref: string) =>
      ctx.request({
        method: 'PUT',
        url: `/v1/subjects/${ref}/consents/personalize.recommendations`,
        as: 'storefront',
        payload: { decision: 'granted', noticeVersion: version },
      })
    for (let s = 0; s < 6; s++) {
      await consent(`buyer-${s}`)
      await ctx.request({
        method: 'POST',
        url: '/v1/events',
        as: 'storefront',
        payload: {
          events: ['A', 'B'].map((item) => ({
            id: `${s}-${item}`,
            type: 'purchase',
            subject: `buyer-${s}`,
            item,
            timestamp: ctx.clock.now().toISOString(),
          })),
        },
      })
    }
    await ctx.services.recommend.train()
    await consent('newbie')
    const ahead = new Date(ctx.clock.now().getTime() + 90_000).toISOString()
    const stored = await ctx.request({
      method: 'POST',
      url: '/v1/events',
      as: 'storefront',
      payload: {
        events: [{ id: 'v1', type: 'view', subject: 'newbie', item: 'A', timestamp: ahead }],
      },
    })
    expect(stored.json().results[0].status).toBe('stored')
    const answer = (
      await ctx.request({
        method: 'GET',
        url: '/v1/recommendations?subject=newbie&limit=3',
        as: 'storefront',
      })
    ).json()
    expect(answer.level).toBe('personal')
    const b = answer.items.find((i: { id: string }) => i.id === 'B')
    expect(b.explanation).toMatchObject({
      kind: 'bought_together',
      evidence: [{ id: 'A', title: 'Item A' }],
    })
  })
})
