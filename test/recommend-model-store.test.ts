import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DAY_MS } from '../src/lib/clock.js'
import type { Db, Storage } from '../src/storage/db.js'
import type { EventsService } from '../src/modules/events/index.js'
import {
  RecommendationQuerySchema,
  type RecommendService,
  createRecommendService,
} from '../src/modules/recommend/index.js'
import { currentHolder } from '../src/modules/jobs/index.js'
import { formatModelHolder } from '../src/modules/recommend/model.lease.js'
import { firstSeenTimes, trainItemModel } from '../src/modules/recommend/engine/index.js'
import { decodeModelState, decodeOffThread } from '../src/modules/recommend/model.codec.js'
import { type Trainer, trainInThread } from '../src/modules/recommend/training.js'
import { runCandor } from './helpers/cli.js'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'

const PERSONAL = 'personalize.recommendations'
const ITEMS = Array.from({ length: 60 }, (_, i) => ({
  id: `MS-${String(i).padStart(2, '0')}`,
  title: `Item ${i}`,
  category: [`Group ${Math.floor(i / 10)}`],
}))

/** A deterministic pseudo-random sequence in [0, 1). */
function random(seed: number): () => number {
  let s = seed
  return () => (s = (s * 48_271) % 2_147_483_647) / 2_147_483_647
}

/** `count` consenting shoppers named `prefix-n`, each with a few baskets mostly from one group. */
async function shoppers(ctx: TestContext, prefix: string, count: number): Promise<void> {
  const version = (await ctx.request({ method: 'GET', url: '/v1/notice' })).json<{
    version: string
  }>().version
  const next = random(prefix.length * 31 + count)
  const now = ctx.clock.now().getTime()
  const events: Record<string, unknown>[] = []
  for (let s = 0; s < count; s++) {
    const ref = `${prefix}-${s}`
    const r = await ctx.request({
      method: 'PUT',
      url: `/v1/subjects/${ref}/consents/${PERSONAL}`,
      as: 'storefront',
      payload: { decision: 'granted', noticeVersion: version, jurisdiction: 'UK' },
    })
    expect(r.statusCode, r.body).toBe(200)
    for (let b = 0; b < 3; b++) {
      const at = now - Math.floor(next() * 60 * DAY_MS) - 60_000
      for (let k = 0; k < 4; k++) {
        const item = next() < 0.2 ? Math.floor(next() * 10) : (s % 6) * 10 + Math.floor(next() * 10)
        events.push({
          id: `${ref}-${b}-${k}`,
          type: 'purchase',
          subject: ref,
          item: ITEMS[item]!.id,
          timestamp: new Date(at + k * 1000).toISOString(),
        })
      }
    }
  }
  for (let k = 0; k < events.length; k += 500) {
    const r = await ctx.request({
      method: 'POST',
      url: '/v1/events',
      as: 'storefront',
      payload: { events: events.slice(k, k + 500) },
    })
    expect(r.statusCode, r.body).toBe(200)
  }
}

/** Every stored version's bytes, read straight from the table (as a backup of the database holds them). */
async function storedVersions(db: Db): Promise<Map<number, Buffer>> {
  const rows = await db
    .withTables<{ recommend_model_chunks: { version: number; chunk: number; bytes: Uint8Array } }>()
    .selectFrom('recommend_model_chunks')
    .selectAll()
    .orderBy('version')
    .orderBy('chunk')
    .execute()
  const parts = new Map<number, Buffer[]>()
  for (const r of rows)
    parts.set(r.version, [...(parts.get(r.version) ?? []), Buffer.from(r.bytes)])
  return new Map([...parts].map(([v, chunks]) => [v, Buffer.concat(chunks)]))
}

const home = RecommendationQuerySchema.parse({ placement: 'home', limit: '5' })
const forSubject = (ref: string) =>
  RecommendationQuerySchema.parse({ placement: 'home', limit: '5', subject: ref })
const idsOf = async (service: RecommendService, ref: string) =>
  (await service.recommend(forSubject(ref), {})).items.map((item) => item.id)

