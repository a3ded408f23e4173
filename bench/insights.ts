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
 * any noise), measured with the engine on the same rows the route reads; and the same for a coarser
 * grouping, the weekly totals of those items (by week alone), whose counts do pass 1,000.
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
import { type ExactCounts, exactWeeklyCounts, seedUciForInsights } from './lib/insights-uci.js'
import { aggregateAnalyticsPurposes } from '../src/modules/charter/index.js'
import { cryptoRng } from '../src/modules/insights/insights.dp.samplers.js'
import {
  type QueryPlan,
  boundContributions,
  groupKeyId,
  release,
} from '../src/modules/insights/insights.engine.js'
import { planQuery } from '../src/modules/insights/insights.plan.js'
import { createInsightsRepository } from '../src/modules/insights/insights.repository.js'
import { InsightsQuerySchema, type InsightsAnswer } from '../src/modules/insights/insights.js'
import { type TestContext, createTestContext } from '../test/helpers/test-context.js'

const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    file: { type: 'string', default: UCI_FILE },
    epsilons: { type: 'string', default: '0.5,1,2' },
    runs: { type: 'string', default: '5' },
    items: { type: 'string', default: '100' },
    'min-count': { type: 'string', default: '1000' },
    contribution: { type: 'string' },
  },
})
const EPSILONS = args.epsilons.split(',').map(Number)
const RUNS = Number(args.runs)
const MIN_COUNT = Number(args['min-count'])
/** `--contribution L,G`: the query's own contribution bounds (at most the charter's). */
const CONTRIBUTION = args.contribution?.split(',').map(Number)
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

interface ShapeReport {
  groupBy: readonly string[]
  exact: Map<string, number>
  L: number
  G: number
  rows: number
  parts: { readMs: number; boundMs: number; noiseMs: number; boundedReadMs: number }
  results: {
    epsilon: number
    medianRelativeError: number | null
    queryMs: number
    errors: (number | null)[]
    bias: (number | null)[]
    cells: number
    noiseScale: number
    cost: InsightsAnswer['cost'] | undefined
  }[]
}

/** Exact counts per item and week summed to the grouping asked (by week alone: over the items). */
function exactFor(exact: ExactCounts, groupBy: readonly string[]): Map<string, number> {
  if (groupBy.length === 2) return exact.cells
  const out = new Map<string, number>()
  for (const [id, n] of exact.cells) {
    const [, week] = JSON.parse(id) as [string, string]
    const key = groupKeyId([week])
    out.set(key, (out.get(key) ?? 0) + n)
  }
  return out
}

/**
 * One grouping: RUNS queries per epsilon through the route, the bias of bounding alone (the engine
 * on the rows the route reads), and the parts of a query measured apart afterwards (warm).
 */
async function runShape(
  ctx: TestContext,
  exactCounts: ExactCounts,
  groupBy: readonly ('item' | 'week')[],
): Promise<ShapeReport> {
  const exact = exactFor(exactCounts, groupBy)
  const body = {
    measure: 'events',
    groupBy,
    filters: {
      from: exactCounts.from,
      to: exactCounts.to,
      types: ['purchase'],
      items: exactCounts.items,
    },
    limit: 50_000,
    ...(CONTRIBUTION === undefined
      ? {}
      : {
          contribution: { maxRowsPerGroup: CONTRIBUTION[0], maxGroupsPerSubject: CONTRIBUTION[1] },
        }),
  }
  const charter = ctx.services.charter
  const insights = charter.insights
  if (insights === undefined) throw new Error('the charter declares no insights')
  const { plan } = planQuery(
    InsightsQuerySchema.parse({ ...body, epsilon: 1 }),
    charter,
    insights,
    ctx.clock.now(),
    { items: exactCounts.items, categories: [] },
  )
  const selection = {
    purposes: aggregateAnalyticsPurposes(charter),
    groupBy,
    from: exactCounts.from,
    to: exactCounts.to,
    types: ['purchase'],
    items: exactCounts.items,
    jurisdictions: Object.keys(charter.jurisdictions),
    now: ctx.clock.now().toISOString(),
  }
  const repo = createInsightsRepository()
  const rows = await repo.ownerGroups(ctx.storage.db, selection)
  const bounded = new Map(
    [...boundContributions(rows, plan, randomBytes(32))].map(([id, g]) => [id, g.count]),
  )

  const results = await runEpsilons(ctx, body, groupBy, exact, bounded)
  const parts = await measureParts(ctx, repo, selection, plan)
  const report: ShapeReport = {
    groupBy,
    exact,
    L: plan.maxRowsPerGroup,
    G: plan.maxGroupsPerSubject,
    rows: rows.length,
    parts,
    results,
  }
  log(
    `by ${groupBy.join(', ')}: parts of a query: SQL read ${report.parts.readMs.toFixed(0)} ms, bounding ${report.parts.boundMs.toFixed(0)} ms, noise ${report.parts.noiseMs.toFixed(0)} ms`,
  )
  return report
}

