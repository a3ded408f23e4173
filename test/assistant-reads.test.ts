import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'

/**
 * The assistant ranks with the recommender's view of the shopper as a read (`recommend.ranking`): an
 * assistant question logs no answer, counts no frequency cap and neither enrols the shopper in an
 * experiment nor records an exposure, while the same shopper's recommendations do all three; the
 * ranking is still the one at their level (their own history's reasons). The recommendations widget is
 * capped at 2 a day here, so that a counted assistant question would show as a capped answer.
 */
const PERSONAL = 'personalize.recommendations'
const CATALOG = [
  { id: 'TEA', title: 'Loose leaf tea', category: ['Kitchen', 'Tea'], price: 6 },
  { id: 'CADDY', title: 'Tea caddy', category: ['Kitchen', 'Tea'], price: 5 },
  { id: 'COSY', title: 'Knitted tea cosy', category: ['Kitchen', 'Tea'], price: 12 },
  { id: 'MUG', title: 'Tea mug', category: ['Kitchen', 'Mugs'], price: 8 },
  { id: 'CANDLE', title: 'Candle', category: ['Home', 'Candles'], price: 4 },
]
const BASKETS = [
  ...Array.from({ length: 6 }, () => ['TEA', 'CADDY', 'COSY']),
  ...Array.from({ length: 6 }, () => ['MUG', 'CANDLE']),
]

/** The demo charter with the recommendations widget capped at 2 personal answers a day. */
function charterCappedAtTwo(dir: string): string {
  const text = fs
    .readFileSync('candor.charter.yaml', 'utf8')
    .replace('frequencyCap: { max: 50, perDays: 1 }', 'frequencyCap: { max: 2, perDays: 1 }')
  expect(text).toContain('{ max: 2, perDays: 1 }')
  const file = path.join(dir, 'charter-capped.yaml')
  fs.writeFileSync(file, text)
  return file
}

