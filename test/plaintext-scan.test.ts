import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dumpDatabase } from './helpers/raw-scan.js'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'

for (const dialect of DIALECTS) {
  describe(`no plaintext personal data at rest on ${dialect}`, () => {
    let ctx: TestContext
    beforeAll(async () => {
      ctx = await createTestContext(dialect)
    })
    afterAll(async () => {
      await ctx?.close()
    })

    it('holds no email, name, customer reference or session id after a realistic workload', async () => {
      const notice = ctx.services.consent.noticeVersion
      const shoppers = Array.from({ length: 12 }, (_, i) => ({
        ref: `CUSTREF-${i}-QX7${i}ZK`,
        email: `shopper.number${i}@plaintext-probe.example`,
        name: `Probename Surname${i}xq`,
        phone: `+44 20 7946 ${String(1000 + i)}`,
      }))
      for (const [i, s] of shoppers.entries()) {
        const consent = await ctx.request({
          method: 'PUT',
          url: `/v1/subjects/${s.ref}/consents/personalize.recommendations`,
          as: 'storefront',
          payload: {
            decision: i % 3 === 0 ? 'denied' : 'granted',
            noticeVersion: notice,
            jurisdiction: 'UK',
          },
        })
        expect(consent.statusCode).toBe(200)
        const settings = await ctx.request({
          method: 'PUT',
          url: `/v1/subjects/${s.ref}/settings`,
          as: 'storefront',
          payload: { level: 'personal' },
        })
        expect(settings.statusCode).toBe(200)
        const subjectId = await ctx.services.identity.ensureSubjectId(s.ref)
        await ctx.services.identity.writeVault(ctx.storage.db, subjectId, {
          email: s.email,
          name: s.name,
          phone: s.phone,
        })
      }
      const sessionIds = ['SESSIONPROBE-aaaa-1111', 'SESSIONPROBE-bbbb-2222']
      for (const session of sessionIds) {
        await ctx.request({
          method: 'PUT',
          url: `/v1/sessions/${session}/consents/personalize.session`,
          as: 'storefront',
          payload: { decision: 'granted', noticeVersion: notice },
        })
      }
      const events = shoppers.flatMap((s, i) => [
        {
          id: `v-${i}`,
          type: 'view',
          subject: s.ref,
          item: '85123A',
          timestamp: '2026-03-02T08:00:00Z',
        },
        { id: `c-${i}`, type: 'add_to_cart', subject: s.ref, item: '71053', quantity: 2 },
        {
          id: `p-${i}`,
          type: 'purchase',
          subject: s.ref,
          item: '71053',
          quantity: 1,
          price: 3.39,
          currency: 'GBP',
        },
        { id: `s-${i}`, type: 'search', subject: s.ref, query: 'white lantern' },
        // Refused, and so never written: personal data in free text, an undeclared field.
        { id: `q-${i}`, type: 'search', subject: s.ref, query: `gift for ${s.email}` },
        { id: `x-${i}`, type: 'view', subject: s.ref, item: '85123A', email: s.email },
      ])
      for (const session of sessionIds) {
        events.push({
          id: `sv-${session.slice(-4)}`,
          type: 'view',
          session,
          item: '85123A',
        } as never)
      }
      const ingest = await ctx.request({
        method: 'POST',
        url: '/v1/events',
        as: 'storefront',
        payload: { events, jurisdiction: 'UK' },
      })
      expect(ingest.statusCode).toBe(200)
      expect(ingest.json().counts.stored).toBeGreaterThan(20)
      await ctx.request({
        method: 'PUT',
        url: '/v1/items',
        as: 'storefront',
        payload: { items: [{ id: '85123A', title: 'White hanging heart T-light holder' }] },
      })
      const subject = await ctx.services.identity.findSubjectId(shoppers[1]!.ref)
      expect(await ctx.services.identity.readVault(subject!)).toMatchObject({
        email: shoppers[1]!.email,
      })

      const dump = await dumpDatabase(ctx)
      expect(dump.length).toBeGreaterThan(1000)
      // The probe must see what is there: the item title is stored in plaintext on purpose.
      expect(dump).toContain('White hanging heart')
      for (const s of shoppers) {
        for (const secret of [s.ref, s.email, s.name, s.phone, 'plaintext-probe', 'Probename']) {
          expect(dump.includes(secret), `found ${secret}`).toBe(false)
        }
      }
      for (const session of sessionIds)
        expect(dump.includes(session), `found ${session}`).toBe(false)
      expect(dump.includes('SESSIONPROBE')).toBe(false)
    })
  })
}
