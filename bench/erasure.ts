/**
 * `npm run bench:erasure` (BENCHMARKS.md section 4): one shopper with 10,000 events, consents, feedback,
 * a vault entry and a contribution to the trained model, among 300 other shoppers. Measures the time
 * from the erasure request to `completed` through the HTTP API, then checks that no table, cache or
 * model holds anything of theirs. SQLite always; PostgreSQL too when CANDOR_TEST_DATABASE_URL (or
 * CANDOR_BENCH_DATABASE_URL) is set. `--json` prints one JSON object.
 *
 * `--data uci [--file F]`: the full UCI Online Retail shop instead (every customer's orders through
 * `POST /v1/events`, two in three consenting, the model trained and tuned as the server does), and the
 * customer with the most orders is erased. Each row then also splits the time (`bench/lib/erasure-parts.ts`:
 * the model's subtraction, encoding and stored write measured on a copy just before, the rest being the
 * database deletes) and gives the longest event-loop stall during the erasure.
 *
 * The setup reuses the test suite's context builder (a real app on a fresh database, manual clock).
 */
// First: sets CANDOR_TEST_DATABASE_URL from CANDOR_BENCH_DATABASE_URL before the test context reads it.
import './lib/bench-database.js'
import { parseArgs } from 'node:util'
import { type ModelParts, measureModelParts, withLoopStall } from './lib/erasure-parts.js'
import { seedUci, UCI_FILE } from './lib/erasure-uci.js'
import { dumpDatabase } from '../test/helpers/raw-scan.js'
import {
  type DialectName,
  type TestContext,
  createTestContext,
} from '../test/helpers/test-context.js'

const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    events: { type: 'string', default: '10000' },
    data: { type: 'string', default: 'synthetic' },
    file: { type: 'string', default: UCI_FILE },
  },
})
if (args.data !== 'synthetic' && args.data !== 'uci')
  throw new Error(`--data must be synthetic or uci, got "${args.data}"`)
const EVENTS = Number(args.events)
const OTHERS = 300
const ITEMS = 400
const PERSONAL = 'personalize.recommendations'

interface Row {
  database: DialectName
  data: 'synthetic' | 'uci'
  /** The erased subject's events. */
  events: number
  erasureMs: number
  /** The longest event-loop stall during the erasure (ms). */
  maxStallMs: number
  status: string
  leftovers: number
  /** Which kinds of the subject's data were still found (the needles' kinds, not their text). */
  found?: string[]
  stillInModel: boolean
  /** `--data uci`: the model's parts, and the rest (`erasureMs` less them: database deletes). */
  parts?: ModelParts & { otherMs: number }
}

