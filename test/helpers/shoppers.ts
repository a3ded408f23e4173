import { expect } from 'vitest'
import type { TestContext } from './test-context.js'

export const PERSONAL = 'personalize.recommendations'

/**
 * A realistic shopper through the public API: consent to personalization (UK), a vault entry with an
 * e-mail and a name, and `events` view/purchase events.
 */
export async function seedShopper(
  ctx: TestContext,
  ref: string,
  options: { events?: number; email?: string } = {},
) {
  const version = (await ctx.request({ method: 'GET', url: '/v1/notice' })).json().version as string
  const granted = await ctx.request({
    method: 'PUT',
    url: `/v1/subjects/${ref}/consents/${PERSONAL}`,
    as: 'storefront',
    payload: { decision: 'granted', method: 'banner', noticeVersion: version, jurisdiction: 'UK' },
  })
  expect(granted.statusCode).toBe(200)
  const subjectId = (await ctx.services.identity.findSubjectId(ref))!
  await ctx.services.identity.writeVault(ctx.storage.db, subjectId, {
    email: options.email ?? `${ref}@example.org`,
    name: `Name of ${ref}`,
  })
  const count = options.events ?? 5
  const at = ctx.clock.now().getTime()
  const events = Array.from({ length: count }, (_, i) => ({
    id: `${ref}-ev-${i}`,
    type: i % 3 === 0 ? 'purchase' : 'view',
    subject: ref,
    item: `ITEM${i % 7}`,
    timestamp: new Date(at - (count - i) * 60_000).toISOString(),
    ...(i % 3 === 0 ? { quantity: 1, price: 2.5 } : {}),
  }))
  for (let start = 0; start < events.length; start += 1000) {
    const response = await ctx.request({
      method: 'POST',
      url: '/v1/events',
      as: 'storefront',
      payload: { events: events.slice(start, start + 1000) },
    })
    expect(response.statusCode, response.body).toBe(200)
    const statuses = (response.json().results as Array<{ status: string }>).map((r) => r.status)
    expect(
      statuses.every((s) => s === 'stored'),
      JSON.stringify(response.json().results.slice(0, 3)),
    ).toBe(true)
  }
  return { subjectId, version }
}
