import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DAY_MS } from '../src/lib/clock.js'
import { IngestResultSchema } from '../src/modules/events/events.js'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'

type Result = { id: string; status: string; reason?: string; field?: string; dropped?: string[] }

for (const dialect of DIALECTS) {
  describe(`event ingest on ${dialect}`, () => {
    let ctx: TestContext
    let notice: string
    let n = 0
    const uid = (prefix: string) => `${prefix}-${++n}`

    async function send(
      events: Record<string, unknown>[],
      extra: Record<string, unknown> = {},
      as: Parameters<TestContext['request']>[0]['as'] = 'storefront',
      headers: Record<string, string> = {},
    ) {
      const response = await ctx.request({
        method: 'POST',
        url: '/v1/events',
        as,
        payload: { events, ...extra },
        headers,
      })
      return response
    }
    async function results(
      events: Record<string, unknown>[],
      extra: Record<string, unknown> = {},
    ): Promise<Result[]> {
      const response = await send(events, extra)
      expect(response.statusCode, response.body).toBe(200)
      // The route writes its answer without parsing it again: it must be exactly what the schema says.
      expect(IngestResultSchema.parse(response.json())).toEqual(response.json())
      return response.json<{ results: Result[] }>().results
    }
    async function grant(ref: string, purpose: string, decision: 'granted' | 'denied' = 'granted') {
      const response = await ctx.request({
        method: 'PUT',
        url: `/v1/subjects/${ref}/consents/${purpose}`,
        as: 'storefront',
        payload: { decision, noticeVersion: notice, jurisdiction: 'UK' },
      })
      expect(response.statusCode, response.body).toBe(200)
    }
    async function count(table: string, where = '1 = 1'): Promise<number> {
      const rows = await sql<{
        n: number
      }>`select count(*) as n from ${sql.table(table)} where ${sql.raw(where)}`.execute(
        ctx.storage.db,
      )
      return Number(rows.rows[0]?.n ?? 0)
    }

    beforeAll(async () => {
      ctx = await createTestContext(dialect)
      notice = ctx.services.consent.noticeVersion
    })
    afterAll(async () => {
      await ctx?.close()
    })

    it('stores a consented event pseudonymously, minimized, with its purposes and expiry', async () => {
      const ref = uid('cust')
      await grant(ref, 'personalize.recommendations')
      const [result] = await results(
        [
          {
            id: 'e-1',
            type: 'view',
            subject: ref,
            item: '85123A',
            placement: 'home',
            timestamp: '2026-03-02T08:59:00Z',
          },
        ],
        { jurisdiction: 'UK' },
      )
      expect(result).toEqual({ id: 'e-1', status: 'stored' })
      const subjectId = await ctx.services.identity.findSubjectId(ref)
      const stored = await ctx.services.events.listSubjectEvents(subjectId!)
      expect(stored).toHaveLength(1)
      expect(stored[0]).toMatchObject({
        id: 'e-1',
        type: 'view',
        subjectId,
        item: '85123A',
        placement: 'home',
        occurredAt: '2026-03-02T08:59:00.000Z',
        purposes: ['personalize.recommendations'],
        expiresAt: new Date(Date.parse('2026-03-02T08:59:00Z') + 365 * DAY_MS).toISOString(),
      })
      const raw = await sql<Record<string, unknown>>`select * from events`.execute(ctx.storage.db)
      expect(JSON.stringify(raw.rows)).not.toContain(ref)
    })

    it('stores the time of an event in UTC to the millisecond, whatever form it came in', async () => {
      const ref = uid('times')
      await grant(ref, 'personalize.recommendations')
      const sent = {
        t1: '2026-03-02T08:59:00Z',
        t2: '2026-03-02T09:59:00+01:00',
        t3: '2026-03-02T08:59:00.000Z',
        t4: '2026-03-02T08:59:00.5Z',
        t5: '2026-03-02T08:59:00.123Z',
        t6: '2026-03-02T03:29:00.123-05:30',
      }
      const out = await results(
        Object.entries(sent).map(([id, timestamp]) => ({
          id,
          type: 'view',
          subject: ref,
          item: 'A1',
          timestamp,
        })),
      )
      expect(out.every((r) => r.status === 'stored')).toBe(true)
      const subjectId = await ctx.services.identity.findSubjectId(ref)
      const stored = await ctx.services.events.listSubjectEvents(subjectId!)
      const times = Object.fromEntries(stored.map((e) => [e.id, [e.occurredAt, e.expiresAt]]))
      for (const [id, timestamp] of Object.entries(sent)) {
        const at = Date.parse(timestamp)
        expect(times[id]).toEqual([
          new Date(at).toISOString(),
          new Date(at + 365 * DAY_MS).toISOString(),
        ])
      }
      expect(times.t1?.[0]).toBe('2026-03-02T08:59:00.000Z')
      expect(times.t4?.[0]).toBe('2026-03-02T08:59:00.500Z')
    })

    it('refuses without consent (default deny) and creates no subject for a refused event', async () => {
      const ref = uid('nobody')
      const [result] = await results([{ id: 'e-1', type: 'view', subject: ref, item: 'A1' }], {
        jurisdiction: 'UK',
      })
      expect(result).toEqual({ id: 'e-1', status: 'refused', reason: 'no_consent' })
      expect(await ctx.services.identity.findSubjectId(ref)).toBeUndefined()
    })

    it('refuses after a withdrawal, the very next batch', async () => {
      const ref = uid('withdraws')
      await grant(ref, 'personalize.recommendations')
      expect(
        (await results([{ id: 'a', type: 'view', subject: ref, item: 'A1' }]))[0]?.status,
      ).toBe('stored')
      await grant(ref, 'personalize.recommendations', 'denied')
      expect(
        (await results([{ id: 'b', type: 'view', subject: ref, item: 'A1' }]))[0]?.reason,
      ).toBe('no_consent')
    })

    it('names the field of a malformed event, and refuses each malformed shape', async () => {
      const ref = uid('malformed')
      await grant(ref, 'personalize.recommendations')
      const out = await results([
        { id: 'm1', type: 'teleport', subject: ref, item: 'A1' },
        { id: 'm2', type: 'view', subject: ref },
        { id: 'm3', type: 'view', item: 'A1' },
        { id: 'm4', type: 'view', subject: ref, session: 'session-123456', item: 'A1' },
        { id: 'm5', type: 'purchase', subject: ref, item: 'A1', quantity: -2 },
        { id: 'm6', type: 'view', subject: ref, item: 'A1', timestamp: 'yesterday' },
        { id: 'm7', type: 'view', subject: ref, item: 'A1', timestamp: '2027-01-01T00:00:00Z' },
        { id: 'm8', type: 'view', subject: ref, item: 'me@example.org' },
        { id: 'm9', type: 'purchase', subject: ref, item: 'A1', price: 'ten' },
      ])
      expect(out.map((r) => [r.id, r.reason, r.field])).toEqual([
        ['m1', 'malformed', 'type'],
        ['m2', 'malformed', 'item'],
        ['m3', 'malformed', 'subject'],
        ['m4', 'malformed', 'subject'],
        ['m5', 'malformed', 'quantity'],
        ['m6', 'malformed', 'timestamp'],
        ['m7', 'malformed', 'timestamp'],
        ['m8', 'malformed', 'item'],
        ['m9', 'malformed', 'price'],
      ])
    })

    it('answers 400 naming the field when the batch itself is wrong, and writes nothing', async () => {
      const before = await count('events')
      const missingId = await send([{ type: 'view', subject: 'x', item: 'A1' }])
      expect(missingId.statusCode).toBe(400)
      expect(missingId.json().errors[0].field).toBe('body.events.0.id')
      const tooMany = await send(Array.from({ length: 1001 }, (_, i) => ({ id: `t${i}` })))
      expect(tooMany.statusCode).toBe(400)
      expect(tooMany.json().errors[0].field).toBe('body.events')
      expect(await count('events')).toBe(before)
    })

    it('refuses a field outside the type, and drops (and lists) a field no allowed purpose declares', async () => {
      const ref = uid('fields')
      await grant(ref, 'personalize.recommendations')
      const out = await results([
        { id: 'f1', type: 'view', subject: ref, item: 'A1', email: 'x@example.org' },
        { id: 'f2', type: 'view', subject: ref, item: 'A1', quantity: 3 },
      ])
      expect(out[0]).toEqual({
        id: 'f1',
        status: 'refused',
        reason: 'undeclared_field',
        field: 'email',
      })
      expect(out[1]).toEqual({
        id: 'f2',
        status: 'refused',
        reason: 'undeclared_field',
        field: 'quantity',
      })

      // US-CA: analytics is opt-out (allowed by default) and declares fewer purchase fields.
      const shopper = uid('californian')
      const [purchase] = await results(
        [
          {
            id: 'p1',
            type: 'purchase',
            subject: shopper,
            item: 'A1',
            quantity: 2,
            price: 3.5,
            currency: 'GBP',
            recommId: 'r-1',
          },
        ],
        { jurisdiction: 'US-CA' },
      )
      expect(purchase).toEqual({ id: 'p1', status: 'stored', dropped: ['recommId'] })
      const subjectId = await ctx.services.identity.findSubjectId(shopper)
      const [stored] = await ctx.services.events.listSubjectEvents(subjectId!)
      expect(stored?.recommId).toBeUndefined()
      expect(stored?.purposes.sort()).toEqual([
        'analytics.reporting',
        'marketing.advertising.first_party',
      ])
      // The longest retention of the allowed purposes (730 days for first-party marketing).
      expect(Date.parse(stored!.expiresAt) - Date.parse(stored!.receivedAt)).toBe(730 * DAY_MS)
    })

    it('refuses personal data in a search query, whatever its disguise', async () => {
      const ref = uid('searcher')
      await grant(ref, 'personalize.recommendations')
      const queries = [
        'ada.lovelace@example.org',
        'candles for ada (at) example (dot) com',
        'call 07700 900123',
        '+44 20 7946 0018',
        'card 4111 1111 1111 1111',
      ]
      const out = await results(
        queries.map((query, i) => ({ id: `q${i}`, type: 'search', subject: ref, query })),
      )
      for (const r of out)
        expect(r).toMatchObject({ status: 'refused', reason: 'personal_data', field: 'query' })
      const ok = await results([
        { id: 'q-ok', type: 'search', subject: ref, query: 'lego 75192 gift size 10' },
      ])
      expect(ok[0]?.status).toBe('stored')
    })

    it('refuses an event already past its retention, and an event type no purpose covers', async () => {
      const ref = uid('old')
      await grant(ref, 'personalize.recommendations')
      const out = await results([
        { id: 'o1', type: 'view', subject: ref, item: 'A1', timestamp: '2024-01-01T00:00:00Z' },
        { id: 'o2', type: 'purchase', session: 'anon-session-nopurpose', item: 'A1' },
      ])
      expect(out[0]?.reason).toBe('expired')
      expect(out[1]?.reason).toBe('no_purpose')
    })

    it('never duplicates a retried batch, nor an event repeated within a batch', async () => {
      const ref = uid('retry')
      await grant(ref, 'personalize.recommendations')
      const batch = [
        { id: 'r1', type: 'view', subject: ref, item: 'A1' },
        { id: 'r2', type: 'add_to_cart', subject: ref, item: 'A1' },
        { id: 'r2', type: 'add_to_cart', subject: ref, item: 'A1' },
        { id: 'r3', type: 'view', subject: ref, email: 'nope@example.org', item: 'A1' },
      ]
      const first = await results(batch)
      expect(first.map((r) => r.status)).toEqual(['stored', 'stored', 'duplicate', 'refused'])
      const again = await results(batch)
      expect(again.map((r) => r.status)).toEqual(['duplicate', 'duplicate', 'duplicate', 'refused'])
      const retried = await Promise.all([results(batch), results(batch)])
      for (const r of retried)
        expect(r.slice(0, 2).map((x) => x.status)).toEqual(['duplicate', 'duplicate'])
      const subjectId = await ctx.services.identity.findSubjectId(ref)
      expect(await count('events', `owner = '${subjectId}'`)).toBe(2)
    })

    it('answers duplicate for a stored event sent again, even once the gate would refuse it', async () => {
      const ref = uid('changed-mind')
      await grant(ref, 'personalize.recommendations')
      const event = { id: 'c1', type: 'view', subject: ref, item: 'A1' }
      expect(await results([event])).toEqual([{ id: 'c1', status: 'stored' }])
      await grant(ref, 'personalize.recommendations', 'denied')
      const again = await results([event, { ...event, id: 'c2' }])
      expect(again).toEqual([
        { id: 'c1', status: 'duplicate' },
        { id: 'c2', status: 'refused', reason: 'no_consent' },
      ])
      const subjectId = await ctx.services.identity.findSubjectId(ref)
      expect(await count('events', `owner = '${subjectId}'`)).toBe(1)
    })

    it('maps add_to_cart and remove_from_cart onto cart events with a signed quantity', async () => {
      const ref = uid('cart')
      await grant(ref, 'personalize.recommendations')
      await results([
        { id: 'c1', type: 'add_to_cart', subject: ref, item: 'A1', quantity: 3 },
        { id: 'c2', type: 'remove_from_cart', subject: ref, item: 'A1' },
      ])
      const subjectId = await ctx.services.identity.findSubjectId(ref)
      const stored = await ctx.services.events.listSubjectEvents(subjectId!)
      expect(stored.map((e) => [e.type, e.quantity])).toEqual([
        ['cart', 3],
        ['cart', -1],
      ])
    })

    it('lets a shopper token send only its own events', async () => {
      const ref = uid('token-owner')
      await grant(ref, 'personalize.recommendations')
      const subjectId = await ctx.services.identity.findSubjectId(ref)
      const { token } = ctx.services.auth.issueShopperToken(subjectId!)
      const own = await send([{ id: 's1', type: 'view', subject: ref, item: 'A1' }], {}, { token })
      expect(own.statusCode).toBe(200)
      const other = await send(
        [{ id: 's2', type: 'view', subject: uid('someone-else'), item: 'A1' }],
        {},
        { token },
      )
      expect(other.statusCode).toBe(403)
      const session = await send(
        [{ id: 's3', type: 'view', session: 'session-of-someone', item: 'A1' }],
        {},
        { token },
      )
      expect(session.statusCode).toBe(403)
    })

    it('records Sec-GPC: 1 as an opt-out of sharing purposes before deciding', async () => {
      const ref = uid('gpc')
      await grant(ref, 'marketing.advertising.third_party')
      const out = await send(
        [{ id: 'g1', type: 'view', subject: ref, item: 'A1' }],
        { jurisdiction: 'UK' },
        'storefront',
        { 'sec-gpc': '1' },
      )
      expect(out.json().results[0]).toMatchObject({ status: 'refused', reason: 'no_consent' })
      const subjectId = await ctx.services.identity.findSubjectId(ref)
      const state = await ctx.services.consent.state(subjectId, {})
      expect(state.history.some((r) => r.method === 'gpc')).toBe(true)
    })

    it('writes one audit entry per batch, with counts and no contents', async () => {
      const ref = uid('audited')
      await results([{ id: 'x1', type: 'search', subject: ref, query: 'very secret words' }])
      const [entry] = await ctx.services.audit.list({ limit: 1 })
      expect(entry?.action).toBe('events.ingested')
      expect(entry?.details).toMatchObject({ events: 1, refused: 1 })
      expect(JSON.stringify(entry)).not.toContain('secret words')
      expect(JSON.stringify(entry)).not.toContain(ref)
    })

    describe('anonymous sessions', () => {
      it('stores nothing for a visitor who has not said yes where consent is required', async () => {
        const out = await results(
          [{ id: 'a1', type: 'view', session: 'visit-no-choice-1', item: 'A1' }],
          { jurisdiction: 'UK' },
        )
        expect(out[0]?.reason).toBe('no_consent')
      })

      it('stores session events under a pseudonym once the visitor agrees, and forgets it all at the end', async () => {
        const session = 'visit-agrees-0001'
        const put = await ctx.request({
          method: 'PUT',
          url: `/v1/sessions/${session}/consents/personalize.session`,
          as: 'storefront',
          payload: { decision: 'granted', noticeVersion: notice, jurisdiction: 'UK' },
        })
        expect(put.statusCode, put.body).toBe(200)
        const out = await results(
          [
            { id: 'v1', type: 'view', session, item: 'A1' },
            { id: 'v2', type: 'search', session, query: 'candles' },
          ],
          { jurisdiction: 'UK' },
        )
        expect(out.map((r) => r.status)).toEqual(['stored', 'stored'])
        const retried = await results([{ id: 'v1', type: 'view', session, item: 'A1' }], {
          jurisdiction: 'UK',
        })
        expect(retried).toEqual([{ id: 'v1', status: 'duplicate' }])
        const key = ctx.services.session.keyOf(session)
        expect(key).toMatch(/^ses_/)
        const stored = await ctx.services.events.listSessionEvents(key)
        expect(stored.map((e) => e.id)).toEqual(['v1', 'v2'])
        expect(stored[0]?.subjectId).toBeUndefined()
        const raw = await sql<Record<string, unknown>>`select * from events`.execute(ctx.storage.db)
        expect(JSON.stringify(raw.rows)).not.toContain(session)

        const end = await ctx.request({
          method: 'POST',
          url: `/v1/sessions/${session}/end`,
          as: 'storefront',
        })
        expect(end.json()).toEqual({ events: 2, consentRecords: 1, sessions: 1 })
        expect(await ctx.services.events.listSessionEvents(key)).toEqual([])
        const again = await results([{ id: 'v3', type: 'view', session, item: 'A1' }], {
          jurisdiction: 'UK',
        })
        expect(again[0]?.reason).toBe('no_consent')
      })

      it('refuses a purpose that outlives the visit', async () => {
        const put = await ctx.request({
          method: 'PUT',
          url: '/v1/sessions/visit-greedy-01/consents/personalize.recommendations',
          as: 'storefront',
          payload: { decision: 'granted', noticeVersion: notice },
        })
        expect(put.statusCode).toBe(400)
        expect(put.json().errors[0].field).toBe('params.purpose')
      })

      it('keeps a visitor who rejected everything out, even where the default would allow', async () => {
        const session = 'visit-rejects-01'
        await ctx.request({
          method: 'PUT',
          url: `/v1/sessions/${session}/consents/personalize.session`,
          as: 'storefront',
          payload: { decision: 'denied', noticeVersion: notice, jurisdiction: 'US-CA' },
        })
        const out = await results([{ id: 'd1', type: 'view', session, item: 'A1' }], {
          jurisdiction: 'US-CA',
        })
        expect(out[0]?.reason).toBe('no_consent')
        const other = await results(
          [{ id: 'd2', type: 'view', session: 'visit-default-01', item: 'A1' }],
          { jurisdiction: 'US-CA' },
        )
        expect(other[0]?.status).toBe('stored')
      })
    })

    describe('catalog', () => {
      it('upserts items with a special-category tag the charter lists', async () => {
        const put = await ctx.request({
          method: 'PUT',
          url: '/v1/items',
          as: 'storefront',
          payload: {
            items: [
              {
                id: '85123A',
                title: 'White hanging heart T-light holder',
                category: ['Home', 'Candles'],
                price: 2.55,
                currency: 'GBP',
              },
              {
                id: 'PT-1',
                title: 'Pregnancy test',
                category: ['Health'],
                price: 4.99,
                specialCategory: 'pregnancy',
                available: false,
              },
            ],
          },
        })
        expect(put.statusCode, put.body).toBe(200)
        expect(put.json()).toEqual({ upserted: 2 })
        const got = await ctx.request({ method: 'GET', url: '/v1/items/PT-1', as: 'storefront' })
        expect(got.json()).toMatchObject({
          id: 'PT-1',
          specialCategory: 'pregnancy',
          available: false,
          category: ['Health'],
        })
        expect(await ctx.services.catalog.listSpecialCategoryItems()).toEqual([
          { id: 'PT-1', specialCategory: 'pregnancy' },
        ])
      })

      it('refuses a whole batch with an unknown tag, naming the field', async () => {
        const put = await ctx.request({
          method: 'PUT',
          url: '/v1/items',
          as: 'admin',
          payload: {
            items: [
              { id: 'OK-1', title: 'Fine' },
              { id: 'X-1', title: 'Crystal', specialCategory: 'astrology' },
            ],
          },
        })
        expect(put.statusCode).toBe(400)
        expect(put.json().errors[0].field).toBe('body.items.1.specialCategory')
        expect((await ctx.services.catalog.getItems(['OK-1'])).length).toBe(0)
        const analyst = await ctx.request({
          method: 'PUT',
          url: '/v1/items',
          as: 'analyst',
          payload: { items: [{ id: 'A', title: 'a' }] },
        })
        expect(analyst.statusCode).toBe(403)
      })
    })

    describe('retention', () => {
      it('deletes everything past its expiry in every table, with one audit entry per run', async () => {
        const ref = uid('retained')
        await grant(ref, 'personalize.recommendations')
        const session = 'visit-retained-01'
        await ctx.request({
          method: 'PUT',
          url: `/v1/sessions/${session}/consents/personalize.session`,
          as: 'storefront',
          payload: { decision: 'granted', noticeVersion: notice },
        })
        await results([
          { id: 'k1', type: 'view', subject: ref, item: 'A1' },
          { id: 'k2', type: 'view', session, item: 'A1' },
        ])
        const key = ctx.services.session.keyOf(session)
        const subjectId = (await ctx.services.identity.findSubjectId(ref))!

        ctx.clock.advance(DAY_MS + 1000)
        const first = await ctx.services.retention.run()
        expect(first.deleted.events?.sessions).toBeGreaterThanOrEqual(1)
        expect(await count('events', `owner = '${key}'`)).toBe(0)
        expect(await count('event_sessions', `session_key = '${key}'`)).toBe(0)
        expect(await count('consent_records', `subject_id = '${key}'`)).toBe(0)
        expect(await count('events', `owner = '${subjectId}'`)).toBe(1)

        ctx.clock.advance(800 * DAY_MS)
        const second = await ctx.services.retention.run()
        expect(second.total).toBeGreaterThan(0)
        expect(await count('events')).toBe(0)
        expect(await count('event_sessions')).toBe(0)
        // The consent ledger is proof, not behaviour data: retention leaves it to erasure.
        expect(await count('consent_records', `subject_id = '${subjectId}'`)).toBeGreaterThan(0)
        const entries = (await ctx.services.audit.list({ limit: 3 })).filter(
          (e) => e.action === 'retention.run',
        )
        expect(entries).toHaveLength(2)
        expect(entries[0]?.details).toMatchObject({ total: second.total })
        expect((await ctx.services.audit.verify()).ok).toBe(true)
      })

      it('deletes an event at its expiry, not earlier in the hour it expires in', async () => {
        const ref = uid('hourly')
        await grant(ref, 'personalize.recommendations')
        // Sent for the last minute of the previous hour: it expires a minute before an hour ends.
        const hourStart = Math.floor(ctx.clock.now().getTime() / 3_600_000) * 3_600_000
        const timestamp = new Date(hourStart - 60_000).toISOString()
        await results([{ id: 'h1', type: 'view', subject: ref, item: 'A1', timestamp }])
        const subjectId = (await ctx.services.identity.findSubjectId(ref))!
        const [stored] = await ctx.services.events.listSubjectEvents(subjectId)
        const expiresAt = Date.parse(stored!.expiresAt)
        expect(new Date(expiresAt).toISOString().slice(13)).toBe(':59:00.000Z')

        ctx.clock.set(new Date(expiresAt - 1))
        await ctx.services.retention.run()
        expect(await count('events', `owner = '${subjectId}'`)).toBe(1)
        ctx.clock.set(new Date(expiresAt))
        await ctx.services.retention.run()
        expect(await count('events', `owner = '${subjectId}'`)).toBe(0)
      })
    })
  })
}