/** RUNS queries per epsilon through the route, each with a new analyst key: errors and times. */
async function runEpsilons(
  ctx: TestContext,
  body: Record<string, unknown>,
  groupBy: readonly ('item' | 'week')[],
  exact: Map<string, number>,
  bounded: Map<string, number>,
): Promise<ShapeReport['results']> {
  const results: ShapeReport['results'] = []
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
        new Map(answer.cells.map((c) => [groupKeyId(groupBy.map((d) => c.group[d]!)), c.value])),
      )
    }
    results.push({
      epsilon,
      medianRelativeError: medianRelativeError(exact, estimates, MIN_COUNT),
      queryMs: median(times)!,
      errors: SHOWN.map((min) => medianRelativeError(exact, estimates, min)),
      bias: SHOWN.map((min) => medianRelativeError(exact, [bounded], min)),
      cells: answer?.cells.length ?? 0,
      noiseScale: answer?.cells[0]?.noiseScale ?? 0,
      cost: answer?.cost,
    })
  }

  return results
}

/** The parts of a query measured apart (warm): the SQL read, contribution bounding and the noise. */
async function measureParts(
  ctx: TestContext,
  repo: ReturnType<typeof createInsightsRepository>,
  selection: Parameters<ReturnType<typeof createInsightsRepository>['ownerGroups']>[1],
  plan: QueryPlan,
): Promise<ShapeReport['parts']> {
  const parts = {
    read: [] as number[],
    bound: [] as number[],
    noise: [] as number[],
    sql: [] as number[],
  }
  for (let run = 0; run < RUNS; run++) {
    // What a query does now: the database bounds each shopper's part (one row per group).
    const b0 = performance.now()
    await repo.boundedGroups(ctx.storage.db, selection, {
      maxRowsPerGroup: plan.maxRowsPerGroup,
      maxGroupsPerSubject: plan.maxGroupsPerSubject,
      steps: 1,
      stepBounds: [0, 0],
      salt: randomBytes(32).toString('hex'),
    })
    parts.sql.push(performance.now() - b0)
    const r0 = performance.now()
    const read = await repo.ownerGroups(ctx.storage.db, selection)
    const r1 = performance.now()
    const groups = boundContributions(read, plan, randomBytes(32))
    const r2 = performance.now()
    release(groups, plan, cryptoRng())
    parts.read.push(r1 - r0)
    parts.bound.push(r2 - r1)
    parts.noise.push(performance.now() - r2)
  }
  return {
    readMs: median(parts.read)!,
    boundMs: median(parts.bound)!,
    noiseMs: median(parts.noise)!,
    boundedReadMs: median(parts.sql)!,
  }
}

function printShape(r: ShapeReport): void {
  const counts = [...r.exact.values()]
  const above = (min: number) => counts.filter((c) => c > min).length
  console.log(
    `\nby ${r.groupBy.join(' and ')}: ${r.exact.size} non-empty cells, exact counts largest ${Math.max(...counts)}, median ${median(counts)}; cells above ${SHOWN.join(' / ')}: ${SHOWN.map(above).join(' / ')}; contribution L=${r.L} rows per cell, G=${r.G} cells per shopper`,
  )
  console.log(
    `a query's parts, measured apart (median of ${RUNS}): bounded in SQL (what a query runs) ${r.parts.boundedReadMs.toFixed(0)} ms; the engine's way: SQL read ${r.parts.readMs.toFixed(0)} ms (${r.rows} owner-cell rows), contribution bounding ${r.parts.boundMs.toFixed(0)} ms, noise and intervals ${r.parts.noiseMs.toFixed(0)} ms`,
  )
  console.log(
    `| epsilon | released cells | noise sigma | cost (eps, delta) | median rel. error, exact > ${SHOWN.join(' / > ')} | of which bounding bias alone | query ms (median of ${RUNS}) |`,
  )
  console.log('| --- | --- | --- | --- | --- | --- | --- |')
  for (const x of r.results) {
    console.log(
      `| ${x.epsilon} | ${x.cells} | ${x.noiseScale.toFixed(1)} | ${x.cost ? `${x.cost.epsilon.toFixed(2)}, ${x.cost.delta}` : ''} | ${x.errors.map(pct).join(' / ')} | ${x.bias.map(pct).join(' / ')} | ${x.queryMs.toFixed(0)} |`,
    )
  }
}

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
    const shapes = [['item', 'week'], ['week']] as const
    const reports: ShapeReport[] = []
    for (const groupBy of shapes) reports.push(await runShape(ctx, exact, groupBy))
    const main = reports[0]!

    if (args.json) {
      const rowsOut = main.results.map(({ epsilon, medianRelativeError, queryMs }) => ({
        epsilon,
        medianRelativeError,
        queryMs: Number(queryMs.toFixed(1)),
      }))
      process.stdout.write(`${JSON.stringify({ benchmark: 'insights', rows: rowsOut })}\n`)
      return
    }
    console.log(
      `\nUCI Online Retail on ${ctx.dialect}: purchase counts of the ${exact.items.length} best-selling items, ${exact.from} to ${exact.to}; ${RUNS} queries per epsilon and grouping; exact answers by plain SQL in ${exactMs.toFixed(0)} ms`,
    )
    for (const r of reports) printShape(r)
  } finally {
    await ctx.close()
  }
}

await main()
