import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'

/**
 * Issue 16, finding 6: a request Candor refuses writes nothing, not even the subject a new customer
 * reference would become. Each refusal below is sent for a reference never seen before.
 */
for (const dialect of DIALECTS) {
  describe(`refused requests leave no subject behind on ${dialect}`, () => {
    let ctx: TestContext
    let version: string
    beforeAll(async () => {
      ctx = await createTestContext(dialect)
      version = (await ctx.request({ method: 'GET', url: '/v1/notice' })).json().version
    })
    afterAll(async () => {
      await ctx?.close()
    })

    async function rowCounts() {
      const db = ctx.storage.db
      const count = async (table: 'subjects' | 'subject_refs') =>
        Number(
          (
            await db
              .withTables<{
                subjects: { subject_id: string }
                subject_refs: { ref_hash: string }
              }>()
              .selectFrom(table)
              .select((eb) => eb.fn.countAll().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        )
      return { subjects: await count('subjects'), subjectRefs: await count('subject_refs') }
    }

    /** Sends a request for a new reference, expects `status`, and that no identity row appeared. */
    async function expectRefusedWithoutRows(
      status: number,
      send: (ref: string) => Promise<{ statusCode: number; json(): unknown }>,
    ) {
      const before = await rowCounts()
      const ref = `refused-${Math.random().toString(36).slice(2)}`
      const response = await send(ref)
      expect(response.statusCode, JSON.stringify(response.json())).toBe(status)
      expect(await rowCounts()).toEqual(before)
      return response
    }

    const putConsent = (ref: string, purpose: string, body: unknown, headers = {}) =>
      ctx.request({
        method: 'PUT',
        url: `/v1/subjects/${ref}/consents/${purpose}`,
        as: 'storefront',
        headers,
        payload: body as Record<string, unknown>,
      })

    it('409 notice_outdated, even with Sec-GPC: 1 (whose opt-outs would be written first)', async () => {
      const response = await expectRefusedWithoutRows(409, (ref) =>
        putConsent(
          ref,
          'personalize.recommendations',
          { decision: 'granted', method: 'banner', noticeVersion: 'f'.repeat(64) },
          { 'sec-gpc': '1' },
        ),
      )
      expect((response.json() as { code: string }).code).toBe('notice_outdated')
    })

    it('400 for a special-category purpose granted through a banner', async () => {
      const response = await expectRefusedWithoutRows(400, (ref) =>
        putConsent(ref, 'personalize.special.health', {
          decision: 'granted',
          method: 'banner',
          noticeVersion: version,
        }),
      )
      expect(JSON.stringify(response.json())).toContain('body.method')
    })

    it('400 for a method that does not exist', async () => {
      await expectRefusedWithoutRows(400, (ref) =>
        putConsent(ref, 'personalize.recommendations', {
          decision: 'granted',
          method: 'telepathy',
          noticeVersion: version,
        }),
      )
    })

    it('404 for a purpose the charter does not declare', async () => {
      await expectRefusedWithoutRows(404, (ref) =>
        putConsent(ref, 'personalize.mind_reading', {
          decision: 'granted',
          method: 'api',
          noticeVersion: version,
        }),
      )
    })

    it('422 for a TCF string that does not decode', async () => {
      const response = await expectRefusedWithoutRows(422, (ref) =>
        ctx.request({
          method: 'PUT',
          url: `/v1/subjects/${ref}/consents/tcf`,
          as: 'storefront',
          payload: { tcString: 'not-a-tc-string-at-all' },
        }),
      )
      expect((response.json() as { code: string }).code).toBe('tcf_string_invalid')
    })

    it('400 for settings naming a jurisdiction the charter does not declare, with GPC', async () => {
      await expectRefusedWithoutRows(400, (ref) =>
        ctx.request({
          method: 'PUT',
          url: `/v1/subjects/${ref}/settings`,
          as: 'storefront',
          headers: { 'sec-gpc': '1' },
          payload: { level: 'personal', jurisdiction: 'XX' },
        }),
      )
    })

    it('404 for recommendations under a category no item has', async () => {
      await expectRefusedWithoutRows(404, (ref) =>
        ctx.request({
          method: 'GET',
          url: `/v1/recommendations?subject=${ref}&category=${encodeURIComponent('No/Such/Shelf')}`,
          as: 'storefront',
        }),
      )
    })

    it('events refused with no_consent for an unknown customer', async () => {
      const response = await expectRefusedWithoutRows(200, (ref) =>
        ctx.request({
          method: 'POST',
          url: '/v1/events',
          as: 'storefront',
          payload: {
            events: [
              {
                id: 'e-refused-1',
                type: 'feedback',
                subject: ref,
                item: '85123A',
                kind: 'rating',
                rating: 4,
                timestamp: '2026-03-02T08:00:00Z',
              },
            ],
          },
        }),
      )
      const { results } = response.json() as { results: { status: string; reason?: string }[] }
      expect(results).toEqual([
        expect.objectContaining({ status: 'refused', reason: 'no_consent' }),
      ])
    })

    it('an accepted write creates the subject and its lookup, once', async () => {
      const before = await rowCounts()
      const response = await putConsent('accepted-ref', 'personalize.recommendations', {
        decision: 'granted',
        method: 'banner',
        noticeVersion: version,
      })
      expect(response.statusCode).toBe(200)
      expect(await rowCounts()).toEqual({
        subjects: before.subjects + 1,
        subjectRefs: before.subjectRefs + 1,
      })
    })
  })
}
