import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBackgroundJobs } from '../src/main/jobs.js'
import type { Runtime } from '../src/main/runtime.js'
import { RecommendationAnswerSchema } from '../src/modules/recommend/index.js'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'

/**
 * Issue 21, experiments wired into recommendations: an enrolled shopper's answers are ranked under
 * their variant and say so; views, purchases and "not this" citing those answers, and privacy-tagged
 * feedback, count for that variant; the rollout job stops an experiment whose guardrail breaks on
 * those real counts; shoppers at `off`, objecting or restricted get the model's own answer and are
 * never enrolled.
 */
const PERSONAL = 'personalize.recommendations'
const SESSION = 'personalize.session'
const CATALOG = ['MUG', 'TEA', 'CANDLE', 'LAMP', 'RUG', 'VASE'].map((id, i) => ({
  id,
  title: `Item ${id}`,
  category: [i % 2 === 0 ? 'Kitchen' : 'Home'],
}))

interface AnswerBody {
  recommId: string
  level: string
  items: { id: string }[]
  experiment?: { id: string; variant: string }
}

interface Arm {
  variant: string
  units: number
  counts: Record<string, number>
}

interface ExperimentRead {
  experiment: { status: string; stoppedReason: unknown }
  statistics: { arms: Arm[] }
  history: { comparisons: { metric: string }[] }[]
}

function definition(overrides: Record<string, unknown> = {}) {
  return {
    name: 'More popular items',
    target: 'recommendation_parameters',
    purpose: PERSONAL,
    variants: [
      { name: 'control', settings: {} },
      { name: 'popular', settings: { 'personal.popularityWeight': 1, 'personal.otherWeight': 2 } },
    ],
    primaryMetric: 'purchase',
    guardrails: [
      { metric: 'not_this', tolerance: 0 },
      { metric: 'creepy', tolerance: 0 },
    ],
    stages: [1],
    plannedUnits: 1000,
    ...overrides,
  }
}

