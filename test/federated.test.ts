import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DAY_MS } from '../src/lib/clock.js'
import { DEFAULT_SKETCH, encodePair, seededWords, toWire } from '../src/modules/federated/sketch.js'
import { contributePairs } from '../sdk/src/federated.js'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'

/** The example charter with the federated purpose at epsilon 1 a report, 4 a day (4 reports). */
function charterWithFourReports(): string {
  const text = readFileSync('candor.charter.yaml', 'utf8').replace(
    'federated: { epsilonPerContribution: 4, epsilonPerDay: 4 }',
    'federated: { epsilonPerContribution: 1, epsilonPerDay: 4 }',
  )
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'candor-federated-')), 'charter.yaml')
  writeFileSync(file, text)
  return file
}

// Seeded, so the estimates these tests check are the same on every run (no chance of a flaky miss).
const words = seededWords(31)

const batch = (pairs: [string, string][], epsilon = 1) => ({
  epsilon,
  sketch: { m: DEFAULT_SKETCH.m, k: DEFAULT_SKETCH.k },
  reports: pairs.map(([a, b]) => toWire(encodePair(a, b, epsilon, DEFAULT_SKETCH, words))),
})

for (const dialect of DIALECTS) {
  describe(`federated contributions on ${dialect}`, () => {
    let ctx: TestContext
    beforeAll(async () => {
      ctx = await createTestContext(dialect, {
        env: { CANDOR_CHARTER_FILE: charterWithFourReports() },
      })
    })
    afterAll(async () => {
      await ctx?.close()
    })
    const post = (payload: object) =>
      ctx.request({ method: 'POST', url: '/v1/federated/contributions', payload })
    const stored = async () => {
      const sketches = await ctx.services.federated.pairEstimates(['a', 'b'])
      return sketches
    }

    it("gives the charter's terms to anyone", async () => {
      const response = await ctx.request({ method: 'GET', url: '/v1/federated/terms' })
      expect(response.statusCode, response.body).toBe(200)
      expect(response.json()).toEqual({
        purpose: 'train_ai_system.federated',
        epsilonPerContribution: 1,
        epsilonPerDay: 4,
        reportsPerDay: 4,
        sketch: { m: 1024, k: 16 },
      })
    })

    it('the notice says the epsilons per contribution and per day, and what they mean', async () => {
      const json = await ctx.request({ method: 'GET', url: '/v1/notice' })
      const purposes = json
        .json<{ groups: { purposes: { key: string; federated?: string }[] }[] }>()
        .groups.flatMap((g) => g.purposes)
      const text = purposes.find((p) => p.key === 'train_ai_system.federated')?.federated
      expect(text).toContain('At most 4 times a day, your browser sends us one pair of products')
      expect(text).toContain('Each report has an epsilon of 1 (per contribution)')
      expect(text).toContain('at most about 2.7 times likelier')
      expect(text).toContain('epsilon of at most 4 (per day)')
      expect(text).toContain('about 55 times likelier for one history than for another')
      expect(purposes.filter((p) => p.federated !== undefined)).toHaveLength(1)
      const html = await ctx.request({
        method: 'GET',
        url: '/v1/notice',
        headers: { accept: 'text/html' },
      })
      expect(html.body).toContain('What your browser sends, and the noise that protects you')
      expect(html.body).toContain('Each report has an epsilon of 1 (per contribution)')
    })

    it('takes a batch with no key, subject, session or cookie, and sets no cookie', async () => {
      const response = await post(batch([['85123A', '22423']]))
      expect(response.statusCode, response.body).toBe(202)
      expect(response.json()).toEqual({ accepted: 1 })
      expect(response.headers['set-cookie']).toBeUndefined()
      expect(response.headers['x-ratelimit-limit']).toBeDefined()
    })

    it('refuses a bad batch with a 400 naming the field, and adds nothing of it', async () => {
      const before = await ctx.services.federated.pairEstimates(['85123A', '22423', '84879'])
      const good = batch([['85123A', '22423']]).reports[0]!
      const cases: [object, string][] = [
        [{ ...batch([['85123A', '22423']], 2) }, 'epsilon'],
        [
          batch(Array.from({ length: 5 }, () => ['85123A', '22423'] as [string, string])),
          'reports',
        ],
        [{ ...batch([]), reports: [good, { row: 3, bits: 'not base64!' }] }, 'reports[1].bits'],
        [{ ...batch([]), reports: [good, { row: 3, bits: 'AAAA' }] }, 'reports[1].bits'],
        [{ ...batch([]), reports: [good, { row: 16, bits: good.bits }] }, 'reports[1].row'],
        [{ ...batch([['a', 'b']]), sketch: { m: 512, k: 16 } }, 'sketch'],
      ]
      for (const [payload, field] of cases) {
        const response = await post(payload)
        expect(response.statusCode, response.body).toBe(400)
        expect(response.headers['content-type']).toContain('application/problem+json')
        expect(response.json().issues?.[0]?.field ?? response.body, response.body).toContain(field)
      }
      // A subject is not a field of a batch.
      const withSubject = await post({ ...batch([['85123A', '22423']]), subject: 'cust-1' })
      expect(withSubject.statusCode).toBe(400)
      const after = await ctx.services.federated.pairEstimates(['85123A', '22423', '84879'])
      expect(after).toEqual(before)
    })

    it("the SDK sends what today's budget allows, then nothing until tomorrow", async () => {
      const address = await ctx.app.listen({ port: 0, host: '127.0.0.1' })
      const kept = new Map<string, string>()
      const store = {
        getItem: (key: string) => kept.get(key) ?? null,
        setItem: (key: string, value: string) => void kept.set(key, value),
      }
      const pairs = Array.from({ length: 6 }, (_, i) => [`x${i}`, `y${i}`] as const)
      const day = new Date('2026-03-02T10:00:00Z')
      expect(await contributePairs(address, pairs, store, day)).toBe(4)
      expect(await contributePairs(address, pairs, store, day)).toBe(0)
      expect(JSON.parse(kept.get('candor.federated.ledger')!)).toEqual({
        day: '2026-03-02',
        spent: 4,
      })
      const tomorrow = new Date('2026-03-03T00:00:01Z')
      expect(await contributePairs(address, pairs, store, tomorrow)).toBe(4)
    })

    it('adds batches into totals whose estimates find the reported pair', async () => {
      // 240 browsers report the same pair: its estimate stands out; a pair nobody reported does not.
      for (let i = 0; i < 60; i++) {
        const response = await post(batch(Array.from({ length: 4 }, () => ['a', 'b'])))
        expect(response.statusCode, response.body).toBe(202)
      }
      const found = await ctx.services.federated.pairEstimates(['a', 'b', 'c', 'd'])
      const pairs = [...found.counts.keys()].map((e) => [found.a[e], found.b[e]])
      expect(pairs).toContainEqual([0, 1])
      expect(pairs).not.toContainEqual([2, 3])
      const ab = found.counts[pairs.findIndex(([x, y]) => x === 0 && y === 1)]!
      // Epsilon 1 a report: the estimate's standard deviation is about 34 over 241 reports.
      expect(Math.abs(ab - 240)).toBeLessThan(4 * 34)
      expect(await stored()).toBeDefined()
    })

    it("keeps each day's totals for the purpose's retention (365 days), then retention deletes them", async () => {
      const found = async () => {
        const e = await ctx.services.federated.pairEstimates(['a', 'b', 'c', 'd'])
        return [...e.counts.keys()].map((i) => `${e.a[i]}-${e.b[i]}`)
      }
      // The a-b reports above arrived on 2026-03-02; 200 days later, 240 browsers report c-d.
      ctx.clock.advance(200 * DAY_MS)
      for (let i = 0; i < 60; i++)
        expect((await post(batch(Array.from({ length: 4 }, () => ['c', 'd'])))).statusCode).toBe(
          202,
        )
      expect(await found()).toEqual(expect.arrayContaining(['0-1', '2-3']))
      // Day 365 after the first: still kept (a day goes once it is wholly past its retention).
      ctx.clock.advance(165 * DAY_MS)
      expect((await ctx.services.retention.run()).deleted.federated).toEqual({ federatedDays: 0 })
      expect(await found()).toContain('0-1')
      ctx.clock.advance(DAY_MS)
      const run = await ctx.services.retention.run()
      expect(run.deleted.federated?.federatedDays).toBeGreaterThan(0)
      expect(await found()).not.toContain('0-1')
      expect(await found()).toContain('2-3')
      ctx.clock.advance(200 * DAY_MS)
      await ctx.services.retention.run()
      expect(await found()).toEqual([])
      const rows = await ctx.storage.db
        .withTables<{ federated_sketch: { day: string } }>()
        .selectFrom('federated_sketch')
        .select('day')
        .execute()
      expect(rows).toEqual([])
    })
  })
}
