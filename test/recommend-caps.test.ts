import fc from 'fast-check'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DAY_MS } from '../src/lib/clock.js'
import { RecommendationAnswerSchema } from '../src/modules/recommend/recommend.js'
import { createTouchpointCaps } from '../src/modules/recommend/touchpoint-caps.js'
import { createServices } from '../src/main/compose.js'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'

/**
 * Issue 16, finding 12: the notice promises "Suggestions on product and basket pages: at most 50 times
 * every day" (the charter's `recommendations_widget` cap) and "a short question ... at most 1 time every
 * day" (`consent_prompt`); both are kept, per shopper and per anonymous visit.
 */
const PERSONAL = 'personalize.recommendations'
const SESSION = 'personalize.session'
const CATALOG = [
  { id: 'MUG', title: 'Tea mug', category: ['Kitchen'] },
  { id: 'TEA', title: 'Loose leaf tea', category: ['Kitchen'] },
  { id: 'CANDLE', title: 'Candle', category: ['Home'] },
]
const WIDGET_CAP = {
  touchpoint: 'recommendations_widget',
  max: 50,
  perDays: 1,
}

interface Answer {
  level: string
  levelReason: string
  cap?: { touchpoint: string; max: number; perDays: number; resetsAt: string }
  prompt?: { purpose: string }
}

