import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'

const SESSION_PURPOSE = 'personalize.session'

function definition(overrides: Record<string, unknown> = {}) {
  return {
    name: 'Fewer popular items',
    target: 'recommendation_parameters',
    variants: [
      { name: 'control', settings: {} },
      { name: 'less_popular', settings: { 'personal.popularityWeight': 0.5 } },
    ],
    primaryMetric: 'purchase',
    guardrails: [{ metric: 'not_this', tolerance: 0 }],
    ...overrides,
  }
}

for (const dialect of DIALECTS) {
  describe(`experiments on ${dialect}`, () => {
    let ctx: TestContext
    let version: string
    beforeAll(async () => {
      ctx = await createTestContext(dialect)
      version = (await ctx.request({ method: 'GET', url: '/v1/notice' })).json().version as string
    })
    afterAll(async () => {
      await ctx?.close()
    })

    const create = (body: Record<string, unknown>) =>
      ctx.request({ method: 'POST', url: '/v1/experiments', as: 'admin', payload: body })
    const assignment = (id: string, query: string) =>
      ctx.request({
        method: 'GET',
        url: `/v1/experiments/${id}/assignment?${query}`,
        as: 'storefront',
      })
    /** Grants the experiments' purpose (session suggestions, opt-in here) to a shopper. */
    async function grantSession(ref: string): Promise<string> {
      const subjectId = await ctx.services.identity.ensureSubjectId(ref)
      await ctx.services.consent.recordChange(
        subjectId,
        SESSION_PURPOSE,
        { decision: 'granted', method: 'api', noticeVersion: version },
        {},
        { kind: 'system', name: 'test' },
      )
      return subjectId
    }
    const rollout = (id: string) =>
      ctx.request({ method: 'POST', url: `/v1/experiments/${id}/rollout`, as: 'admin' })

    it('creates an experiment for admins only, and names the field of bad input', async () => {
      const created = await create(definition())
      expect(created.statusCode).toBe(201)
      expect(created.json()).toMatchObject({
        status: 'running',
        stage: 0,
        exposure: 0.01,
        stages: [0.01, 0.05, 0.25, 0.5],
        purpose: SESSION_PURPOSE,
      })
      const byStorefront = await ctx.request({
        method: 'POST',
        url: '/v1/experiments',
        as: 'storefront',
        payload: definition(),
      })
      expect(byStorefront.statusCode).toBe(403)

      const shrinking = await create(definition({ stages: [0.5, 0.1] }))
      expect(shrinking.statusCode).toBe(400)
      expect(JSON.stringify(shrinking.json())).toContain('stages')
      const oneVariant = await create(definition({ variants: [{ name: 'a', settings: {} }] }))
      expect(oneVariant.statusCode).toBe(400)
      expect(JSON.stringify(oneVariant.json())).toContain('variants')
      const twice = await create(
        definition({
          variants: [
            { name: 'a', settings: {} },
            { name: 'a', settings: {} },
          ],
        }),
      )
      expect(twice.statusCode).toBe(400)
      const unknownPurpose = await create(definition({ purpose: 'made.up' }))
      expect(unknownPurpose.statusCode).toBe(400)
      expect(JSON.stringify(unknownPurpose.json())).toContain('body.purpose')
      const list = await ctx.request({ method: 'GET', url: '/v1/experiments', as: 'analyst' })
      // Only the valid one was written.
      expect(list.json().experiments).toHaveLength(1)

      const missing = await ctx.request({
        method: 'GET',
        url: '/v1/experiments/exp_nothere',
        as: 'admin',
      })
      expect(missing.statusCode).toBe(404)
    })

    it('never enrols shoppers who chose off, objected or are restricted; enrols others stickily', async () => {
      const id = (await create(definition({ stages: [1] }))).json().id as string
      for (const ref of ['exp-ok', 'exp-off', 'exp-objects', 'exp-restricted']) {
        await grantSession(ref)
      }
      await ctx.services.identity.ensureSubjectId('exp-never-asked')
      const off = await ctx.request({
        method: 'PUT',
        url: '/v1/subjects/exp-off/settings',
        as: 'storefront',
        payload: { level: 'off' },
      })
      expect(off.statusCode).toBe(200)
      const objects = await ctx.request({
        method: 'PUT',
        url: `/v1/subjects/exp-objects/consents/${SESSION_PURPOSE}`,
        as: 'storefront',
        payload: { decision: 'denied', method: 'privacy_center', noticeVersion: version },
      })
      expect(objects.statusCode).toBe(200)
      const restricted = await ctx.request({
        method: 'POST',
        url: '/v1/rights-requests',
        as: 'admin',
        payload: { type: 'restriction', subject: 'exp-restricted' },
      })
      expect(restricted.json().status).toBe('completed')

      const ok = (await assignment(id, 'subject=exp-ok')).json()
      expect(ok).toMatchObject({ status: 'enrolled' })
      expect(['control', 'less_popular']).toContain(ok.variant)
      expect((await assignment(id, 'subject=exp-ok')).json()).toEqual(ok)

      expect((await assignment(id, 'subject=exp-off')).json()).toMatchObject({
        status: 'not_enrolled',
        reason: 'level_off',
      })
      expect((await assignment(id, 'subject=exp-objects')).json()).toMatchObject({
        status: 'not_enrolled',
        reason: 'objected',
      })
      expect((await assignment(id, 'subject=exp-restricted')).json()).toMatchObject({
        status: 'not_enrolled',
        reason: 'restricted',
      })
      expect((await assignment(id, 'subject=exp-never-asked')).json()).toMatchObject({
        status: 'not_enrolled',
        reason: 'no_consent',
      })
      expect((await assignment(id, 'subject=nobody-known')).json()).toMatchObject({
        status: 'not_enrolled',
        reason: 'unknown_shopper',
      })
      expect((await assignment(id, 'session=visit-123')).json()).toMatchObject({
        status: 'not_enrolled',
        reason: 'no_consent',
      })
      const visitGrant = await ctx.request({
        method: 'PUT',
        url: `/v1/sessions/visit-123/consents/${SESSION_PURPOSE}`,
        as: 'storefront',
        payload: { decision: 'granted', method: 'banner', noticeVersion: version },
      })
      expect(visitGrant.statusCode).toBe(200)
      const visit = (await assignment(id, 'session=visit-123')).json()
      expect(visit.status).toBe('enrolled')
      expect((await assignment(id, 'session=visit-123')).json()).toEqual(visit)
      expect((await assignment(id, '')).statusCode).toBe(400)
      expect((await assignment(id, 'subject=a&session=b')).statusCode).toBe(400)

      // Only the enrolled subject is counted; the visit is not stored.
      const stats = (
        await ctx.request({ method: 'GET', url: `/v1/experiments/${id}`, as: 'admin' })
      ).json()
      const units = stats.statistics.arms.reduce(
        (n: number, a: { units: number }) => n + a.units,
        0,
      )
      expect(units).toBe(1)

      // The enrolment is in the subject's export and goes with erasure.
      const subjectId = (await ctx.services.identity.findSubjectId('exp-ok'))!
      const exported = await ctx.services.experiments.exportSubject(subjectId)
      expect(exported.experiments).toMatchObject([{ experiment: id, variant: ok.variant }])
      const erased = await ctx.services.experiments.eraseSubject(ctx.storage.db, subjectId)
      expect(erased.experimentEnrolments).toBe(1)
      expect((await ctx.services.experiments.exportSubject(subjectId)).experiments).toHaveLength(0)
    })

    /** Enrols `n` new subjects and returns their subject ids with their variants. */
    async function enrolMany(id: string, prefix: string, n: number) {
      const out: { ref: string; subjectId: string; variant: string }[] = []
      for (let i = 0; i < n; i++) {
        const ref = `${prefix}-${i}`
        const subjectId = await grantSession(ref)
        const a = await ctx.services.experiments.assignment(id, { subject: ref })
        if (a.status === 'enrolled') out.push({ ref, subjectId, variant: a.variant })
      }
      return out
    }

    it('advances a stage while guardrails hold, keeping everyone in with their variant', async () => {
      const id = (await create(definition({ stages: [0.3, 0.6, 1] }))).json().id as string
      const first = await enrolMany(id, 'adv', 60)
      expect(first.length).toBeGreaterThan(5)
      expect(first.length).toBeLessThan(40)
      const step = await rollout(id)
      expect(step.statusCode).toBe(200)
      expect(step.json()).toMatchObject({
        action: 'advanced',
        experiment: { stage: 1, exposure: 0.6 },
      })
      for (const e of first) {
        const again = await ctx.services.experiments.assignment(id, { subject: e.ref })
        expect(again).toMatchObject({ status: 'enrolled', variant: e.variant })
      }
      // About 60% are in now, those of the first stage among them.
      const wider = await enrolMany(id, 'adv', 60)
      expect(wider.length).toBeGreaterThan(first.length)
    })

    it('stops the rollout by itself when a guardrail breaks, and enrols nobody after', async () => {
      // Tuned for a small sample (the confidence sequence is tightest near 1,000 units).
      const id = (await create(definition({ stages: [1], plannedUnits: 1000 }))).json().id as string
      const enrolled = await enrolMany(id, 'guard', 240)
      expect(enrolled.length).toBe(240)
      // The variant makes shoppers say "not this" far more often than the control.
      for (const [i, e] of enrolled.entries()) {
        await ctx.services.experiments.recordOutcome(e.subjectId, 'view')
        const rate = e.variant === 'control' ? 0.05 : 0.4
        if ((i * 0.6180339887) % 1 < rate)
          await ctx.services.experiments.recordOutcome(e.subjectId, 'not_this')
      }
      const before = (
        await ctx.request({ method: 'GET', url: `/v1/experiments/${id}`, as: 'analyst' })
      ).json()
      const guard = before.statistics.guardrails[0]
      expect(guard).toMatchObject({ metric: 'not_this', variant: 'less_popular', breached: true })
      expect(guard.interval[0]).toBeGreaterThan(0)

      const step = await rollout(id)
      expect(step.statusCode).toBe(200)
      expect(step.json()).toMatchObject({
        action: 'stopped',
        experiment: {
          status: 'stopped',
          stoppedReason: { kind: 'guardrail', guardrail: { metric: 'not_this', breached: true } },
        },
      })
      expect((await assignment(id, 'subject=guard-1')).json()).toMatchObject({
        status: 'not_enrolled',
        reason: 'experiment_stopped',
      })
      expect((await rollout(id)).statusCode).toBe(409)
      const audit = await ctx.request({ method: 'GET', url: '/v1/audit?limit=200', as: 'admin' })
      if (audit.statusCode === 200) expect(audit.body).toContain('experiment.stopped')
    })
  })
}
