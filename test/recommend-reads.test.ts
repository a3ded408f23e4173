import type { FastifyInstance } from 'fastify'
import { CompiledQuery } from 'kysely'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { buildApp } from '../src/app.js'
import { createServices } from '../src/main/compose.js'
import { type Storage, createStorage } from '../src/storage/db.js'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'

/**
 * Issue 18, point 7: a personal request reads each thing once, and of the shopper's history only what
 * scoring uses. Scoring (`engine/personal-parts.ts`) reads every event of the shopper's history that
 * still serves personalized recommendations: no count cap, and its recency decays never reach zero, so
 * the cap is that purpose's own window (`usableSince`: its retention). A second process (a storage of
 * its own, counting its statements) answers, so nothing of the shopper is in its copies yet.
 */

const PERSONAL = 'personalize.recommendations'
const DAY_MS = 86_400_000
const ITEMS = Array.from({ length: 40 }, (_, i) => ({
  id: `I${i}`,
  title: `Item ${i}`,
  category: [i % 2 === 0 ? 'Even' : 'Odd'],
}))
/** The heavy shopper's events that scoring reads (within the purpose's 365 days), and older ones. */
const USABLE = 300
const TOO_OLD = 60
/**
 * What one uncached personal answer reads, each once: the shopper's pseudonym (identity), their
 * settings and consent records (one statement: the ledger), the frequency cap's claim (a write), their
 * feedback, and their history. The running experiments (the experiment step asks whether one shapes
 * this answer) are nobody's: the process's copy of them (`experiments.cache.ts`), read by its first
 * answer, serves every shopper's.
 */
const STATEMENTS = 5

/** Statements that are not one request's reads of the shopper (transactions, audit records). */
const BOOKKEEPING = /^(begin|commit|rollback)$|audit_|advisory/i

for (const dialect of DIALECTS) {
  describe(`reads of one personal recommendation on ${dialect}`, () => {
    let ctx: TestContext
    let other: { storage: Storage; app: FastifyInstance }
    const statements: { text: string; parameters: readonly unknown[] }[] = []

    const post = async (payload: object, url = '/v1/events') => {
      const r = await ctx.request({ method: 'POST', url, as: 'storefront', payload })
      expect(r.statusCode, r.body).toBe(200)
    }
    const grant = async (ref: string, version: string, purpose = PERSONAL) => {
      const r = await ctx.request({
        method: 'PUT',
        url: `/v1/subjects/${ref}/consents/${purpose}`,
        as: 'storefront',
        payload: { decision: 'granted', noticeVersion: version, jurisdiction: 'UK' },
      })
      expect(r.statusCode, r.body).toBe(200)
    }
    const ago = (ms: number) => new Date(ctx.clock.now().getTime() - ms).toISOString()

    beforeAll(async () => {
      ctx = await createTestContext(dialect)
      const version = (await ctx.request({ method: 'GET', url: '/v1/notice' })).json().version
      const items = await ctx.request({
        method: 'PUT',
        url: '/v1/items',
        as: 'storefront',
        payload: { items: ITEMS },
      })
      expect(items.statusCode, items.body).toBe(200)
      for (let s = 0; s < 12; s++) {
        const ref = `crowd-${s}`
        await grant(ref, version)
        await post({
          events: Array.from({ length: 6 }, (_, i) => ({
            id: `${ref}-${i}`,
            type: 'purchase',
            subject: ref,
            item: `I${(s + i * 3) % ITEMS.length}`,
            timestamp: ago(DAY_MS),
          })),
        })
      }
      await grant('heavy', version)
      // Analytics keeps events longer (395 days) than personalized recommendations (365).
      await grant('heavy', version, 'analytics.reporting')
      // A few hundred events over the last months (some a day apart, some the same day), and some
      // older than the purpose's retention: kept (for the shopper's other purposes), never scored.
      const events = [
        ...Array.from({ length: USABLE }, (_, i) => ({
          id: `heavy-${i}`,
          type: i % 3 === 0 ? 'purchase' : 'view',
          item: `I${(i * 7) % ITEMS.length}`,
          timestamp: ago((i + 1) * 12 * 3_600_000),
        })),
        ...Array.from({ length: TOO_OLD }, (_, i) => ({
          id: `heavy-old-${i}`,
          type: 'purchase',
          item: `I${i % ITEMS.length}`,
          timestamp: ago((366 + (i % 25)) * DAY_MS),
        })),
      ]
      for (let b = 0; b < events.length; b += 100)
        await post({ events: events.slice(b, b + 100).map((e) => ({ ...e, subject: 'heavy' })) })
      await ctx.services.recommend.train()

      const storage = createStorage(ctx.config.database, {
        onQuery: (text, parameters) => statements.push({ text, parameters }),
      })
      const services = createServices({
        config: ctx.config,
        storage,
        clock: ctx.clock,
        keys: ctx.services.keys,
        charter: ctx.services.charter,
      })
      const { app } = await buildApp({ services, logger: pino({ level: 'silent' }) })
      other = { storage, app }
      // On PostgreSQL the copies are kept once the process listens for the others' writes.
      await vi.waitFor(() => expect(storage.changes.cacheable).toBe(true), { timeout: 5000 })
    })
    afterAll(async () => {
      await other?.app.close()
      await other?.storage.close()
      await ctx?.close()
    })

    const ask = async (ref: string) => {
      const r = await other.app.inject({
        method: 'GET',
        url: `/v1/recommendations?subject=${ref}&limit=5`,
        headers: { authorization: `Bearer ${ctx.keys.storefront}` },
      })
      expect(r.statusCode, r.body).toBe(200)
      expect(r.json<{ level: string }>().level).toBe('personal')
      return r.json<{ items: { id: string }[] }>()
    }
    const sent = () => statements.filter(({ text }) => !BOOKKEEPING.test(text))

    it('an uncached personal answer sends one statement per thing it reads, and the history statement returns only what scoring reads; the next one answers from copies', async () => {
      // The process's own first reads (the API key, the model's catalog) are not the shopper's.
      await ask('crowd-0')
      statements.length = 0
      const first = await ask('heavy')
      const reads = sent()
      expect(
        reads.map((s) => s.text.slice(0, 60)),
        reads.map((s) => s.text).join('\n'),
      ).toHaveLength(STATEMENTS)
      // Each table once: pseudonym, ledger (settings joined to the records), cap, feedback, history;
      // the running experiments from the copy the first answer made.
      expect(reads.filter((s) => s.text.includes('"experiments"'))).toEqual([])
      for (const table of [
        'subject_refs',
        'subject_settings',
        'consent_records',
        'touchpoint_counts',
        'recommend_feedback',
        'events',
      ])
        expect(
          reads.filter((s) => s.text.includes(`"${table}"`)),
          table,
        ).toHaveLength(1)
      // The history statement, run again as sent: it returns the usable events only.
      const history = reads.find((s) => s.text.includes('from "events"'))!
      const rows = await ctx.storage.db.executeQuery(
        CompiledQuery.raw(history.text, [...history.parameters]),
      )
      expect(rows.rows.length).toBeLessThanOrEqual(USABLE)
      expect(rows.rows.length).toBeGreaterThan(0)

      statements.length = 0
      const second = await ask('heavy')
      expect(second.items.map((i) => i.id)).toEqual(first.items.map((i) => i.id))
      expect(sent().length).toBeLessThan(STATEMENTS)
    })
  })
}