/** Progress on stderr (`--json` keeps stdout for the result). */
function log(message: string): void {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`)
}

async function post(ctx: TestContext, url: string, payload: unknown) {
  const response = await ctx.request({
    method: 'POST',
    url,
    as: 'storefront',
    payload: payload as Record<string, unknown>,
  })
  if (response.statusCode >= 300)
    throw new Error(`${url}: ${response.statusCode} ${response.body.slice(0, 200)}`)
  return response.json<{ results?: Array<{ status: string }> }>()
}

async function shopper(
  ctx: TestContext,
  ref: string,
  version: string,
  events: number,
  seed: number,
) {
  await ctx.request({
    method: 'PUT',
    url: `/v1/subjects/${ref}/consents/${PERSONAL}`,
    as: 'storefront',
    payload: { decision: 'granted', noticeVersion: version, jurisdiction: 'UK' },
  })
  const now = ctx.clock.now().getTime()
  for (let start = 0; start < events; start += 1000) {
    const batch = Array.from({ length: Math.min(1000, events - start) }, (_, k) => {
      const n = start + k
      return {
        id: `${ref}-${n}`,
        type: n % 4 === 0 ? 'purchase' : 'view',
        subject: ref,
        item: `I${(seed * 7 + n * 13) % ITEMS}`,
        timestamp: new Date(now - (events - n) * 1000).toISOString(),
      }
    })
    const answer = await post(ctx, '/v1/events', { events: batch })
    const stored = (answer.results ?? []).filter((r) => r.status === 'stored').length
    if (stored !== batch.length) throw new Error(`only ${stored} of ${batch.length} events stored`)
  }
}

/** The synthetic shop: ITEMS items, OTHERS shoppers with 20 events each, `ref` with EVENTS. */
async function seedSynthetic(ctx: TestContext, version: string, ref: string): Promise<void> {
  await ctx.request({
    method: 'PUT',
    url: '/v1/items',
    as: 'storefront',
    payload: {
      items: Array.from({ length: ITEMS }, (_, i) => ({
        id: `I${i}`,
        title: `Item ${i}`,
        category: ['Bench'],
      })),
    },
  })
  for (let s = 0; s < OTHERS; s++) await shopper(ctx, `other-${s}`, version, 20, s)
  await shopper(ctx, ref, version, EVENTS, 99)
}

/** The kinds of the subject's data still found anywhere in the database after the erasure. */
async function leftoversOf(ctx: TestContext, ref: string, events: number): Promise<string[]> {
  const dump = await dumpDatabase(ctx)
  const needles: Record<string, string> = {
    reference: ref,
    email: 'bench.subject@example.org',
    name: 'Bench Subject',
    firstEventId: `${ref}-0`,
    lastEventId: `${ref}-${events - 1}`,
  }
  return Object.keys(needles).filter((kind) => dump.includes(needles[kind]!))
}

async function run(dialect: DialectName): Promise<Row> {
  // Seeding the whole UCI shop sends far more requests a minute than the default limit allows.
  const ctx = await createTestContext(dialect, {
    env: { CANDOR_RATE_LIMIT_PER_MINUTE: '10000000' },
  })
  try {
    const version = (await ctx.request({ method: 'GET', url: '/v1/notice' })).json()
      .version as string
    let ref = 'bench-erasure-subject'
    let events = EVENTS
    let feedbackItems = ['I0', 'I1', 'I2', 'I3', 'I4']
    if (args.data === 'uci') {
      log(`${dialect}: seeding UCI Online Retail (every customer) ...`)
      const heaviest = await seedUci(ctx, version, args.file, log)
      ref = heaviest.ref
      events = heaviest.events
      feedbackItems = heaviest.items.slice(0, 5)
    } else {
      log(`${dialect}: seeding ${ITEMS} items, ${OTHERS} shoppers and one with ${EVENTS} events`)
      await seedSynthetic(ctx, version, ref)
    }
    const subjectId = (await ctx.services.identity.findSubjectId(ref))!
    await ctx.services.identity.writeVault(ctx.storage.db, subjectId, {
      email: 'bench.subject@example.org',
      name: 'Bench Subject',
    })
    for (const item of feedbackItems)
      await post(ctx, '/v1/feedback', { subject: ref, kind: 'not_interested', item })
    log(`${dialect}: training ...`)
    await ctx.services.recommend.train()
    const before = await ctx.services.recommend.exportSubject(subjectId)
    if (!before.model.contributesToModel)
      throw new Error('the subject should contribute to the model')
    const parts =
      args.data === 'uci' ? await measureModelParts(ctx.storage.db, subjectId) : undefined

    log(`${dialect}: erasing ...`)
    const started = performance.now()
    const [response, maxStallMs] = await withLoopStall(() =>
      ctx.request({
        method: 'POST',
        url: '/v1/rights-requests',
        as: 'privacy_officer',
        payload: { type: 'erasure', subject: ref, jurisdiction: 'UK' },
      }),
    )
    const erasureMs = performance.now() - started
    const status = response.json().status as string

    const found = await leftoversOf(ctx, ref, events)
    const leftovers = found.length
    const after = await ctx.services.recommend.exportSubject(subjectId)
    const rounded = Math.round(erasureMs * 10) / 10
    return {
      database: dialect,
      data: args.data as Row['data'],
      events,
      erasureMs: rounded,
      maxStallMs,
      status,
      leftovers,
      ...(found.length > 0 ? { found } : {}),
      stillInModel: after.model.contributesToModel,
      ...(parts === undefined
        ? {}
        : {
            parts: {
              ...parts,
              otherMs:
                Math.round((rounded - parts.subtractMs - parts.encodeMs - parts.writeMs) * 10) / 10,
            },
          }),
    }
  } finally {
    await ctx.close()
  }
}

const dialects: DialectName[] =
  process.env.CANDOR_TEST_DATABASE_URL === undefined ? ['sqlite'] : ['sqlite', 'postgres']
const rows: Row[] = []
for (const dialect of dialects) rows.push(await run(dialect))
if (args.json) {
  process.stdout.write(`${JSON.stringify({ benchmark: 'erasure', goalMs: 1000, rows })}\n`)
} else {
  process.stdout.write(
    'database   events   erasure (ms)   max stall (ms)   status      leftovers   in model\n',
  )
  for (const r of rows) {
    process.stdout.write(
      `${r.database.padEnd(10)} ${String(r.events).padStart(6)}   ${String(r.erasureMs).padStart(12)}   ${String(r.maxStallMs).padStart(14)}   ${r.status.padEnd(10)}  ${String(r.leftovers).padStart(9)}   ${r.stillInModel}\n`,
    )
  }
  for (const r of rows) {
    const p = r.parts
    if (p === undefined) continue
    process.stdout.write(
      `${r.database}: model of ${p.items} items, ${p.subjects} shoppers, ${p.modelMB} MB stored; the subject has ${p.subjectItems} items. ` +
        `Subtraction ${p.subtractMs} ms (engine ${p.engineMs}), encoding ${p.encodeMs} ms, stored write ${p.writeMs} ms, rest (database deletes) ${p.otherMs} ms\n`,
    )
  }
  process.stdout.write('goal: under 1000 ms, completed, 0 leftovers, not in model\n')
}
