import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DAY_MS } from '../src/lib/clock.js'
import {
  RecommendationQuerySchema,
  createRecommendService,
} from '../src/modules/recommend/index.js'
import {
  type Trainer,
  type TrainingJob,
  type TrainingResult,
  runTrainingJob,
  trainOffThread,
} from '../src/modules/recommend/training.js'
import { DIALECTS, type TestContext, createTestContext } from './helpers/test-context.js'

const PERSONAL = 'personalize.recommendations'
/**
 * The least bound on an answer while training runs. The test's bound is half of what the same training
 * holds the event loop for on the thread (seconds here), and at least this: a probe that waited for a
 * training on the loop would miss it, and a busy machine's scheduling noise would not.
 */
const LIVE_WITHIN_MS = 200
const PROBE_EVERY_MS = 25
const MAX_PROBES = 4000

/** Items in groups of 10 that are bought together; a few special-category ones. */
const GROUPS = 24
const ITEMS = Array.from({ length: GROUPS * 10 }, (_, i) => ({
  id: `IT-${String(i).padStart(3, '0')}`,
  title: `Item ${i}`,
  category: [`Group ${Math.floor(i / 10)}`],
  ...(i % 97 === 5 ? { specialCategory: 'health' } : {}),
}))
const SHOPPERS = 360

/** A deterministic pseudo-random sequence in [0, 1). */
function random(seed: number): () => number {
  let s = seed
  return () => (s = (s * 48_271) % 2_147_483_647) / 2_147_483_647
}

/**
 * A shop whose training takes a while: the catalog, then `SHOPPERS` consenting shoppers, each with a
 * few baskets over the last 120 days (mostly from one group, some popular items), so that tuning has a
 * held-out period to work on.
 */
async function openLargeShop(ctx: TestContext): Promise<void> {
  const put = await ctx.request({
    method: 'PUT',
    url: '/v1/items',
    as: 'storefront',
    payload: { items: ITEMS },
  })
  expect(put.statusCode, put.body).toBe(200)
  const version = (await ctx.request({ method: 'GET', url: '/v1/notice' })).json<{
    version: string
  }>().version
  const next = random(7)
  const now = ctx.clock.now().getTime()
  let events: Record<string, unknown>[] = []
  const flush = async () => {
    const r = await ctx.request({
      method: 'POST',
      url: '/v1/events',
      as: 'storefront',
      payload: { events },
    })
    expect(r.statusCode, r.body).toBe(200)
    events = []
  }
  for (let s = 0; s < SHOPPERS; s++) {
    const ref = `big-${s}`
    const r = await ctx.request({
      method: 'PUT',
      url: `/v1/subjects/${ref}/consents/${PERSONAL}`,
      as: 'storefront',
      payload: { decision: 'granted', noticeVersion: version, jurisdiction: 'UK' },
    })
    expect(r.statusCode, r.body).toBe(200)
    const group = s % GROUPS
    const baskets = 2 + Math.floor(next() * 4)
    for (let b = 0; b < baskets; b++) {
      const at = now - Math.floor(next() * 120 * DAY_MS) - 60_000
      const size = 2 + Math.floor(next() * 5)
      for (let k = 0; k < size; k++) {
        const popular = next() < 0.25
        const item = popular ? Math.floor(next() * 20) : group * 10 + Math.floor(next() * 10)
        events.push({
          id: `${ref}-${b}-${k}`,
          type: next() < 0.7 ? 'purchase' : 'view',
          subject: ref,
          item: ITEMS[item]!.id,
          timestamp: new Date(at + k * 1000).toISOString(),
        })
      }
    }
    // A search names no item: stored for the purpose, read by `readEventsForPurpose` only.
    if (s % 50 === 0)
      events.push({
        id: `${ref}-q`,
        type: 'search',
        subject: ref,
        query: 'candles',
        timestamp: new Date(now - DAY_MS).toISOString(),
      })
    if (events.length >= 400) await flush()
  }
  if (events.length > 0) await flush()
}

/** Every typed array in a value as a plain array (NaN stays NaN), for `toEqual` across threads. */
function plain(value: unknown): unknown {
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>)
  if (Array.isArray(value)) return value.map(plain)
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]))
  return value
}

/** A copy of a job whose arrays are its own (the original's are moved to the worker). */
function copyJob(job: TrainingJob): TrainingJob {
  return {
    ...job,
    events: {
      subjects: job.events.subjects.slice(),
      items: job.events.items.slice(),
      times: job.events.times.slice(),
      weights: job.events.weights.slice(),
    },
    excluded: job.excluded.slice(),
    listed: job.listed.slice(),
  }
}