for (const dialect of DIALECTS) {
  describe(`assistant ranking as a read on ${dialect}`, { timeout: 120_000 }, () => {
    let ctx: TestContext
    let dir: string
    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'candor-reads-'))
      ctx = await createTestContext(dialect, {
        env: {
          CANDOR_CHARTER_FILE: charterCappedAtTwo(dir),
          CANDOR_TRAIN_INTERVAL_MINUTES: '0',
          CANDOR_RETENTION_INTERVAL_MINUTES: '0',
        },
      })
      const items = await ctx.request({
        method: 'PUT',
        url: '/v1/items',
        as: 'storefront',
        payload: { items: CATALOG },
      })
      expect(items.statusCode, items.body).toBe(200)
      const version = (await ctx.request({ method: 'GET', url: '/v1/notice' })).json().version
      const people: [string, string[]][] = BASKETS.map((basket, b) => [`crowd-${b}`, basket])
      people.push(['reader', ['CADDY']])
      for (const [ref, basket] of people) {
        const granted = await ctx.request({
          method: 'PUT',
          url: `/v1/subjects/${ref}/consents/${PERSONAL}`,
          as: 'storefront',
          payload: { decision: 'granted', noticeVersion: version, jurisdiction: 'UK' },
        })
        expect(granted.statusCode, granted.body).toBe(200)
        const at = ctx.clock.now().toISOString()
        const events = basket.map((item, i) => ({
          id: `${ref}-${i}`,
          type: 'purchase',
          subject: ref,
          item,
          timestamp: at,
        }))
        const r = await ctx.request({
          method: 'POST',
          url: '/v1/events',
          as: 'storefront',
          payload: { events },
        })
        expect(r.statusCode, r.body).toBe(200)
      }
      await ctx.services.recommend.train()
      // A running experiment over recommendation parameters that would enrol every personal answer.
      const experiment = await ctx.request({
        method: 'POST',
        url: '/v1/experiments',
        as: 'admin',
        payload: {
          name: 'More popular items',
          target: 'recommendation_parameters',
          purpose: PERSONAL,
          variants: [
            { name: 'control', settings: {} },
            { name: 'popular', settings: { 'personal.popularityWeight': 1 } },
          ],
          primaryMetric: 'purchase',
          guardrails: [{ metric: 'not_this', tolerance: 0 }],
          stages: [1],
          plannedUnits: 1000,
        },
      })
      expect(experiment.statusCode, experiment.body).toBe(201)
    })
    afterAll(async () => {
      await ctx?.close()
      fs.rmSync(dir, { recursive: true, force: true })
    })

    /** Rows of the answer log, frequency-cap counts, enrolments and exposures, all shoppers together. */
    async function effects() {
      await ctx.services.recommend.flushAnswers()
      const db = ctx.storage.db.withTables<{
        recommend_answers: { recomm_id: string }
        touchpoint_counts: { owner: string; served: number }
        experiment_enrolments: { subject_id: string }
        experiment_exposures: { recomm_id: string }
      }>()
      const count = async (
        table:
          | 'recommend_answers'
          | 'touchpoint_counts'
          | 'experiment_enrolments'
          | 'experiment_exposures',
      ) =>
        Number(
          (
            await db
              .selectFrom(table)
              .select((eb) => eb.fn.countAll<number | string>().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        )
      const served = await db
        .selectFrom('touchpoint_counts')
        .select((eb) => eb.fn.sum<number | string | null>('served').as('n'))
        .executeTakeFirstOrThrow()
      return {
        answers: await count('recommend_answers'),
        capClaims: Number(served.n ?? 0),
        enrolments: await count('experiment_enrolments'),
        exposures: await count('experiment_exposures'),
      }
    }

    it('answers at the shopper’s level and leaves no answer, cap count, enrolment or exposure', async () => {
      const before = await effects()
      for (let n = 0; n < 3; n++) {
        const r = await ctx.request({
          method: 'POST',
          url: '/v1/assistant/messages',
          as: 'storefront',
          payload: { text: 'a gift under 20 pounds for a tea lover', subject: 'reader' },
        })
        expect(r.statusCode, r.body).toBe(200)
        const answer = r.json<{
          level: string
          items: { id: string; explanation: { kind: string; sentence: string } }[]
        }>()
        expect(answer.level).toBe('personal')
        // Ranked with the reader's own history: the recommender's reasons about their caddy.
        expect(answer.items.some((i) => i.explanation.kind !== 'matches_request')).toBe(true)
        expect(JSON.stringify(answer.items)).toMatch(/Tea caddy/)
      }
      expect(await effects()).toEqual(before)
    })

    it('while the same shopper’s recommendations log, count and enrol (the counters work)', async () => {
      const before = await effects()
      const recommend = async () => {
        const r = await ctx.request({
          method: 'GET',
          url: '/v1/recommendations?subject=reader&placement=home&limit=3',
          as: 'storefront',
        })
        expect(r.statusCode, r.body).toBe(200)
        return r.json<{ level: string; experiment?: object; cap?: { max: number } }>()
      }
      // The three assistant questions counted nothing: both of the day's personal answers are left.
      for (let n = 0; n < 2; n++) {
        const answer = await recommend()
        expect(answer.level).toBe('personal')
        expect(answer.experiment).toBeDefined()
      }
      const capped = await recommend()
      expect(capped.level).toBe('off')
      expect(capped.cap?.max).toBe(2)
      const after = await effects()
      expect(after.answers).toBe(before.answers + 3)
      expect(after.capClaims).toBe(2)
      expect(after.enrolments).toBe(before.enrolments + 1)
      expect(after.exposures).toBe(before.exposures + 2)
      // The assistant still answers at personal past the widget's cap: it is not that touchpoint.
      const r = await ctx.request({
        method: 'POST',
        url: '/v1/assistant/messages',
        as: 'storefront',
        payload: { text: 'a gift under 20 pounds for a tea lover', subject: 'reader' },
      })
      expect(r.json().level).toBe('personal')
      expect(await effects()).toEqual(after)
    })
  })
}
