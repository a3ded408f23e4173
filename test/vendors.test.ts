import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createManualClock } from '../src/lib/clock.js'
import { runAudits } from '../src/modules/reviews/index.js'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'
import { type Receiver, startReceiver, vendorEnv } from './helpers/vendor-receiver.js'

const AD = 'marketing.advertising.third_party'
const PERSONAL = 'personalize.recommendations'

async function setConsent(ctx: TestContext, ref: string, purpose: string, decision: string) {
  const version = (await ctx.request({ method: 'GET', url: '/v1/notice' })).json().version
  const r = await ctx.request({
    method: 'PUT',
    url: `/v1/subjects/${ref}/consents/${purpose}`,
    as: 'storefront',
    payload: { decision, method: 'banner', noticeVersion: version, jurisdiction: 'UK' },
  })
  expect(r.statusCode, r.body).toBe(200)
}

async function sendEvents(ctx: TestContext, events: Record<string, unknown>[]) {
  const r = await ctx.request({
    method: 'POST',
    url: '/v1/events',
    as: 'storefront',
    payload: { events },
  })
  expect(r.statusCode, r.body).toBe(200)
  return r.json().results as { status: string }[]
}

const view = (id: string, subject: string, item = '85123A') => ({
  id,
  type: 'view',
  subject,
  item,
  placement: 'home',
  recommId: 'rec-1',
  timestamp: '2026-03-02T08:59:00Z',
})

/** Runs the delivery job until nothing is due, moving the clock past every backoff. */
async function drain(ctx: TestContext, rounds = 12) {
  for (let i = 0; i < rounds; i++) {
    await ctx.services.vendors.deliverAll()
    ctx.clock.advance(3_700_000)
  }
}

async function vendorStatus(ctx: TestContext, vendor: string) {
  const r = await ctx.request({ method: 'GET', url: '/v1/vendors', as: 'privacy_officer' })
  expect(r.statusCode, r.body).toBe(200)
  const vendors = r.json().vendors as (Record<string, unknown> & { vendor: string })[]
  const found = vendors.find((v) => v.vendor === vendor)
  expect(found).toBeDefined()
  return found!
}

