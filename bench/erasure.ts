/**
 * `npm run bench:erasure` (BENCHMARKS.md section 4): one shopper with 10,000 events, consents, feedback,
 * a vault entry and a contribution to the trained model, among 300 other shoppers. Measures the time
 * from the erasure request to `completed` through the HTTP API, then checks that no table, cache or
 * model holds anything of theirs. SQLite always; PostgreSQL too when CANDOR_TEST_DATABASE_URL (or
 * CANDOR_BENCH_DATABASE_URL) is set. `--json` prints one JSON object.
 *
 * The setup reuses the test suite's context builder (a real app on a fresh database, manual clock).
 */
// First: sets CANDOR_TEST_DATABASE_URL from CANDOR_BENCH_DATABASE_URL before the test context reads it.
import './lib/bench-database.js'
import { parseArgs } from 'node:util'
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
  },
})
const EVENTS = Number(args.events)
const OTHERS = 300
const ITEMS = 400
const PERSONAL = 'personalize.recommendations'

interface Row {
  database: DialectName
  events: number
  erasureMs: number
  status: string
  leftovers: number
  stillInModel: boolean
}

function log(message: string): void {
  if (!args.json) process.stderr.write(`${message}\n`)
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

async function run(dialect: DialectName): Promise<Row> {
  const ctx = await createTestContext(dialect)
  try {
    log(`${dialect}: seeding ${ITEMS} items, ${OTHERS} shoppers and one with ${EVENTS} events`)
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
    const version = (await ctx.request({ method: 'GET', url: '/v1/notice' })).json()
      .version as string
    for (let s = 0; s < OTHERS; s++) await shopper(ctx, `other-${s}`, version, 20, s)
    const ref = 'bench-erasure-subject'
    await shopper(ctx, ref, version, EVENTS, 99)
    const subjectId = (await ctx.services.identity.findSubjectId(ref))!
    await ctx.services.identity.writeVault(ctx.storage.db, subjectId, {
      email: 'bench.subject@example.org',
      name: 'Bench Subject',
    })
    for (let f = 0; f < 5; f++)
      await post(ctx, '/v1/feedback', { subject: ref, kind: 'not_interested', item: `I${f}` })
    await ctx.services.recommend.train()
    const before = await ctx.services.recommend.exportSubject(subjectId)
    if (!before.model.contributesToModel)
      throw new Error('the subject should contribute to the model')

    const started = performance.now()
    const response = await ctx.request({
      method: 'POST',
      url: '/v1/rights-requests',
      as: 'privacy_officer',
      payload: { type: 'erasure', subject: ref, jurisdiction: 'UK' },
    })
    const erasureMs = performance.now() - started
    const status = response.json().status as string

    const dump = await dumpDatabase(ctx)
    const needles = [
      ref,
      'bench.subject@example.org',
      'Bench Subject',
      `${ref}-0`,
      `${ref}-${EVENTS - 1}`,
    ]
    const leftovers = needles.filter((needle) => dump.includes(needle)).length
    const after = await ctx.services.recommend.exportSubject(subjectId)
    return {
      database: dialect,
      events: EVENTS,
      erasureMs: Math.round(erasureMs * 10) / 10,
      status,
      leftovers,
      stillInModel: after.model.contributesToModel,
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
  process.stdout.write('database   events   erasure (ms)   status      leftovers   in model\n')
  for (const r of rows) {
    process.stdout.write(
      `${r.database.padEnd(10)} ${String(r.events).padStart(6)}   ${String(r.erasureMs).padStart(12)}   ${r.status.padEnd(10)}  ${String(r.leftovers).padStart(9)}   ${r.stillInModel}\n`,
    )
  }
  process.stdout.write('goal: under 1000 ms, completed, 0 leftovers, not in model\n')
}