for (const dialect of DIALECTS) {
  describe(`the stored model on ${dialect}`, () => {
    let ctx: TestContext
    /** Second "processes": their own storage handles on the same database. */
    const others: Storage[] = []

    beforeAll(async () => {
      ctx = await createTestContext(dialect)
      const put = await ctx.request({
        method: 'PUT',
        url: '/v1/items',
        as: 'storefront',
        payload: { items: ITEMS },
      })
      expect(put.statusCode, put.body).toBe(200)
      await shoppers(ctx, 'ms', 60)
    }, 120_000)
    afterAll(async () => {
      for (const storage of others) await storage.close()
      await ctx?.close()
    })

    /** The training lease's table, and its `train` row. */
    const lease = () =>
      ctx.storage.db.withTables<{
        recommend_model_locks: { name: string; holder: string | null; expires_at: string | null }
      }>()
    const trainLease = () =>
      lease()
        .selectFrom('recommend_model_locks')
        .selectAll()
        .where('name', '=', 'train')
        .executeTakeFirstOrThrow()

    /**
     * A recommend service as another process would hold it (its own storage handle and model), that
     * counts its trainings and its reads of training's events.
     */
    function processWith(): { service: RecommendService; trainings: number; eventReads: number } {
      const storage = ctx.storage.another()
      others.push(storage)
      const counts = { trainings: 0, eventReads: 0 }
      const trainer: Trainer = (job, onProgress) => {
        counts.trainings += 1
        return trainInThread(job, onProgress)
      }
      const events = new Proxy(ctx.services.events, {
        get(target, key, receiver) {
          if (key === 'readItemEventsForPurpose') counts.eventReads += 1
          return Reflect.get(target, key, receiver) as unknown
        },
      }) satisfies EventsService
      const service = createRecommendService({
        db: storage.db,
        charter: ctx.services.charter,
        changes: storage.changes,
        clock: ctx.clock,
        audit: ctx.services.audit,
        identity: ctx.services.identity,
        consent: ctx.services.consent,
        events,
        session: ctx.services.session,
        catalog: ctx.services.catalog,
        trainer,
      })
      return Object.assign(counts, { service })
    }

    it('trains once when two processes ask at the same time, and both serve that run', async () => {
      const a = processWith()
      const b = processWith()
      const [runA, runB] = await Promise.all([a.service.train(), b.service.train()])
      expect(a.trainings + b.trainings).toBe(1)
      expect(runA.id).toBe(runB.id)
      expect(await a.service.model()).toEqual(await b.service.model())
      expect([...(await storedVersions(ctx.storage.db)).keys()]).toHaveLength(1)
    }, 60_000)

    it('decodes a stored version in a worker thread to the same state as on this one', async () => {
      const a = processWith()
      await a.service.train()
      const [bytes] = [...(await storedVersions(ctx.storage.db)).values()]
      const here = decodeModelState(bytes!)
      const there = await decodeOffThread(Buffer.from(bytes!))
      expect(there).toEqual(here)
      expect(there.model).toEqual(await a.service.model())
    }, 60_000)

    it('waits out the lease of a process that died while training, then trains', async () => {
      const until = new Date(ctx.clock.now().getTime() + 60_000).toISOString()
      await lease()
        .updateTable('recommend_model_locks')
        .set({ holder: 'a process that died', expires_at: until })
        .where('name', '=', 'train')
        .execute()
      const a = processWith()
      let done = false
      const training = a.service.train().finally(() => (done = true))
      await new Promise((resolve) => setTimeout(resolve, 1_200))
      expect(done).toBe(false)
      expect(a.trainings).toBe(0)
      ctx.clock.advance(61_000)
      const run = await training
      expect(a.trainings).toBe(1)
      expect((await a.service.exportSubject('nobody')).model.trainedAt).toBe(run.trainedAt)
      // Given back after the training.
      expect((await trainLease()).holder).toBeNull()
    }, 60_000)

    it('frees at once the lease of a process on this machine that is provably dead, then trains', async () => {
      // A process that ran here and is gone.
      const gone = spawnSync(process.execPath, ['-e', ''])
      expect(gone.status).toBe(0)
      const dead = formatModelHolder({ ...currentHolder(), pid: gone.pid, start: '1' })
      await lease()
        .updateTable('recommend_model_locks')
        .set({
          holder: dead,
          expires_at: new Date(ctx.clock.now().getTime() + 60_000).toISOString(),
        })
        .where('name', '=', 'train')
        .execute()
      const a = processWith()
      const started = Date.now()
      await a.service.train()
      // Not waited out (60 s): freed at the first look (every 0.5 s), with the clock never advanced.
      expect(Date.now() - started).toBeLessThan(20_000)
      expect(a.trainings).toBe(1)
      expect((await trainLease()).holder).toBeNull()
    }, 60_000)

    it('loads the stored model in a process that starts later: no training, no events read, the same answers', async () => {
      const a = processWith()
      const run = await a.service.train()
      const b = processWith()
      const answerB = await idsOf(b.service, 'ms-3')
      expect(b.trainings).toBe(0)
      expect(b.eventReads).toBe(0)
      expect((await b.service.exportSubject('nobody')).model.trainedAt).toBe(run.trainedAt)
      expect(answerB).toEqual(await idsOf(a.service, 'ms-3'))
      expect(answerB.length).toBeGreaterThan(0)
      // The loaded model is the trained one, array for array.
      expect(await b.service.model()).toEqual(await a.service.model())
      expect((await b.service.recommend(home, {})).items.map((i) => i.id)).toEqual(
        (await a.service.recommend(home, {})).items.map((i) => i.id),
      )
    }, 60_000)

    it('swaps in a newer version within seconds, without training', async () => {
      const a = processWith()
      await a.service.train()
      const b = processWith()
      const before = await b.service.model()
      await shoppers(ctx, 'late', 12)
      const run = await a.service.train()
      const trained = await a.service.model()
      expect(trained).not.toEqual(before)
      // B looks for a newer version at most every 2 s, on its answers; the load runs beside them.
      let model = before
      for (let k = 0; k < 40 && model === before; k++) {
        await b.service.recommend(home, {})
        await new Promise((resolve) => setTimeout(resolve, 250))
        model = await b.service.model()
      }
      expect(model).toEqual(trained)
      expect(b.trainings).toBe(0)
      expect((await b.service.exportSubject('nobody')).model.trainedAt).toBe(run.trainedAt)
    }, 60_000)

    it('serves what `candor train` trained and stored from a process of its own', async () => {
      const a = processWith()
      await a.service.train()
      const before = await a.service.model()
      await shoppers(ctx, 'cli', 10)
      const result = runCandor(['train'], {
        CANDOR_DATA_DIR: ctx.database.dir,
        CANDOR_DATABASE_URL: ctx.database.url,
        CANDOR_CHARTER_FILE: path.resolve('candor.charter.yaml'),
        CANDOR_DEMO: 'off',
      })
      expect(result.code, result.stderr).toBe(0)
      expect(await a.service.refreshModel()).toBe(true)
      expect(await a.service.model()).not.toEqual(before)
      const newcomer = (await ctx.services.identity.findSubjectId('cli-1'))!
      expect((await a.service.exportSubject(newcomer)).model.contributesToModel).toBe(true)
      expect(a.trainings).toBe(1)
    }, 90_000)

    it('keeps an erased subject out of every stored version, and out of a process that loads after', async () => {
      const a = processWith()
      await a.service.train()
      const subjectId = (await ctx.services.identity.findSubjectId('ms-7'))!
      expect((await a.service.exportSubject(subjectId)).model.contributesToModel).toBe(true)
      const stored = await storedVersions(ctx.storage.db)
      expect([...stored.values()].some((bytes) => bytes.includes(subjectId))).toBe(true)

      const erased = await ctx.storage.db
        .transaction()
        .execute((trx) => a.service.eraseSubject(trx, subjectId))
      expect(erased.modelContributions).toBe(1)

      // Once the erasure committed, no stored version holds the subject: neither their id nor a row.
      const after = await storedVersions(ctx.storage.db)
      expect(after.size).toBe(1)
      for (const bytes of after.values()) {
        expect(bytes.includes(subjectId)).toBe(false)
        const state = decodeModelState(bytes)
        expect(state.subjects.has(subjectId)).toBe(false)
        // What is stored equals training without them, with the parameters chosen at training.
        const m = state.model
        expect(
          trainItemModel(state.interactions, {
            now: m.trainedAt,
            params: m.params,
            scoring: m.scoring,
            excluded: state.trainedExcluded ?? state.excluded,
            ...(m.ease === undefined ? {} : { easeItems: m.ease.items }),
          }),
        ).toEqual(m)
        // Each item's first sighting, too, is what training without them finds.
        const firstSeen = firstSeenTimes(state.interactions)
        for (const [i, id] of state.items.ids.entries()) {
          const item = state.catalog.get(id)
          const listed = item === undefined ? Number.NaN : Date.parse(item.updatedAt)
          if (!(firstSeen[i]! <= listed)) firstSeen[i] = listed
        }
        expect(Array.from(state.firstSeen)).toEqual(Array.from(firstSeen))
      }

      // A process that loads now never had them, and trains nothing.
      const c = processWith()
      expect((await c.service.exportSubject(subjectId)).model.contributesToModel).toBe(false)
      expect(c.trainings).toBe(0)
      expect(await c.service.model()).toEqual(await a.service.model())
    }, 60_000)

    it('cleans the stored version on an objection too (no transaction of the caller)', async () => {
      const a = processWith()
      await a.service.train()
      const subjectId = (await ctx.services.identity.findSubjectId('ms-13'))!
      expect(
        (await storedVersions(ctx.storage.db)).values().next().value!.includes(subjectId),
      ).toBe(true)
      await a.service.forgetInModels(subjectId)
      const after = await storedVersions(ctx.storage.db)
      expect(after.size).toBe(1)
      for (const bytes of after.values()) expect(bytes.includes(subjectId)).toBe(false)
    }, 60_000)

    it('follows an erasure made elsewhere, then cleans the stored version of its own erasure', async () => {
      const a = processWith()
      await a.service.train()
      const b = processWith()
      await b.service.model()
      const [x, y] = await Promise.all(
        ['ms-17', 'ms-19'].map(async (ref) => (await ctx.services.identity.findSubjectId(ref))!),
      )
      await ctx.storage.db.transaction().execute((trx) => a.service.eraseSubject(trx, x!))
      // B takes X out within seconds (the newer version is the same training without X).
      for (let k = 0; k < 40; k++) {
        await b.service.recommend(home, {})
        if (!(await b.service.exportSubject(x!)).model.contributesToModel) break
        await new Promise((resolve) => setTimeout(resolve, 250))
      }
      await new Promise((resolve) => setTimeout(resolve, 2_100))
      await b.service.recommend(home, {})
      expect((await b.service.exportSubject(x!)).model.contributesToModel).toBe(false)
      expect(await b.service.model()).toEqual(await a.service.model())
      // B's own erasure leaves a stored version with neither.
      await ctx.storage.db.transaction().execute((trx) => b.service.eraseSubject(trx, y!))
      const after = await storedVersions(ctx.storage.db)
      expect(after.size).toBe(1)
      for (const bytes of after.values()) {
        expect(bytes.includes(x!)).toBe(false)
        expect(bytes.includes(y!)).toBe(false)
        expect(decodeModelState(bytes).model).toEqual(await b.service.model())
      }
      expect(b.trainings).toBe(0)
    }, 60_000)

    it('cleans the stored version from a process that holds an older one', async () => {
      const a = processWith()
      await a.service.train()
      const b = processWith()
      await b.service.model()
      // A trains again: B still holds the version before (it has not looked yet).
      const newest = await a.service.train()
      const subjectId = (await ctx.services.identity.findSubjectId('ms-11'))!
      await ctx.storage.db.transaction().execute((trx) => b.service.eraseSubject(trx, subjectId))
      const after = await storedVersions(ctx.storage.db)
      expect(after.size).toBe(1)
      const [state] = [...after.values()].map((bytes) => decodeModelState(bytes))
      expect(state!.subjects.has(subjectId)).toBe(false)
      // The newest training's model, without the subject (not B's older one).
      expect(state!.run.id).toBe(newest.id)
      expect(b.trainings).toBe(0)
    }, 60_000)
  })
}
