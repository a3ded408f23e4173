import { EventSource } from 'eventsource'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'
import { seedShopper } from './helpers/shoppers.js'
import { startWebhookReceiver } from './helpers/webhook-receiver.js'

/** An SSE client on the live feed with an API key in the header: every event received, by type. */
async function listen(base: string, key: string) {
  const received: Array<{ type: string; id: string; data: Record<string, unknown> }> = []
  const source = new EventSource(`${base}/v1/voice/feed`, {
    fetch: (input, init) =>
      fetch(input, { ...init, headers: { ...init?.headers, authorization: `Bearer ${key}` } }),
  })
  await new Promise<void>((resolve, reject) => {
    source.addEventListener('ready', () => resolve())
    source.onerror = (event) => reject(new Error(`feed error ${String(event.code)}`))
  })
  for (const type of ['entry', 'alert']) {
    source.addEventListener(type, (event) => {
      received.push({ type, id: event.lastEventId, data: JSON.parse(event.data) })
    })
  }
  return { received, close: () => source.close() }
}

async function until(check: () => boolean, ms = 5000) {
  const end = Date.now() + ms
  while (!check() && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 20))
}

for (const dialect of DIALECTS) {
  describe(`voice live feed on ${dialect}`, () => {
    let ctx: TestContext
    let base: string
    let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>
    beforeAll(async () => {
      receiver = await startWebhookReceiver()
      ctx = await createTestContext(dialect, { env: { CANDOR_VOICE_WEBHOOK_URL: receiver.url } })
      await ctx.app.listen({ port: 0, host: '127.0.0.1' })
      const address = ctx.app.server.address()
      if (address === null || typeof address === 'string') throw new Error('no address')
      base = `http://127.0.0.1:${address.port}`
    })
    afterAll(async () => {
      await ctx?.close()
      await receiver?.close()
    })

    it('streams a burst of negative reviews and its alert within a minute, the webhook gets the same alert', async () => {
      const feed = await listen(base, ctx.keys.analyst)
      try {
        await seedShopper(ctx, 'feed-burst', { events: 1 })
        const item = 'FEED-84029'
        const burstStart = ctx.clock.now().getTime()
        let alertedAt: number | undefined
        for (let i = 0; i < 7; i++) {
          const response = await ctx.request({
            method: 'POST',
            url: '/v1/voice',
            as: 'storefront',
            payload: {
              kind: 'review',
              subject: 'feed-burst',
              item,
              rating: 1,
              text: 'Arrived broken, awful quality',
            },
          })
          expect(response.statusCode, response.body).toBe(201)
          await ctx.services.voice.idle()
          await until(() => feed.received.filter((e) => e.type === 'entry').length > i)
          if (alertedAt === undefined && feed.received.some((e) => e.type === 'alert'))
            alertedAt = ctx.clock.now().getTime()
          ctx.clock.advance(8_000)
        }
        expect(alertedAt, 'an alert reached the feed').toBeDefined()
        expect(alertedAt! - burstStart).toBeLessThanOrEqual(60_000)
        const entries = feed.received.filter((e) => e.type === 'entry')
        expect(entries).toHaveLength(7)
        expect(entries[0]!.data).toMatchObject({ kind: 'review', item, rating: 1, negative: true })
        const streamed = feed.received.filter((e) => e.type === 'alert').map((e) => e.data)
        const itemAlert = streamed.find((a) => JSON.stringify(a.target).includes(item))
        expect(itemAlert).toMatchObject({ type: 'voice.negative_spike' })
        // The webhook got the very same alerts (same ids), one per target and hour.
        const posted = receiver.bodies as Array<{ id: string }>
        expect(posted.map((a) => a.id).sort()).toEqual(streamed.map((a) => a.id).sort())
        expect(feed.received.find((e) => e.type === 'alert')!.id).toBe(streamed[0]!.id)
        // Pseudonymous: no shop reference, no pseudonym, no expiry.
        const wire = JSON.stringify(feed.received)
        expect(wire).not.toMatch(/feed-burst|sub_|expiresAt|owner/)
      } finally {
        feed.close()
      }
    })

    it('is for analysts and admins only', async () => {
      for (const role of ['storefront', 'privacy_officer'] as const) {
        const response = await fetch(`${base}/v1/voice/feed`, {
          headers: { authorization: `Bearer ${ctx.keys[role]}`, accept: 'text/event-stream' },
        })
        expect(response.status).toBe(403)
        expect(response.headers.get('content-type')).toContain('application/problem+json')
      }
      const anonymous = await fetch(`${base}/v1/voice/feed`)
      expect(anonymous.status).toBe(401)
    })
  })
}
