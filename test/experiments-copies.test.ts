import type { FastifyInstance } from 'fastify'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { buildApp } from '../src/app.js'
import { createServices } from '../src/main/compose.js'
import { type Storage, createStorage } from '../src/storage/db.js'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'

/**
 * Issue 17, serve path: every signed-in answer above `off` asks which running experiment shapes it,
 * from a copy of the running experiments kept in memory (`experiments.cache.ts`) and dropped whenever
 * `experiments` is written: at once in the writing process, and in another process by its next request
 * (PostgreSQL: NOTIFY on commit; SQLite: `data_version` and the watched-writes count). The other
 * process is a storage of its own on the same database (its own connection, and on PostgreSQL its own
 * listening connection), with its own services and app, as a second server would have.
 */
const PERSONAL = 'personalize.recommendations'
const CATALOG = ['MUG', 'TEA', 'CANDLE', 'LAMP', 'RUG', 'VASE'].map((id, i) => ({
  id,
  title: `Item ${id}`,
  category: [i % 2 === 0 ? 'Kitchen' : 'Home'],
}))
const DEFINITION = {
  name: 'More popular items',
  target: 'recommendation_parameters',
  purpose: PERSONAL,
  variants: [
    { name: 'control', settings: {} },
    { name: 'popular', settings: { 'personal.popularityWeight': 1 } },
  ],
  primaryMetric: 'purchase',
  // Everyone is enrolled from the start.
  stages: [1],
}

interface AnswerBody {
  level: string
  experiment?: { id: string; variant: string }
}

for (const dialect of DIALECTS) {
  describe(`the copy of the running experiments on ${dialect}`, { timeout: 120_000 }, () => {
    let ctx: TestContext
    let other: { storage: Storage; app: FastifyInstance }
    const otherStatements: string[] = []

    beforeAll(async () => {
      ctx = await createTestContext(dialect, {
        env: { CANDOR_TRAIN_INTERVAL_MINUTES: '0', CANDOR_RETENTION_INTERVAL_MINUTES: '0' },
      })
      const version = (await ctx.request({ method: 'GET', url: '/v1/notice' })).json().version
      const items = await ctx.request({
        method: 'PUT',
        url: '/v1/items',
        as: 'storefront',
        payload: { items: CATALOG },
      })
      expect(items.statusCode, items.body).toBeLessThan(300)
      for (const [n, basket] of [['MUG', 'TEA'], ['MUG', 'TEA', 'CANDLE'], ['LAMP']].entries()) {
        const ref = n === 2 ? 'copies-1' : `copies-seed-${n}`
        const granted = await ctx.request({
          method: 'PUT',
          url: `/v1/subjects/${ref}/consents/${PERSONAL}`,
          as: 'storefront',
          payload: { decision: 'granted', noticeVersion: version, jurisdiction: 'UK' },
        })
        expect(granted.statusCode, granted.body).toBe(200)
        const events = basket.map((item, i) => ({
          id: `${ref}-${i}`,
          type: 'purchase',
          subject: ref,
          item,
          timestamp: ctx.clock.now().toISOString(),
        }))
        const sent = await ctx.request({
          method: 'POST',
          url: '/v1/events',
          as: 'storefront',
          payload: { events },
        })
        expect(sent.statusCode, sent.body).toBe(200)
      }
      await ctx.services.recommend.train()

      const storage = createStorage(ctx.config.database, {
        onQuery: (text) => otherStatements.push(text),
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

    /** Calls this process (`here`) or the other one with the role's key. */
    const call = async (
      where: 'here' | 'there',
      method: 'GET' | 'POST',
      url: string,
      role: 'storefront' | 'admin',
      payload?: object,
    ) => {
      const app = where === 'here' ? ctx.app : other.app
      return app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${ctx.keys[role]}` },
        ...(payload === undefined ? {} : { payload }),
      })
    }
    const experimentOf = async (where: 'here' | 'there') => {
      const r = await call(
        where,
        'GET',
        '/v1/recommendations?subject=copies-1&limit=3',
        'storefront',
      )
      expect(r.statusCode, r.body).toBe(200)
      const body = r.json<AnswerBody>()
      expect(body.level).toBe('personal')
      return body.experiment?.id
    }
    const create = async (where: 'here' | 'there') => {
      const r = await call(where, 'POST', '/v1/experiments', 'admin', DEFINITION)
      expect(r.statusCode, r.body).toBe(201)
      return r.json<{ id: string }>().id
    }
    const stop = async (where: 'here' | 'there', id: string) => {
      const r = await call(where, 'POST', `/v1/experiments/${id}/stop`, 'admin')
      expect(r.statusCode, r.body).toBe(200)
    }
    const experimentsReadThere = () =>
      otherStatements.filter((text) => text.includes('from "experiments"')).length

    it('keeps the copy while nothing changes, and each process sees a create or a stop made in either on its next answer', async () => {
      // Both read the (empty) list once; the other process then answers from its copy.
      expect(await experimentOf('here')).toBeUndefined()
      expect(await experimentOf('there')).toBeUndefined()
      otherStatements.length = 0
      expect(await experimentOf('there')).toBeUndefined()
      expect(experimentsReadThere()).toBe(0)

      // Created here: seen here at once, and there on the next answer.
      const first = await create('here')
      expect(await experimentOf('here')).toBe(first)
      expect(await experimentOf('there')).toBe(first)
      // Kept again until the next change.
      otherStatements.length = 0
      expect(await experimentOf('there')).toBe(first)
      expect(experimentsReadThere()).toBe(0)

      // Stopped here: neither process shapes the next answer with it.
      await stop('here', first)
      expect(await experimentOf('here')).toBeUndefined()
      expect(await experimentOf('there')).toBeUndefined()

      // The other way round: created and stopped there, seen here.
      const second = await create('there')
      expect(await experimentOf('there')).toBe(second)
      expect(await experimentOf('here')).toBe(second)
      await stop('there', second)
      expect(await experimentOf('here')).toBeUndefined()
      expect(await experimentOf('there')).toBeUndefined()
    })
  })
}