for (const dialect of DIALECTS) {
  describe(`touchpoint frequency caps on ${dialect}`, () => {
    let ctx: TestContext
    let version: string
    beforeAll(async () => {
      ctx = await createTestContext(dialect)
      const items = await ctx.request({
        method: 'PUT',
        url: '/v1/items',
        as: 'storefront',
        payload: { items: CATALOG },
      })
      expect(items.statusCode, items.body).toBeLessThan(300)
      version = (await ctx.request({ method: 'GET', url: '/v1/notice' })).json().version
    })
    afterAll(async () => {
      await ctx?.close()
    })

    async function grant(url: string, purpose: string) {
      const r = await ctx.request({
        method: 'PUT',
        url: `${url}/consents/${purpose}`,
        as: 'storefront',
        payload: {
          decision: 'granted',
          method: 'banner',
          noticeVersion: version,
          jurisdiction: 'UK',
        },
      })
      expect(r.statusCode, r.body).toBe(200)
    }
    async function ask(query: string): Promise<Answer> {
      const r = await ctx.request({
        method: 'GET',
        url: `/v1/recommendations?${query}`,
        as: 'storefront',
      })
      expect(r.statusCode, r.body).toBe(200)
      const answer = r.json<Answer>()
      expect(RecommendationAnswerSchema.safeParse(answer).success).toBe(true)
      return answer
    }
    async function countsOf(owner: string): Promise<number> {
      const { rows } = await sql<{
        n: number | string
      }>`select count(*) as n from touchpoint_counts where owner = ${owner}`.execute(ctx.storage.db)
      return Number(rows[0]!.n)
    }

    it('answer 50 of a day is personal, answer 51 falls back to off naming the cap, the next day resets it', async () => {
      ctx.clock.set('2026-03-02T09:00:00Z')
      await grant('/v1/subjects/capped-1', PERSONAL)
      for (let i = 1; i <= 50; i++) {
        const answer = await ask('subject=capped-1&limit=3')
        expect(answer.level, `answer ${i}`).toBe('personal')
        expect(answer.cap).toBeUndefined()
      }
      const fallback = await ask('subject=capped-1&limit=3')
      expect(fallback.level).toBe('off')
      expect(fallback.cap).toEqual({ ...WIDGET_CAP, resetsAt: '2026-03-03T00:00:00.000Z' })
      expect(fallback.levelReason).toMatch(/^off: /)
      // Still capped for the rest of the day, and another shopper is not.
      ctx.clock.set('2026-03-02T23:59:59.999Z')
      expect((await ask('subject=capped-1&limit=3')).cap?.touchpoint).toBe('recommendations_widget')
      await grant('/v1/subjects/capped-other', PERSONAL)
      expect((await ask('subject=capped-other&limit=3')).level).toBe('personal')
      // A new window: personal again.
      ctx.clock.set('2026-03-03T00:00:00Z')
      const next = await ask('subject=capped-1&limit=3')
      expect(next.level).toBe('personal')
      expect(next.cap).toBeUndefined()
    })

    it('counts an anonymous visit per session', async () => {
      ctx.clock.set('2026-03-04T10:00:00Z')
      await grant('/v1/sessions/visit-capped-1', SESSION)
      for (let i = 1; i <= 50; i++) {
        expect((await ask('session=visit-capped-1&limit=3')).level, `answer ${i}`).toBe('session')
      }
      const fallback = await ask('session=visit-capped-1&limit=3')
      expect(fallback.level).toBe('off')
      expect(fallback.cap).toEqual({ ...WIDGET_CAP, resetsAt: '2026-03-05T00:00:00.000Z' })
      await grant('/v1/sessions/visit-capped-2', SESSION)
      expect((await ask('session=visit-capped-2&limit=3')).level).toBe('session')
    })

    it('holds across processes sharing the database (CANDOR_WORKERS > 1)', async () => {
      ctx.clock.set('2026-03-06T10:00:00Z')
      await grant('/v1/subjects/capped-2', PERSONAL)
      const storage = ctx.storage.another()
      const other = createServices({
        config: ctx.config,
        storage,
        clock: ctx.clock,
        keys: ctx.services.keys,
        charter: ctx.services.charter,
      })
      try {
        const query = { subject: 'capped-2', limit: 3, placement: 'home' as const }
        const levels: string[] = []
        // Both processes at once, 30 requests each: never more than 50 personal answers in all (each
        // process claims a few at a time, so one may meet the cap while the other still holds a few).
        await Promise.all(
          [ctx.services, other].map(async (services) => {
            for (let i = 0; i < 30; i++) {
              levels.push((await services.recommend.recommend(query, {})).level)
            }
          }),
        )
        const personal = levels.filter((l) => l === 'personal').length
        expect(personal).toBeLessThanOrEqual(50)
        expect(personal).toBeGreaterThanOrEqual(40)
        expect(levels).toHaveLength(60)
        // Whatever each process still holds, the database hands out no more.
        for (const services of [ctx.services, other]) {
          const answer = await services.recommend.recommend(query, {})
          if (answer.level === 'personal') levels.push('personal')
        }
        expect(levels.filter((l) => l === 'personal').length).toBeLessThanOrEqual(50)
      } finally {
        await other.recommend.flushAnswers()
        await storage.close()
      }
    })

    it('claims never count past the cap, whatever the processes and their order (property)', async () => {
      ctx.clock.set('2026-03-20T10:00:00Z')
      const storages = [ctx.storage, ctx.storage.another(), ctx.storage.another()]
      let run = 0
      try {
        await fc.assert(
          fc.asyncProperty(
            fc.integer({ min: 1, max: 40 }),
            fc.array(fc.tuple(fc.nat({ max: 2 }), fc.integer({ min: 1, max: 3 })), {
              minLength: 1,
              maxLength: 60,
            }),
            async (max, turns) => {
              run += 1
              const charter = {
                ...ctx.services.charter,
                touchpoints: {
                  widget: {
                    ...ctx.services.charter.touchpoints.recommendations_widget!,
                    frequencyCap: { max, perDays: 1 },
                  },
                },
              }
              const processes = storages.map((storage) =>
                createTouchpointCaps({ db: storage.db, clock: ctx.clock, charter }),
              )
              const owner = `prop-${run}`
              let total = 0
              let asked = 0
              // Each turn: one process takes 1 to 3 answers at once (concurrent requests).
              for (const [p, concurrent] of turns) {
                asked += concurrent
                const caps = await Promise.all(
                  Array.from({ length: concurrent }, () => processes[p]!.take(owner, 'widget')),
                )
                total += caps.filter((cap) => cap === undefined).length
              }
              expect(total).toBeLessThanOrEqual(max)
              // One process alone serves exactly up to the cap.
              if (new Set(turns.map(([p]) => p)).size === 1)
                expect(total).toBe(Math.min(max, asked))
            },
          ),
          { numRuns: 40 },
        )
      } finally {
        await storages[1]!.close()
        await storages[2]!.close()
      }
    })

    it('access shows the subject’s counters and erasure removes them', async () => {
      ctx.clock.set('2026-03-07T10:00:00Z')
      await grant('/v1/subjects/capped-3', PERSONAL)
      await ask('subject=capped-3&limit=3')
      const subjectId = (await ctx.services.identity.findSubjectId('capped-3'))!
      expect(await countsOf(subjectId)).toBe(1)
      // An access request shows the counter.
      const exported = (await ctx.services.recommend.exportSubject(subjectId)).touchpointCounts
      expect(exported).toEqual([
        expect.objectContaining({
          touchpoint: 'recommendations_widget',
          windowStart: '2026-03-07T00:00:00.000Z',
          resetsAt: '2026-03-08T00:00:00.000Z',
        }),
      ])
      expect(exported[0]!.counted).toBeGreaterThanOrEqual(1)
      const erased = await ctx.request({
        method: 'POST',
        url: '/v1/rights-requests',
        as: 'privacy_officer',
        payload: { type: 'erasure', subject: 'capped-3', jurisdiction: 'UK' },
      })
      expect(erased.statusCode, erased.body).toBe(201)
      expect(erased.json().status).toBe('completed')
      expect(await countsOf(subjectId)).toBe(0)
    })

    it('retention drops the counters of windows that ended', async () => {
      ctx.clock.set('2026-03-08T10:00:00Z')
      await grant('/v1/subjects/capped-4', PERSONAL)
      await ask('subject=capped-4&limit=3')
      const subjectId = (await ctx.services.identity.findSubjectId('capped-4'))!
      expect(await countsOf(subjectId)).toBe(1)
      await ctx.services.recommend.deleteExpired(ctx.storage.db, new Date('2026-03-08T23:00:00Z'))
      expect(await countsOf(subjectId)).toBe(1)
      await ctx.services.recommend.deleteExpired(ctx.storage.db, new Date('2026-03-09T00:00:00Z'))
      expect(await countsOf(subjectId)).toBe(0)
    })

    it('offers at most one consent prompt a day (consent_prompt), whatever its purpose', async () => {
      ctx.clock.set('2026-03-10T10:00:00Z')
      const subjectId = await ctx.services.identity.ensureSubjectId('prompted-1')
      const first = await ctx.services.consent.promptFor(subjectId, PERSONAL, {
        jurisdiction: 'UK',
      })
      expect(first?.purpose).toBe(PERSONAL)
      ctx.clock.advance(60_000)
      const second = await ctx.services.consent.promptFor(subjectId, 'analytics.reporting', {
        jurisdiction: 'UK',
      })
      expect(second).toBeUndefined()
      ctx.clock.set('2026-03-11T00:00:00Z')
      const nextDay = await ctx.services.consent.promptFor(subjectId, 'analytics.reporting', {
        jurisdiction: 'UK',
      })
      expect(nextDay?.purpose).toBe('analytics.reporting')
    })

    it('a prompt in a recommendation answer counts towards consent_prompt', async () => {
      ctx.clock.set('2026-03-12T10:00:00Z')
      const answer = await ask('subject=prompted-2&limit=3')
      expect(answer.prompt?.purpose).toBe(PERSONAL)
      const subjectId = (await ctx.services.identity.findSubjectId('prompted-2'))!
      ctx.clock.advance(DAY_MS / 4)
      expect(
        await ctx.services.consent.promptFor(subjectId, 'analytics.reporting', {
          jurisdiction: 'UK',
        }),
      ).toBeUndefined()
    })
  })
}
