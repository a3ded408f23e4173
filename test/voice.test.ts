import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DAY_MS } from '../src/lib/clock.js'
import { createOutboxNotifier } from '../src/modules/rights/index.js'
import path from 'node:path'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'
import { seedShopper } from './helpers/shoppers.js'
import { dumpDatabase } from './helpers/raw-scan.js'
import { startWebhookReceiver } from './helpers/webhook-receiver.js'

for (const dialect of DIALECTS) {
  describe(`voice of the customer on ${dialect}`, () => {
    let ctx: TestContext
    let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>
    beforeAll(async () => {
      receiver = await startWebhookReceiver()
      ctx = await createTestContext(dialect, { env: { CANDOR_VOICE_WEBHOOK_URL: receiver.url } })
    })
    afterAll(async () => {
      await ctx?.close()
      await receiver?.close()
    })
    const post = (payload: object, as: 'storefront' | { token: string } = 'storefront') =>
      ctx.request({ method: 'POST', url: '/v1/voice', as, payload })

    it('takes a review under the purpose, analyses it and returns no text', async () => {
      await seedShopper(ctx, 'voice-1', { events: 1 })
      const response = await post({
        kind: 'review',
        subject: 'voice-1',
        item: '85123A',
        rating: 5,
        text: 'Lovely holder, great quality and it arrived fast.',
      })
      expect(response.statusCode, response.body).toBe(201)
      const receipt = response.json()
      expect(receipt).toMatchObject({
        purpose: 'personalize.recommendations',
        negative: false,
        aspects: ['delivery', 'quality'],
      })
      expect(receipt.sentiment).toBeGreaterThan(0)
      expect(response.body).not.toContain('Lovely')
      expect(Date.parse(receipt.expiresAt) - ctx.clock.now().getTime()).toBe(365 * DAY_MS)
    })

    it('refuses text holding personal data with a 400 naming the field, storing and echoing nothing', async () => {
      await seedShopper(ctx, 'voice-pii', { events: 1 })
      const cases = [
        { field: 'text', value: 'Wrong colour, write to me at jo.bloggs@example.net' },
        { field: 'text', value: 'Call me on +44 7700 900123 about the parcel' },
        { field: 'answer', value: 'card 4111 1111 1111 1111' },
      ]
      for (const { field, value } of cases) {
        const response = await post({
          kind: 'survey',
          subject: 'voice-pii',
          survey: 'helpful',
          question: 'q1',
          answer: field === 'answer' ? value : 'no',
          ...(field === 'text' ? { text: value } : {}),
        })
        expect(response.statusCode, response.body).toBe(400)
        expect(response.headers['content-type']).toContain('application/problem+json')
        expect(response.json().errors[0].field).toBe(`body.${field}`)
        expect(response.body).not.toContain(value)
        expect(response.body).not.toMatch(/jo\.bloggs|7700|4111/)
      }
      const dump = await dumpDatabase(ctx)
      expect(dump).not.toMatch(/jo\.bloggs|7700 900123|4111 1111/)
      const exported = await ctx.services.voice.exportSubject(
        (await ctx.services.identity.findSubjectId('voice-pii'))!,
      )
      expect(exported.entries).toEqual([])
    })

    it('refuses without consent, a purpose that does not carry feedback, and another shopper', async () => {
      const unknown = await post({ kind: 'feedback', subject: 'never-consented', text: 'meh' })
      expect(unknown.statusCode).toBe(403)
      expect(unknown.json().code).toBe('consent_required')
      expect(await ctx.services.identity.findSubjectId('never-consented')).toBeUndefined()
      const visitor = await post({ kind: 'feedback', session: 'visit-voice-0001', text: 'meh' })
      expect(visitor.statusCode).toBe(403)
      // A visit is named as everywhere else (the session module's schema): printable, no spaces.
      const badVisit = await post({ kind: 'feedback', session: 'visit voice 0001', text: 'meh' })
      expect(badVisit.statusCode).toBe(400)
      expect(badVisit.json().errors[0].field).toBe('body.session')
      await seedShopper(ctx, 'voice-2', { events: 1 })
      const wrongPurpose = await post({
        kind: 'feedback',
        subject: 'voice-2',
        purpose: 'analytics.reporting',
        text: 'meh',
      })
      expect(wrongPurpose.statusCode).toBe(400)
      expect(wrongPurpose.json().errors[0].field).toBe('body.purpose')
      const missing = await post({ kind: 'review', subject: 'voice-2', item: 'X1' })
      expect(missing.statusCode).toBe(400)
      const other = await seedShopper(ctx, 'voice-3', { events: 1 })
      const { token } = ctx.services.auth.issueShopperToken(other.subjectId)
      const own = await post(
        { kind: 'feedback', subject: 'voice-3', text: 'These suggestions are spot on' },
        { token },
      )
      expect(own.statusCode, own.body).toBe(201)
      const foreign = await post({ kind: 'feedback', subject: 'voice-2', text: 'hello' }, { token })
      expect(foreign.statusCode).toBe(403)
    })

    it('hides an item rated 1 or 2 for that shopper (the recommend module "not this"), not one rated 3', async () => {
      const { subjectId } = await seedShopper(ctx, 'voice-hide', { events: 1 })
      const other = await seedShopper(ctx, 'voice-hide-other', { events: 1 })
      for (const [item, rating] of [
        ['HIDE-1', 1],
        ['HIDE-2', 2],
        ['KEEP-3', 3],
      ] as const) {
        const response = await post({ kind: 'review', subject: 'voice-hide', item, rating })
        expect(response.statusCode, response.body).toBe(201)
      }
      const hidden = await ctx.services.recommend.hiddenFor(subjectId)
      expect([...hidden].sort()).toEqual(['HIDE-1', 'HIDE-2'])
      // Only for the shopper who rated it.
      expect((await ctx.services.recommend.hiddenFor(other.subjectId)).has('HIDE-1')).toBe(false)
    })

    it('exports the shopper voice entries and erases them with the shopper', async () => {
      const { subjectId } = await seedShopper(ctx, 'voice-rights', { events: 1 })
      const text = 'These suggestions feel creepy, stop tracking me'
      expect((await post({ kind: 'feedback', subject: 'voice-rights', text })).statusCode).toBe(201)
      // Export through a verified self-service portability request.
      const { token } = ctx.services.auth.issueShopperToken(subjectId)
      const filed = await ctx.request({
        method: 'POST',
        url: '/v1/rights-requests',
        as: { token },
        payload: { type: 'portability', subject: 'voice-rights' },
      })
      expect(filed.statusCode).toBe(201)
      const id = filed.json().id as string
      const code = createOutboxNotifier(path.join(ctx.config.dataDir, 'outbox')).read(id)[0]!.code
      const verified = await ctx.request({
        method: 'POST',
        url: `/v1/rights-requests/${id}/verify`,
        as: { token },
        payload: { code },
      })
      expect(verified.json().status).toBe('completed')
      const exported = await ctx.request({
        method: 'GET',
        url: `/v1/rights-requests/${id}/export`,
        as: { token },
      })
      const entries = exported.json().voice.entries as Array<{ text: string; aspects: string[] }>
      expect(entries).toHaveLength(1)
      expect(entries[0]).toMatchObject({ text, aspects: ['relevance', 'privacy'], negative: true })
      // Erasure by staff removes them.
      const erased = await ctx.request({
        method: 'POST',
        url: '/v1/rights-requests',
        as: 'privacy_officer',
        payload: { type: 'erasure', subject: 'voice-rights', jurisdiction: 'UK' },
      })
      expect(erased.statusCode, erased.body).toBe(201)
      expect(erased.json().result.voice).toEqual({ voiceEntries: 1, surveyImpressions: 0 })
      expect(await dumpDatabase(ctx)).not.toContain('stop tracking me')
      expect((await ctx.services.voice.exportSubject(subjectId)).entries).toEqual([])
    })

    it('raises one alert on a burst of negative reviews within a minute, posted to the webhook', async () => {
      await seedShopper(ctx, 'voice-burst', { events: 1 })
      const item = 'BURST-22423'
      // Usual life: one complaint, and praise, hours before the burst.
      expect(
        (await post({ kind: 'review', subject: 'voice-burst', item, rating: 1 })).statusCode,
      ).toBe(201)
      ctx.clock.advance(3 * 3_600_000)
      await post({ kind: 'review', subject: 'voice-burst', item, rating: 5, text: 'Lovely' })
      await ctx.services.voice.idle()
      expect(receiver.bodies).toEqual([])
      // The burst: a negative review every 8 seconds (test clock); the alert must come within a minute.
      const burstStart = ctx.clock.now().getTime()
      let alertedAt: number | undefined
      for (let i = 0; i < 7; i++) {
        const response = await post({
          kind: 'review',
          subject: 'voice-burst',
          item,
          rating: 1,
          text: 'Arrived broken, awful quality',
        })
        expect(response.statusCode).toBe(201)
        await ctx.services.voice.idle()
        if (alertedAt === undefined && receiver.bodies.length > 0)
          alertedAt = ctx.clock.now().getTime()
        ctx.clock.advance(8_000)
      }
      expect(alertedAt, 'an alert was posted').toBeDefined()
      expect(alertedAt! - burstStart).toBeLessThanOrEqual(60_000)
      const alerts = receiver.bodies as Array<Record<string, unknown>>
      const itemAlerts = alerts.filter(
        (a) => JSON.stringify(a.target) === JSON.stringify({ kind: 'item', item }),
      )
      // One alert per item and hour, however many more complaints follow.
      expect(itemAlerts).toHaveLength(1)
      expect(itemAlerts[0]).toMatchObject({ type: 'voice.negative_spike' })
      expect(itemAlerts[0]!.count).toBeGreaterThanOrEqual(6)
      // The aspects the texts are about alarm too; no alert carries a shopper or a text.
      expect(alerts.map((a) => JSON.stringify(a.target))).toContain(
        JSON.stringify({ kind: 'aspect', aspect: 'quality' }),
      )
      expect(JSON.stringify(alerts)).not.toMatch(/voice-burst|awful|sub_/)
      const listed = await ctx.request({ method: 'GET', url: '/v1/voice/alerts', as: 'analyst' })
      expect(listed.statusCode).toBe(200)
      expect(
        listed.json().alerts.find((a: { target: string }) => a.target === `item:${item}`),
      ).toMatchObject({
        delivered: true,
      })
      expect(
        (await ctx.request({ method: 'GET', url: '/v1/voice/alerts', as: 'storefront' }))
          .statusCode,
      ).toBe(403)
    })

    it('answers daily trends to analysts: entries, negatives, ratings and aspects, no text', async () => {
      const today = ctx.clock.now().toISOString().slice(0, 10)
      const response = await ctx.request({
        method: 'GET',
        url: `/v1/voice/trends?from=${today}&to=${today}&item=BURST-22423`,
        as: 'analyst',
      })
      expect(response.statusCode, response.body).toBe(200)
      const [day] = response.json().days as Array<{
        aspects: Record<string, unknown>
        meanRating: number
        meanSentiment: number | null
      }>
      expect(day).toMatchObject({ day: today, entries: 9, negative: 8 })
      expect(day!.aspects.quality).toEqual({ entries: 7, negative: 7 })
      // Ratings 1, 5 and seven 1s; sentiment is the mean over the eight entries with text.
      expect(day!.meanRating).toBeCloseTo(13 / 9, 3)
      expect(day!.meanSentiment).toBeTypeOf('number')
      expect(response.body).not.toContain('awful')
      const bad = await ctx.request({
        method: 'GET',
        url: `/v1/voice/trends?from=${today}&to=2020-01-01`,
        as: 'analyst',
      })
      expect(bad.statusCode).toBe(400)
      expect(bad.json().errors[0].field).toBe('querystring.from')
      expect(
        (await ctx.request({ method: 'GET', url: '/v1/voice/trends', as: 'storefront' }))
          .statusCode,
      ).toBe(403)
    })

    it('lists the items with recent negative entries, most first, counts only', async () => {
      const response = await ctx.request({
        method: 'GET',
        url: '/v1/voice/negative-items?days=1&limit=100',
        as: 'analyst',
      })
      expect(response.statusCode, response.body).toBe(200)
      const items = response.json().items as Array<Record<string, unknown>>
      expect(items.find((i) => i.item === 'BURST-22423')).toMatchObject({
        negative: 8,
        entries: 9,
        aspects: expect.arrayContaining(['quality']),
      })
      const negatives = items.map((i) => i.negative as number)
      expect(negatives).toEqual([...negatives].sort((a, b) => b - a))
      expect(response.body).not.toMatch(/awful|voice-burst|sub_/)
      const bad = await ctx.request({
        method: 'GET',
        url: '/v1/voice/negative-items?days=0',
        as: 'analyst',
      })
      expect(bad.statusCode).toBe(400)
      expect(bad.json().errors[0].field).toContain('days')
      expect(
        (await ctx.request({ method: 'GET', url: '/v1/voice/negative-items', as: 'storefront' }))
          .statusCode,
      ).toBe(403)
    })

    it('deletes entries when the purpose retention ends', async () => {
      const { subjectId } = await seedShopper(ctx, 'voice-old', { events: 1 })
      expect(
        (await post({ kind: 'review', subject: 'voice-old', item: 'OLD1', rating: 4 })).statusCode,
      ).toBe(201)
      const saved = ctx.clock.now()
      ctx.clock.set(new Date(saved.getTime() + 366 * DAY_MS))
      try {
        const report = await ctx.services.retention.run()
        expect(JSON.stringify(report)).toContain('voiceEntries')
        expect((await ctx.services.voice.exportSubject(subjectId)).entries).toEqual([])
      } finally {
        ctx.clock.set(saved)
      }
    })
  })
}