for (const dialect of DIALECTS) {
  describe(`sharing with vendors (${dialect})`, () => {
    let ctx: TestContext
    let receiver: Receiver
    let run = 0
    const ref = (name: string) => `${name}-${run}`

    beforeAll(async () => {
      const clock = createManualClock('2026-03-02T09:00:00Z')
      receiver = await startReceiver(() => clock.now().getTime())
      ctx = await createTestContext(dialect, { env: vendorEnv(receiver.url), clock })
    })
    afterAll(async () => {
      await ctx?.close()
      await receiver?.close()
    })

    it('sends nothing without consent, minimizes per vendor, pseudonymizes per vendor, signs', async () => {
      run += 1
      receiver.requests.length = 0
      receiver.answerWith(() => 204)
      await setConsent(ctx, ref('granted'), AD, 'granted')
      await setConsent(ctx, ref('granted'), PERSONAL, 'granted')
      await sendEvents(ctx, [view(`a-${run}`, ref('granted')), view(`b-${run}`, ref('silent'))])
      await drain(ctx, 2)
      const ad = [...receiver.accepted('ad-network').values()]
      const host = [...receiver.accepted('cloud-host').values()]
      // Only the shopper who allowed advertising reaches the ad network, with the item only.
      expect(ad).toHaveLength(1)
      const adData = ad[0]!.data as Record<string, unknown>
      expect(Object.keys(adData).sort()).toEqual(['item', 'purposes', 'subject'])
      expect(adData).toMatchObject({ item: '85123A', purposes: [AD] })
      expect(ad[0]!.type).toBe('event.view')
      // The host gets both shoppers' views under its own purposes (personalization needs the grant).
      const hostOfGranted = host.find((m) =>
        (m.data as { purposes: string[] }).purposes.includes(PERSONAL),
      )
      expect(hostOfGranted).toBeDefined()
      const hostData = hostOfGranted!.data as Record<string, unknown>
      expect(hostData).toMatchObject({ placement: 'home', recommId: 'rec-1' })
      // Two vendors cannot join: different pseudonyms for the same shopper, neither Candor's id.
      const subjectId = await ctx.services.identity.findSubjectId(ref('granted'))
      expect(adData.subject).toMatch(/^vp_[0-9a-f]{32}$/)
      expect(hostData.subject).toMatch(/^vp_[0-9a-f]{32}$/)
      expect(adData.subject).not.toBe(hostData.subject)
      for (const r of receiver.requests) {
        expect(r.body).not.toContain(subjectId!)
        expect(r.body).not.toContain(ref('granted'))
        expect(r.body).not.toContain(`a-${run}`)
      }
      for (const m of host) {
        const purposes = (m.data as { purposes: string[] }).purposes
        if (!purposes.includes(PERSONAL)) expect(purposes).not.toContain(AD)
      }
    })

    it('stops on the very next event after a withdrawal, and drops what was queued', async () => {
      run += 1
      receiver.requests.length = 0
      await setConsent(ctx, ref('w'), AD, 'granted')
      await sendEvents(ctx, [view(`w1-${run}`, ref('w'))])
      await setConsent(ctx, ref('w'), AD, 'denied')
      await drain(ctx, 1)
      expect(receiver.accepted('ad-network').size).toBe(0)
      await sendEvents(ctx, [view(`w2-${run}`, ref('w'))])
      await drain(ctx, 1)
      expect(receiver.accepted('ad-network').size).toBe(0)
      expect((await vendorStatus(ctx, 'ad-network')).withdrawn).toBeGreaterThanOrEqual(1)
    })

    it('a receiver failing 3 times then succeeding gets each event exactly once, in order', async () => {
      run += 1
      receiver.requests.length = 0
      receiver.answerWith((path, count) => (path === '/ad-network' && count < 3 ? 500 : 204))
      await setConsent(ctx, ref('retry'), AD, 'granted')
      await sendEvents(
        ctx,
        [1, 2, 3].map((i) => view(`r${i}-${run}`, ref('retry'), `ITEM${i}`)),
      )
      await drain(ctx)
      const toAd = receiver.requests.filter((r) => r.path === '/ad-network')
      expect(toAd.filter((r) => r.status === 500)).toHaveLength(3)
      const accepted = receiver.accepted('ad-network')
      expect(accepted.size).toBe(3)
      // At least once: the same webhook-id on every retry; in the order the events were stored.
      const ids = new Set(toAd.map((r) => r.headers['webhook-id']))
      expect(ids.size).toBe(3)
      expect([...accepted.values()].map((m) => (m.data as { item: string }).item)).toEqual([
        'ITEM1',
        'ITEM2',
        'ITEM3',
      ])
      expect(toAd.filter((r) => r.status < 300)).toHaveLength(3)
    })

    it('dead-letters after the configured tries; staff see it and replay it', async () => {
      run += 1
      receiver.requests.length = 0
      receiver.answerWith((path) => (path === '/ad-network' ? 503 : 204))
      await setConsent(ctx, ref('dead'), AD, 'granted')
      await sendEvents(ctx, [view(`d1-${run}`, ref('dead'))])
      await drain(ctx, 6)
      expect(receiver.requests.filter((r) => r.path === '/ad-network')).toHaveLength(5)
      const status = await vendorStatus(ctx, 'ad-network')
      expect(status).toMatchObject({
        destination: true,
        deadLettered: 1,
        transfer: 'standard contractual clauses',
      })
      const dead = await ctx.request({
        method: 'GET',
        url: '/v1/vendors/ad-network/deliveries?status=dead',
        as: 'privacy_officer',
      })
      expect(dead.statusCode).toBe(200)
      const [delivery] = dead.json().deliveries
      expect(delivery).toMatchObject({
        status: 'dead',
        attempts: 5,
        lastError: 'HTTP 503',
        fields: ['item'],
      })
      const forbidden = await ctx.request({ method: 'GET', url: '/v1/vendors', as: 'storefront' })
      expect(forbidden.statusCode).toBe(403)
      receiver.answerWith(() => 204)
      const url = `/v1/vendors/ad-network/deliveries/${delivery.id}/replay`
      const replayed = await ctx.request({ method: 'POST', url, as: 'admin' })
      expect(replayed.statusCode, replayed.body).toBe(202)
      await drain(ctx, 1)
      expect(receiver.accepted('ad-network').has(delivery.id)).toBe(true)
      expect((await ctx.request({ method: 'POST', url, as: 'admin' })).statusCode).toBe(409)
      const missing = await ctx.request({
        method: 'POST',
        url: '/v1/vendors/ad-network/deliveries/dlv_nope/replay',
        as: 'admin',
      })
      expect(missing.statusCode).toBe(404)
      expect(missing.headers['content-type']).toContain('application/problem+json')
      expect((await vendorStatus(ctx, 'ad-network')).deadLettered).toBe(0)
    })

    it('erasure asks exactly the vendors that received data to delete it; overdue ones show', async () => {
      run += 1
      receiver.requests.length = 0
      receiver.answerWith((path) => (path === '/ad-network/deletions' ? 500 : 204))
      await setConsent(ctx, ref('both'), AD, 'granted')
      await setConsent(ctx, ref('both'), PERSONAL, 'granted')
      await setConsent(ctx, ref('none'), AD, 'denied')
      await sendEvents(ctx, [view(`e1-${run}`, ref('both'))])
      await drain(ctx, 1)
      const received = [...receiver.accepted('ad-network').values()][0]!.data as { subject: string }
      // An access export lists which vendors received what and when.
      const bothId = (await ctx.services.identity.findSubjectId(ref('both')))!
      const exported = await ctx.services.vendors.exportSubject(bothId)
      expect(new Set(exported.deliveries.map((d) => d.vendor))).toEqual(
        new Set(['ad-network', 'cloud-host']),
      )
      expect(exported.deliveries.find((d) => d.vendor === 'ad-network')).toMatchObject({
        fields: ['item'],
        status: 'sent',
        pseudonym: received.subject,
      })
      receiver.requests.length = 0
      for (const who of ['both', 'none']) {
        const r = await ctx.request({
          method: 'POST',
          url: '/v1/rights-requests',
          as: 'privacy_officer',
          payload: { type: 'erasure', subject: ref(who), jurisdiction: 'UK' },
        })
        expect(r.statusCode, r.body).toBe(201)
        expect(r.json().status).toBe('completed')
      }
      await ctx.services.vendors.deliverAll()
      const deletions = receiver.requests.filter((r) => r.body.includes('deletion_requested'))
      // 'none' received nothing (no events), so only the two vendors of 'both' are asked, once each.
      expect(deletions.map((r) => r.path).sort()).toEqual(['/ad-network/deletions', '/cloud-host'])
      const toAd = receiver.requests.find((r) => r.path === '/ad-network/deletions')!
      expect(JSON.parse(toAd.body).data).toEqual({
        subjects: [received.subject],
        reason: 'erasure',
      })
      expect(receiver.accepted('cloud-host').size).toBeGreaterThan(0)
      // cloud-host acknowledged; the ad network did not: pending, then overdue after 72 hours.
      expect(await vendorStatus(ctx, 'cloud-host')).toMatchObject({ deletionsPending: 0 })
      expect(await vendorStatus(ctx, 'ad-network')).toMatchObject({
        deletionsPending: 1,
        deletionsOverdue: 0,
      })
      ctx.clock.advance(73 * 3_600_000)
      expect(await vendorStatus(ctx, 'ad-network')).toMatchObject({
        deletionsPending: 1,
        deletionsOverdue: 1,
      })
      const overdue = await ctx.request({
        method: 'GET',
        url: '/v1/vendors/deletions/overdue',
        as: 'privacy_officer',
      })
      expect(overdue.json().deletions).toEqual([
        expect.objectContaining({ vendor: 'ad-network', reason: 'erasure', lastError: 'HTTP 500' }),
      ])
      // The privacy audit names them too.
      const report = await runAudits(ctx.services, ctx.clock.now())
      expect(report.findings).toContainEqual(
        expect.objectContaining({ check: 'privacy.vendor_deletions', severity: 'problem' }),
      )
      expect(report.privacy.vendors).toContainEqual(
        expect.objectContaining({ vendor: 'ad-network', receiving: true, deletionsOverdue: 1 }),
      )
      // The erased subject's delivery log is gone with them.
      expect((await ctx.services.vendors.exportSubject(bothId)).deliveries).toEqual([])
      receiver.answerWith(() => 204)
      await drain(ctx, 1)
      expect(await vendorStatus(ctx, 'ad-network')).toMatchObject({
        deletionsPending: 0,
        deletionsOverdue: 0,
      })
    })

    it('a plain withdrawal asks only the vendors that received data under that purpose to delete it', async () => {
      run += 1
      receiver.answerWith(() => 204)
      await setConsent(ctx, ref('wd'), AD, 'granted')
      await setConsent(ctx, ref('wd'), PERSONAL, 'granted')
      await sendEvents(ctx, [view(`wd1-${run}`, ref('wd'))])
      await drain(ctx, 1)
      const subjectId = (await ctx.services.identity.findSubjectId(ref('wd')))!
      const sent = (await ctx.services.vendors.exportSubject(subjectId)).deliveries
      const adPseudonym = sent.find((d) => d.vendor === 'ad-network')!.pseudonym
      expect(sent.find((d) => d.vendor === 'cloud-host')).toMatchObject({ status: 'sent' })
      receiver.requests.length = 0
      await setConsent(ctx, ref('wd'), AD, 'denied')
      await ctx.services.vendors.deliverAll()
      const deletions = receiver.requests.filter((r) => r.body.includes('deletion_requested'))
      // The ad network received it under advertising; the host under other purposes: not asked.
      expect(deletions.map((r) => r.path)).toEqual(['/ad-network/deletions'])
      expect(JSON.parse(deletions[0]!.body).data).toEqual({
        subjects: [adPseudonym],
        reason: 'withdrawal',
      })
      const requests = (await ctx.services.vendors.exportSubject(subjectId)).deletionRequests
      expect(requests).toEqual([
        expect.objectContaining({
          vendor: 'ad-network',
          reason: 'withdrawal',
          status: 'acknowledged',
        }),
      ])
      // Withdrawing it again files nothing new (nothing more was sent under it).
      await setConsent(ctx, ref('wd'), AD, 'denied')
      expect((await ctx.services.vendors.exportSubject(subjectId)).deletionRequests).toHaveLength(1)
    })

    it('an event waits in the outbox as pending (status, export) until the job; erasure takes it unsent', async () => {
      run += 1
      receiver.requests.length = 0
      receiver.answerWith(() => 204)
      await setConsent(ctx, ref('queued'), AD, 'granted')
      const before = (await vendorStatus(ctx, 'ad-network')).pending as number
      await sendEvents(ctx, [
        view(`q1-${run}`, ref('queued')),
        view(`q2-${run}`, ref('queued'), 'ITEM2'),
      ])
      // One outbox row for the owner's part of the batch, counted as two pending deliveries.
      expect((await vendorStatus(ctx, 'ad-network')).pending).toBe(before + 2)
      const subjectId = (await ctx.services.identity.findSubjectId(ref('queued')))!
      const exported = await ctx.services.vendors.exportSubject(subjectId)
      const toAd = exported.deliveries.filter((d) => d.vendor === 'ad-network')
      expect(toAd).toHaveLength(2)
      for (const d of toAd)
        expect(d).toMatchObject({
          status: 'pending',
          fields: ['item'],
          purposes: [AD],
          sentAt: null,
        })
      expect(toAd[0]!.pseudonym).toMatch(/^vp_[0-9a-f]{32}$/)
      const r = await ctx.request({
        method: 'POST',
        url: '/v1/rights-requests',
        as: 'privacy_officer',
        payload: { type: 'erasure', subject: ref('queued'), jurisdiction: 'UK' },
      })
      expect(r.statusCode, r.body).toBe(201)
      await drain(ctx, 1)
      // Nothing of theirs went out, and no vendor is asked to delete what it never received.
      for (const request of receiver.requests)
        expect(request.body).not.toContain(toAd[0]!.pseudonym)
      expect((await vendorStatus(ctx, 'ad-network')).pending).toBe(before)
      expect((await ctx.services.vendors.exportSubject(subjectId)).deliveries).toEqual([])
    })
  })
}