for (const dialect of DIALECTS) {
  describe(`training off the event loop on ${dialect}`, () => {
    let ctx: TestContext

    beforeAll(async () => {
      ctx = await createTestContext(dialect)
      await openLargeShop(ctx)
    }, 120_000)
    afterAll(async () => {
      await ctx?.close()
    })
    /** A recommend service of this context's own services, training through `trainer`. */
    const serviceWith = (trainer: Trainer) =>
      createRecommendService({
        db: ctx.storage.db,
        charter: ctx.services.charter,
        changes: ctx.storage.changes,
        clock: ctx.clock,
        audit: ctx.services.audit,
        identity: ctx.services.identity,
        consent: ctx.services.consent,
        events: ctx.services.events,
        session: ctx.services.session,
        catalog: ctx.services.catalog,
        trainer,
      })

    it('reads every event of the purpose once, in key order, whatever the page size', async () => {
      const all = async <T>(pages: AsyncIterable<T[]>): Promise<T[]> => {
        const out: T[] = []
        for await (const page of pages) out.push(...page)
        return out
      }
      const { events } = ctx.services
      const whole = await all(events.readEventsForPurpose(PERSONAL, 1_000_000))
      expect(whole.length).toBeGreaterThan(4000)
      const keys = whole.map((e) => [e.subjectId!, e.id] as const)
      const sorted = [...keys].sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : 1))
      expect(keys).toEqual(sorted)
      // Pages of 7 end inside a shopper's events and between shoppers alike.
      expect(await all(events.readEventsForPurpose(PERSONAL, 7))).toEqual(whole)
      const items = whole.filter((e) => e.item !== undefined)
      expect(items.length).toBeLessThan(whole.length)
      expect(await all(events.readItemEventsForPurpose(PERSONAL, 7))).toEqual(
        items.map((e) => ({
          subjectId: e.subjectId,
          type: e.type,
          item: e.item,
          ...(e.occurredAt === undefined ? {} : { occurredAt: e.occurredAt }),
          receivedAt: e.receivedAt,
        })),
      )
    })

    it('lets answers that arrive before the first model wait for the training under way', async () => {
      let trainings = 0
      const service = serviceWith((job, onProgress) => {
        trainings += 1
        return trainOffThread(job, onProgress)
      })
      const training = service.train()
      const answers = await Promise.all(
        Array.from({ length: 3 }, () =>
          service.recommend(RecommendationQuerySchema.parse({ placement: 'home', limit: '3' }), {}),
        ),
      )
      await training
      expect(trainings).toBe(1)
      for (const answer of answers) expect(answer.items).toHaveLength(3)
    })

    it(
      'keeps answering /health/live while it trains (well within what training on the loop would hold it), with the model trained on the thread',
      { timeout: 180_000 },
      async () => {
        // The job as the service hands it over, kept aside before the worker takes its columns.
        let handed: TrainingJob | undefined
        let moved: TrainingJob | undefined
        let progress = 0
        const capturing = serviceWith((job, onProgress) => {
          handed = copyJob(job)
          moved = job
          return trainOffThread(job, onProgress)
        })
        const captured = await capturing.train((stage) => {
          if (stage === 'model') progress += 1
        })
        expect(captured.events).toBeGreaterThan(4000)
        expect(progress).toBeGreaterThan(1)
        // Moved, not copied: the service's columns are empty (detached) once the worker has them.
        expect(moved!.events.items.byteLength).toBe(0)
        expect(moved!.events.times.byteLength).toBe(0)
        expect(handed!.events.items.length).toBe(captured.events)

        // The same job on this thread: it holds the event loop for longer than the bound, so the
        // probes below could fail if training ran here.
        const blockedFrom = performance.now()
        const inThread: TrainingResult = runTrainingJob(copyJob(handed!))
        const blockedMs = performance.now() - blockedFrom
        expect(blockedMs).toBeGreaterThan(2 * LIVE_WITHIN_MS)
        const bound = Math.max(LIVE_WITHIN_MS, blockedMs / 2)

        // The server's own service trains while a probe is due every 25 ms; each one's delay counts
        // from when it was due, so a blocked event loop shows whether it held a probe or a timer.
        let finished = false
        const training = ctx.services.recommend.train().finally(() => {
          finished = true
        })
        const delays: number[] = []
        const started = performance.now()
        for (let k = 0; !finished && k < MAX_PROBES; k++) {
          const due = started + k * PROBE_EVERY_MS
          const wait = due - performance.now()
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
          const live = await ctx.request({ method: 'GET', url: '/health/live' })
          expect(live.statusCode).toBe(200)
          delays.push(performance.now() - due)
        }
        const run = await training
        expect(delays.length).toBeGreaterThanOrEqual(Math.floor(blockedMs / PROBE_EVERY_MS / 2))
        expect(Math.max(...delays)).toBeLessThan(bound)

        // Off the thread or on it, the same model, array for array, and its report in the run.
        const model = await ctx.services.recommend.model()
        expect(plain(model)).toEqual(plain(inThread.model))
        expect(plain(await capturing.model())).toEqual(plain(inThread.model))
        const report = JSON.parse(JSON.stringify(inThread.report)) as unknown
        expect(JSON.parse(JSON.stringify(run.quality))).toEqual(report)
        expect((await ctx.services.recommend.latestTrainingRun())?.quality).toEqual(report)
      },
    )
  })
}
