/**
 * `npm run bench:insights`: differentially private weekly purchase counts on UCI Online Retail, next
 * to the exact answers of the same run.
 *
 * The whole UCI shop goes into a fresh SQLite Candor database through the HTTP API (every customer
 * consenting to `analytics.reporting`, `bench/lib/insights-uci.ts`); then, per epsilon (0.5, 1, 2 by
 * default), `--runs` queries `POST /v1/insights/queries` (in process, each with a new analyst key, so
 * no budget runs out) for `events` of type purchase grouped by item and ISO week over the 100
 * best-selling items and the data's whole day range, at the charter's contribution bounds. It reports
 * the median relative error |noisy - exact| / exact over cells whose exact count is above
 * `--min-count` (1000 by default), and the median query time (the whole request in process:
 * validation, budget, SQL read, bounding, noise, spend and audit).
 *
 * The table adds what explains the error: the same median over cells with smaller exact counts, and
 * the bias of contribution bounding alone (each shopper at most L rows per cell and G cells, before
 * any noise), measured with the engine on the same rows the route reads.
 *
 * `--json` prints `{"benchmark":"insights","rows":[{"epsilon","medianRelativeError","queryMs"}]}`;
 * medianRelativeError is null when no cell's exact count is above `--min-count`.
 * PostgreSQL instead of SQLite with CANDOR_BENCH_DATABASE_URL.
 */
// First: sets CANDOR_TEST_DATABASE_URL from CANDOR_BENCH_DATABASE_URL before the test context reads it.
import './lib/bench-database.js'
import { randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'
import { UCI_FILE } from './lib/erasure-uci.js'
import { exactWeeklyCounts, seedUciForInsights } from './lib/insights-uci.js'
import { aggregateAnalyticsPurposes } from '../src/modules/charter/index.js'
import { cryptoRng } from '../src/modules/insights/insights.dp.samplers.js'
import { boundContributions, groupKeyId, release } from '../src/modules/insights/insights.engine.js'
import { planQuery } from '../src/modules/insights/insights.plan.js'
import { createInsightsRepository } from '../src/modules/insights/insights.repository.js'
import { InsightsQuerySchema, type InsightsAnswer } from '../src/modules/insights/insights.js'
import { createTestContext } from '../test/helpers/test-context.js'

const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    file: { type: 'string', default: UCI_FILE },
    epsilons: { type: 'string', default: '0.5,1,2' },
    runs: { type: 'string', default: '5' },
    items: { type: 'string', default: '100' },
    'min-count': { type: 'string', default: '1000' },
  },
})
const EPSILONS = args.epsilons.split(',').map(Number)
const RUNS = Number(args.runs)
const MIN_COUNT = Number(args['min-count'])
/** Lower thresholds shown beside it in the table, for what UCI's weekly counts hold. */
const SHOWN = [MIN_COUNT, 50, 1]