for (const dialect of DIALECTS) {
  describe(`experiments in recommendations on ${dialect}`, { timeout: 120_000 }, () => {
    let ctx: TestContext
    let version: string
    const quiet = {
      CANDOR_TRAIN_INTERVAL_MINUTES: '0',
      CANDOR_RETENTION_INTERVAL_MINUTES: '0',
      CANDOR_AUDIT_INTERVAL_HOURS: '0',
    }
    beforeAll(async () => {
      ctx = await createTestContext(dialect, { env: quiet })
      ctx.clock.set('2026-03-02T09:00:00Z')
      const items = await ctx.request({
        method: 'PUT',
        url: '/v1/items',
        as: 'storefront',
        payload: { items: CATALOG },
      })
      expect(items.statusCode, items.body).toBeLessThan(300)
      version = (await ctx.request({ method: 'GET', url: '/v1/notice' })).json().version as string
      // A little history so that the model has neighbours and popularity to rank with.
      for (const [n, basket] of [
        ['MUG', 'TEA'],
        ['MUG', 'TEA', 'CANDLE'],
        ['LAMP', 'RUG'],
        ['TEA', 'VASE'],
      ].entries()) {
        await grant(`seed-${n}`, PERSONAL)
        await send(
          basket.map((item, i) => ({
            id: `seed-${n}-${i}`,
            type: 'purchase',
            subject: `seed-${n}`,
            item,
            quantity: 1,
            price: 3,
            timestamp: '2026-03-01T10:00:00Z',
          })),
        )
      }
      await ctx.services.recommend.train()
    })
    afterAll(async () => {
      await ctx?.close()
    })

    async function grant(ref: string, purpose: string, decision = 'granted') {
      const r = await ctx.request({
        method: 'PUT',
        url: `/v1/subjects/${ref}/consents/${purpose}`,
        as: 'storefront',
        payload: { decision, method: 'banner', noticeVersion: version, jurisdiction: 'UK' },
      })
      expect(r.statusCode, r.body).toBe(200)
    }
    async function send(events: object[]) {
      const r = await ctx.request({
        method: 'POST',
        url: '/v1/events',
        as: 'storefront',
        payload: { events },
      })
      expect(r.statusCode, r.body).toBeLessThan(300)
      for (const e of r.json().results ?? r.json().events ?? [])
        expect(e.status, r.body).toBe('stored')
    }
    async function ask(ref: string): Promise<AnswerBody> {
      const r = await ctx.request({
        method: 'GET',
        url: `/v1/recommendations?subject=${ref}&limit=4`,
        as: 'storefront',
      })
      expect(r.statusCode, r.body).toBe(200)
      expect(RecommendationAnswerSchema.safeParse(r.json()).success).toBe(true)
      return r.json<AnswerBody>()
    }
    async function notThis(ref: string, answer: AnswerBody) {
      const r = await ctx.request({
        method: 'POST',
        url: '/v1/feedback',
        as: 'storefront',
        payload: {
          subject: ref,
          kind: 'not_interested',
          item: answer.items[0]!.id,
          recommId: answer.recommId,
        },
      })
      expect(r.statusCode, r.body).toBe(201)
    }
    async function create(overrides: Record<string, unknown> = {}): Promise<string> {
      const r = await ctx.request({
        method: 'POST',
        url: '/v1/experiments',
        as: 'admin',
        payload: definition(overrides),
      })
      expect(r.statusCode, r.body).toBe(201)
      return r.json().id as string
    }
    const read = async (id: string) =>
      (
        await ctx.request({ method: 'GET', url: `/v1/experiments/${id}`, as: 'analyst' })
      ).json<ExperimentRead>()
    const stop = (id: string) =>
      ctx.request({ method: 'POST', url: `/v1/experiments/${id}/stop`, as: 'admin' })
    const armOf = (stats: { arms: Arm[] }, variant: string) =>
      stats.arms.find((a) => a.variant === variant)!

    it('refuses settings that are not scoring parameters, naming the field', async () => {
      const r = await ctx.request({
        method: 'POST',
        url: '/v1/experiments',
        as: 'admin',
        payload: definition({
          variants: [
            { name: 'control', settings: {} },
            { name: 'odd', settings: { popularShare: 0.2, 'personal.easeWeight': 3 } },
          ],
        }),
      })
      expect(r.statusCode).toBe(400)
      expect(r.body).toContain('popularShare')
      expect(r.body).toContain('personal.easeWeight')
      expect(r.body).toContain('from 0 to 1')
    })

    it('ranks an enrolled shopper under their variant and counts what they do with it for that variant', async () => {
      const id = await create()
      await grant('wired-1', PERSONAL)
      const answer = await ask('wired-1')
      expect(answer.level).toBe('personal')
      expect(answer.experiment?.id).toBe(id)
      const variant = answer.experiment!.variant
      const other = variant === 'control' ? 'popular' : 'control'
      // Sticky: the next answer is under the same variant.
      const again = await ask('wired-1')
      expect(again.experiment).toEqual(answer.experiment)

      const shown = answer.items[0]!.id
      const notShown = CATALOG.map((c) => c.id).find((x) => !answer.items.some((i) => i.id === x))
      await send([
        {
          id: 'wired-1-buy',
          type: 'purchase',
          subject: 'wired-1',
          item: shown,
          quantity: 1,
          price: 3,
          recommId: answer.recommId,
          timestamp: '2026-03-02T09:00:00Z',
        },
        // Cites the answer but names an item it did not show: counts for nothing.
        ...(notShown === undefined
          ? []
          : [
              {
                id: 'wired-1-view',
                type: 'view',
                subject: 'wired-1',
                item: notShown,
                recommId: answer.recommId,
                timestamp: '2026-03-02T09:00:00Z',
              },
            ]),
      ])
      await notThis('wired-1', again)
      const counted = await ctx.services.experiments.attributeOutcomes()
      expect(counted.actions).toBe(2)
      // Counted once per shopper: reading the same window again adds nothing.
      expect((await ctx.services.experiments.attributeOutcomes()).actions).toBe(0)

      const { statistics } = await read(id)
      expect(armOf(statistics, variant)).toMatchObject({
        units: 1,
        counts: { purchase: 1, not_this: 1, view: 0, basket: 0 },
      })
      expect(armOf(statistics, other)).toMatchObject({
        units: 0,
        counts: { purchase: 0, not_this: 0 },
      })

      // Feedback calling the suggestions creepy counts for the "creepy" guardrail.
      const voice = await ctx.request({
        method: 'POST',
        url: '/v1/voice',
        as: 'storefront',
        payload: { kind: 'feedback', subject: 'wired-1', text: 'These suggestions feel creepy' },
      })
      expect(voice.statusCode, voice.body).toBe(201)
      expect((await ctx.services.experiments.attributeOutcomes()).creepy).toBe(1)
      expect(armOf((await read(id)).statistics, variant).counts.creepy).toBe(1)

      // The shopper's export names the experiment, the variant and what differs, in plain words.
      const subjectId = (await ctx.services.identity.findSubjectId('wired-1'))!
      const exported = await ctx.services.experiments.exportSubject(subjectId)
      expect(exported.experiments).toMatchObject([
        { experiment: id, variant, control: variant === 'control' },
      ])
      expect(exported.experiments[0]!.differs).toMatch(
        variant === 'control' ? /Nothing differs/ : /popular with everyone/,
      )
      expect(exported.answersShaped).toBe(2)
      expect((await stop(id)).statusCode).toBe(200)
      // Stopped: the next answer is the model's own.
      expect((await ask('wired-1')).experiment).toBeUndefined()
    })

    it('gives shoppers at off, objecting or restricted the model answer and never enrols them', async () => {
      await grant('plain-off', PERSONAL)
      await grant('plain-objects', SESSION)
      await grant('plain-objects', PERSONAL, 'denied')
      await grant('plain-restricted', PERSONAL)
      const off = await ctx.request({
        method: 'PUT',
        url: '/v1/subjects/plain-off/settings',
        as: 'storefront',
        payload: { level: 'off' },
      })
      expect(off.statusCode).toBe(200)
      const restricted = await ctx.request({
        method: 'POST',
        url: '/v1/rights-requests',
        as: 'admin',
        payload: { type: 'restriction', subject: 'plain-restricted' },
      })
      expect(restricted.json().status).toBe('completed')
      const refs = ['plain-off', 'plain-objects', 'plain-restricted']
      const before = new Map<string, string[]>()
      for (const ref of refs)
        before.set(
          ref,
          (await ask(ref)).items.map((i) => i.id),
        )

      // Every variant changes the ranking a lot; stage 1 would enrol anybody eligible.
      const id = await create({
        variants: [
          { name: 'control', settings: { 'personal.repeatWeight': 0 } },
          { name: 'session_heavy', settings: { 'session.offWeight': 100 } },
        ],
      })
      for (const ref of refs) {
        const answer = await ask(ref)
        expect(answer.experiment, ref).toBeUndefined()
        expect(
          answer.items.map((i) => i.id),
          ref,
        ).toEqual(before.get(ref))
        const subjectId = (await ctx.services.identity.findSubjectId(ref))!
        expect((await ctx.services.experiments.exportSubject(subjectId)).experiments, ref).toEqual(
          [],
        )
      }
      const levels = await Promise.all(refs.map(async (ref) => (await ask(ref)).level))
      expect(levels).toEqual(['off', 'session', 'off'])
      // A shopper who may be enrolled is.
      await grant('plain-ok', PERSONAL)
      expect((await ask('plain-ok')).experiment?.id).toBe(id)
      const units = (await read(id)).statistics.arms.reduce(
        (n: number, a: { units: number }) => n + a.units,
        0,
      )
      expect(units).toBe(1)
      expect((await stop(id)).statusCode).toBe(200)
    })

    it('the rollout job stops an experiment whose guardrail breaks on real "not this" counts', async () => {
      const id = await create({ stages: [1], guardrails: [{ metric: 'not_this', tolerance: 0 }] })
      let treated = 0
      let controls = 0
      for (let i = 0; i < 200; i++) {
        const ref = `guarded-${i}`
        await grant(ref, PERSONAL)
        const answer = await ask(ref)
        expect(answer.experiment?.id).toBe(id)
        const treatment = answer.experiment!.variant !== 'control'
        const rate = treatment ? 0.5 : 0.04
        const index = treatment ? treated++ : controls++
        if ((index * 0.6180339887) % 1 < rate) await notThis(ref, answer)
      }
      expect(treated).toBeGreaterThan(50)
      expect(controls).toBeGreaterThan(50)
      const runtime = {
        config: ctx.config,
        services: ctx.services,
        logger: pino({ level: 'silent' }),
      } as Runtime
      const jobs = await startBackgroundJobs(runtime)
      try {
        for (const started = Date.now(); ;) {
          if ((await read(id)).experiment.status === 'stopped') break
          if (Date.now() - started > 30_000) throw new Error('not stopped within 30 s')
          await new Promise((resolve) => setTimeout(resolve, 100))
        }
      } finally {
        await jobs.stop()
      }
      const { experiment, statistics, history } = await read(id)
      expect(experiment.stoppedReason).toMatchObject({
        kind: 'guardrail',
        guardrail: { metric: 'not_this', variant: 'popular', breached: true },
      })
      expect(armOf(statistics, 'popular').counts.not_this).toBeGreaterThan(
        (armOf(statistics, 'control').counts.not_this ?? 0) * 3,
      )
      expect(history.length).toBeGreaterThanOrEqual(1)
      expect(
        history.at(-1)!.comparisons.some((c: { metric: string }) => c.metric === 'not_this'),
      ).toBe(true)
      // Nobody is enrolled any more, and the stop is in the audit log, by the job.
      expect((await ask('guarded-1')).experiment).toBeUndefined()
      const audit = await ctx.request({
        method: 'GET',
        url: '/v1/audit?action=experiment.stopped&actor=system:experiments.rollout',
        as: 'admin',
      })
      expect(audit.statusCode, audit.body).toBe(200)
      const stopped = (
        audit.json().entries as { action: string; details?: { experiment?: string } }[]
      ).find(
        (e: { action: string; details?: { experiment?: string } }) =>
          e.action === 'experiment.stopped' && e.details?.experiment === id,
      )
      expect(stopped, audit.body.slice(0, 500)).toBeDefined()
      const job = (await ctx.services.jobs.list()).find((j) => j.kind === 'experiments.rollout')
      expect(job?.runs).toBeGreaterThanOrEqual(1)
    })
  })
}