function log(message: string): void {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`)
}

function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

/** Median of |estimate - exact| / exact over cells whose exact count is above `min`. */
function medianRelativeError(
  exact: ReadonlyMap<string, number>,
  estimates: readonly ReadonlyMap<string, number>[],
  min: number,
): number | null {
  const errors: number[] = []
  for (const estimate of estimates) {
    for (const [id, truth] of exact) {
      if (truth > min) errors.push(Math.abs((estimate.get(id) ?? 0) - truth) / truth)
    }
  }
  return median(errors)
}

const pct = (x: number | null): string => (x === null ? 'n/a' : `${(100 * x).toFixed(1)}%`)

async function main(): Promise<void> {
  // Seeding sends thousands of requests a minute from one key: no per-caller limit in the bench.
  const ctx = await createTestContext(
    process.env.CANDOR_TEST_DATABASE_URL ? 'postgres' : 'sqlite',
    {
      env: { CANDOR_RATE_LIMIT_PER_MINUTE: '10000000' },
    },
  )
  try {
    log(`seeding UCI Online Retail into ${ctx.dialect} through the API ...`)
    const t0 = performance.now()
    const seeded = await seedUciForInsights(ctx, args.file, log)
    log(
      `seeded ${seeded.events} purchase events of ${seeded.customers} customers, ${seeded.items} items in ${((performance.now() - t0) / 1000).toFixed(0)} s`,
    )
    const e0 = performance.now()
    const exact = await exactWeeklyCounts(ctx, Number(args.items))
    const exactMs = performance.now() - e0
    const counts = [...exact.cells.values()]
    log(
      `exact: ${exact.cells.size} non-empty (item, week) cells over ${exact.items.length} items, ${exact.from} to ${exact.to}, largest ${Math.max(...counts)}, ${counts.filter((c) => c > MIN_COUNT).length} above ${MIN_COUNT} (plain SQL, ${exactMs.toFixed(0)} ms)`,
    )
    const body = {
      measure: 'events',
      groupBy: ['item', 'week'],
      filters: { from: exact.from, to: exact.to, types: ['purchase'], items: exact.items },
      limit: 50_000,
    }

    // The bias of contribution bounding alone: the engine's bounding on the rows the route reads.
    const charter = ctx.services.charter
    const insights = charter.insights
    if (insights === undefined) throw new Error('the charter declares no insights')
    const planned = planQuery(
      InsightsQuerySchema.parse({ ...body, epsilon: 1 }),
      charter,
      insights,
      ctx.clock.now(),
      { items: exact.items, categories: [] },
    )
    const r0 = performance.now()
    const rows = await createInsightsRepository().ownerGroups(ctx.storage.db, {
      purposes: aggregateAnalyticsPurposes(charter),
      groupBy: ['item', 'week'],
      from: exact.from,
      to: exact.to,
      types: ['purchase'],
      items: exact.items,
      jurisdictions: Object.keys(charter.jurisdictions),
      now: ctx.clock.now().toISOString(),
    })
    const readMs = performance.now() - r0
    const b0 = performance.now()
    const boundedGroups = boundContributions(rows, planned.plan, randomBytes(32))
    const boundMs = performance.now() - b0
    const n0 = performance.now()
    release(boundedGroups, planned.plan, cryptoRng())
    const noiseMs = performance.now() - n0
    const bounded = new Map([...boundedGroups].map(([id, g]) => [id, g.count]))
    log(
      `parts of one query, measured apart: SQL read ${readMs.toFixed(0)} ms (${rows.length} owner-cell rows), bounding ${boundMs.toFixed(0)} ms, noise ${noiseMs.toFixed(0)} ms`,
    )
    const { maxRowsPerGroup: L, maxGroupsPerSubject: G } = planned.plan

    const results = []
    for (const epsilon of EPSILONS) {
      const times: number[] = []
      const estimates: Map<string, number>[] = []
      let answer: InsightsAnswer | undefined
      for (let run = 0; run < RUNS; run++) {
        const { key } = await ctx.services.auth.createApiKey('analyst', `bench ${epsilon} ${run}`, {
          kind: 'cli',
          command: 'bench',
        })
        const q0 = performance.now()
        const response = await ctx.request({
          method: 'POST',
          url: '/v1/insights/queries',
          as: { token: key },
          payload: { ...body, epsilon },
        })
        times.push(performance.now() - q0)
        if (response.statusCode !== 200)
          throw new Error(`query: ${response.statusCode} ${response.body.slice(0, 300)}`)
        answer = response.json<InsightsAnswer>()
        estimates.push(
          new Map(
            answer.cells.map((c) => [groupKeyId([c.group['item']!, c.group['week']!]), c.value]),
          ),
        )
      }
      results.push({
        epsilon,
        medianRelativeError: medianRelativeError(exact.cells, estimates, MIN_COUNT),
        queryMs: median(times)!,
        errors: SHOWN.map((min) => medianRelativeError(exact.cells, estimates, min)),
        bias: SHOWN.map((min) => medianRelativeError(exact.cells, [bounded], min)),
        cells: answer?.cells.length ?? 0,
        noiseScale: answer?.cells[0]?.noiseScale ?? 0,
        cost: answer?.cost,
      })
    }

    if (args.json) {
      const rowsOut = results.map(({ epsilon, medianRelativeError, queryMs }) => ({
        epsilon,
        medianRelativeError,
        queryMs: Number(queryMs.toFixed(1)),
      }))
      process.stdout.write(`${JSON.stringify({ benchmark: 'insights', rows: rowsOut })}\n`)
      return
    }
    const above = (min: number) => counts.filter((c) => c > min).length
    console.log(
      `\nUCI Online Retail on ${ctx.dialect}: weekly purchase counts of the ${exact.items.length} best-selling items, ${exact.from} to ${exact.to}; contribution L=${L} rows per cell, G=${G} cells per shopper; ${RUNS} queries per epsilon`,
    )
    console.log(
      `exact answers (plain SQL, ${exactMs.toFixed(0)} ms): ${exact.cells.size} non-empty cells, largest ${Math.max(...counts)}, median ${median(counts)}; cells above ${SHOWN.join(' / ')}: ${SHOWN.map(above).join(' / ')}`,
    )
    console.log(
      `one query's parts, measured apart: SQL read ${readMs.toFixed(0)} ms (${rows.length} owner-cell rows), contribution bounding ${boundMs.toFixed(0)} ms, noise and intervals ${noiseMs.toFixed(0)} ms`,
    )
    console.log(
      `| epsilon | released cells | noise sigma | cost (eps, delta) | median rel. error, exact > ${SHOWN.join(' / > ')} | of which bounding bias alone | query ms (median of ${RUNS}) |`,
    )
    console.log('| --- | --- | --- | --- | --- | --- | --- |')
    for (const r of results) {
      console.log(
        `| ${r.epsilon} | ${r.cells} | ${r.noiseScale.toFixed(1)} | ${r.cost ? `${r.cost.epsilon.toFixed(2)}, ${r.cost.delta}` : ''} | ${r.errors.map(pct).join(' / ')} | ${r.bias.map(pct).join(' / ')} | ${r.queryMs.toFixed(0)} |`,
      )
    }
  } finally {
    await ctx.close()
  }
}

await main()
