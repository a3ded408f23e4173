/**
 * `npm run bench:serve` (BENCHMARKS.md section 2). Seeds a SQLite database with a UCI-derived catalog
 * and the histories of 300 customers (timestamps shifted to end now), starts the real Candor server as
 * a child process, and loads `GET /v1/recommendations` for a mix of personal, session and off shoppers
 * with autocannon from this process; then does the same against a bare Fastify route (another child
 * process) returning a fixed JSON body of the same size. Prints requests/s, p50/p99 and the ratio.
 * Both servers are warmed up first (Candor's model trained, every request URL served once), so the
 * figures are the steady state. Exits on its own, stopping both servers and removing its temp dir,
 * also after a failure or Ctrl-C; skips (exit 0) when the UCI file is absent.
 *
 * Candor runs as in production with `--workers` server processes (CANDOR_WORKERS; default `auto`, one
 * per core). The bare route runs both as one process and with as many workers, and the ratio is taken
 * against whichever of the two served more: each server at its best on this machine (on a small one the
 * load generator takes a core, and a bare route in one process beats itself in two).
 *
 * Loads alternate (Candor, bare, bare in workers, Candor ...) for `--rounds` rounds, so a passing load on
 * a shared machine weighs on all; each figure is the median over rounds, the ratio is the median of the
 * rounds' ratios.
 *
 * `--database postgres`: Candor runs on PostgreSQL, in a database of the bench's own
 * (`candor_bench_<pid>`, created on the server `CANDOR_BENCH_DATABASE_URL` names and dropped at the
 * end), each worker process with its own pool and listening connection, as several machines would.
 * `--distinct`: every UCI customer is seeded twice more as different shoppers, and each round also loads
 * a list in which every request is another shopper (nothing any copy could hold yet), reported beside
 * the repeated shoppers' figures (issue 18, point 7).
 *
 * The steps are functions below (start, warm up, measure, report); the seeding is `lib/serve-seed.ts`,
 * the child processes, warm-up and autocannon loads `lib/load.ts`.
 *
 *   tsx bench/serve.ts [--seconds 5] [--rounds 3] [--connections 10] [--workers auto|N] [--data FILE]
 *                      [--profile DIR] [--json] [--caps counted|none] [--database sqlite|postgres]
 *                      [--distinct]
 */
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { type BenchDatabase, benchServerUrl, createBenchDatabase } from './lib/bench-postgres.js'
import { type LoadResult, freePort, load, startServer, warmUp } from './lib/load.js'
import { type Seeded, seed } from './lib/serve-seed.js'

const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '10' },
    workers: { type: 'string', default: 'auto' },
    database: { type: 'string', default: 'sqlite' },
    distinct: { type: 'boolean', default: false },
    // `counted`: every session and personal answer counted against a cap out of reach (see
    // `uncappedCharter`); `none`: the widget's touchpoint left out of the charter, nothing counted.
    caps: { type: 'string', default: 'counted' },
    // A V8 CPU profile of the Candor server over the whole run, written into this folder on exit.
    profile: { type: 'string' },
    data: {
      type: 'string',
      default:
        process.env.CANDOR_UCI_FILE ??
        path.resolve('../shared/datasets/uci-online-retail/online_retail.csv.gz'),
    },
  },
})
const WORKERS = args.workers === 'auto' ? os.availableParallelism() : Number(args.workers)
if (!Number.isInteger(WORKERS) || WORKERS < 1) {
  process.stderr.write(`bench:serve: --workers must be auto or a whole number from 1\n`)
  process.exit(2)
}
const log = (m: string) => {
  if (!args.json) process.stderr.write(`${m}\n`)
}
const DATABASE = args.database
if (DATABASE !== 'sqlite' && DATABASE !== 'postgres') {
  process.stderr.write(`bench:serve: --database must be sqlite or postgres\n`)
  process.exit(2)
}
let serverUrl: string | undefined
if (DATABASE === 'postgres') {
  try {
    serverUrl = benchServerUrl(process.env)
  } catch (error) {
    process.stderr.write(`bench:serve: ${(error as Error).message}\n`)
    process.exit(2)
  }
}
if (!fs.existsSync(args.data)) {
  process.stderr.write(
    `bench:serve: ${args.data} not found (set --data or CANDOR_UCI_FILE); skipped\n`,
  )
  process.exit(0)
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'candor-serve-'))
const children: ChildProcess[] = []
let database: BenchDatabase | undefined

/** Stops the servers (SIGTERM, then SIGKILL after 5 s) and removes the temp dir. */
async function cleanUp(): Promise<void> {
  await Promise.all(
    children.map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
    }),
  )
  fs.rmSync(dir, { recursive: true, force: true })
  await database?.drop()
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void cleanUp().finally(() => process.exit(130))
  })
}

try {
  await main()
  await cleanUp()
  process.exit(0)
} catch (error) {
  process.stderr.write(
    `bench:serve failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  )
  await cleanUp()
  process.exit(1)
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/**
 * The example charter with the recommendations widget's frequency cap raised out of reach: the load asks
 * for far more answers per shopper than the 50 a day the example allows, and past the cap an answer is
 * `off` (cheaper), which would leave no personal answers to measure. Every answer is still counted.
 */
function uncappedCharter(): string {
  const text = fs.readFileSync(path.resolve('candor.charter.yaml'), 'utf8')
  const raised =
    args.caps === 'none'
      ? text.replace('  recommendations_widget:', '  recommendations_widget_not_served:')
      : text.replace(
          /(recommendations_widget:[\s\S]*?frequencyCap: )\{ max: \d+, perDays: 1 \}/,
          '$1{ max: 1000000000, perDays: 1 }',
        )
  if (raised === text) throw new Error('bench:serve: the recommendations_widget cap was not found')
  const file = path.join(dir, 'bench.charter.yaml')
  fs.writeFileSync(file, raised)
  return file
}

function benchEnv(databaseUrl: string): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    CANDOR_CHARTER_FILE: uncappedCharter(),
    CANDOR_DATA_DIR: dir,
    CANDOR_DATABASE_URL: databaseUrl,
    CANDOR_LOG_LEVEL: 'warn',
    CANDOR_DEMO: 'off',
    CANDOR_RATE_LIMIT_PER_MINUTE: '10000000',
  }
  delete env.CANDOR_TEST_DATABASE_URL
  delete env.CANDOR_BENCH_DATABASE_URL
  return env
}

/** Candor as in production, `WORKERS` processes; ready once a model is trained. */
async function startCandor(
  env: Record<string, string | undefined>,
): Promise<{ server: ChildProcess; port: number }> {
  const port = await freePort()
  // Serving at the level Candor logs in production (a line per request); ready once the model is trained.
  const server = await startServer(
    { dir, children },
    env,
    'candor',
    [
      ...(args.profile === undefined
        ? []
        : ['--cpu-prof', '--cpu-prof-dir', path.resolve(args.profile)]),
      '--import',
      'tsx',
      'src/main/cli.ts',
      'start',
    ],
    { CANDOR_PORT: String(port), CANDOR_LOG_LEVEL: 'info', CANDOR_WORKERS: String(WORKERS) },
    [
      [/Candor is serving/g, 1],
      [/item model trained/g, 1],
    ],
  )
  return { server, port }
}

/**
 * Waits until every worker answers a personal request personally: each has its model (trained by
 * itself, or by one of them and loaded by the others, whichever the server does).
 */
async function untilEveryWorkerHasItsModel(seeded: Seeded, port: number): Promise<void> {
  const url = seeded.urls.find((u) => u.includes('subject='))!
  for (let waited = 0; ; waited += 500) {
    const levels = await Promise.all(
      Array.from({ length: WORKERS * 4 }, async () => {
        const response = await fetch(`http://127.0.0.1:${port}${url}`, {
          headers: { ...seeded.auth, connection: 'close' },
        })
        return ((await response.json()) as { level?: string }).level
      }),
    )
    if (levels.every((level) => level === 'personal')) return
    if (waited > 300_000) throw new Error(`bench:serve: workers still answer ${levels.join(', ')}`)
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
}

interface Bare {
  name: string
  server: ChildProcess
  port: number
}

/** The bare route in `workers` processes (1: no cluster), answering the sample body, warmed up. */
async function startBare(
  env: Record<string, string | undefined>,
  seeded: Seeded,
  workers: number,
): Promise<Bare> {
  const port = await freePort()
  const name = workers === 1 ? 'bare' : `bare-${workers}`
  const server = await startServer(
    { dir, children },
    env,
    name,
    [
      '--import',
      'tsx',
      'bench/fixtures/bare-server.ts',
      seeded.bodyFile,
      String(port),
      String(workers),
    ],
    {},
    [[/ready/g, workers]],
  )
  await warmUp(
    seeded.auth,
    port,
    seeded.urls.map(() => '/v1/recommendations'),
    workers,
  )
  return { name, server, port }
}

function loadOptions(seeded: Seeded) {
  return { connections: Number(args.connections), seconds: Number(args.seconds), auth: seeded.auth }
}

interface Round {
  candor: LoadResult
  /** `--distinct`: the load in which every request is another shopper. */
  distinct?: LoadResult
  bare: LoadResult[]
}

/** The round's reference: the bare route as it served most. */
function best(r: Round): LoadResult {
  return r.bare.reduce((a, b) => (b.requestsPerSecond > a.requestsPerSecond ? b : a))
}

/** `--rounds` rounds of loads, alternating Candor (repeated, then distinct shoppers) and each bare server. */
async function measure(
  seeded: Seeded,
  candor: { server: ChildProcess; port: number },
  bares: Bare[],
  cursor: { next: number },
): Promise<Round[]> {
  const rounds: Round[] = []
  for (let round = 1; round <= Number(args.rounds); round++) {
    log(
      `round ${round}/${args.rounds}: loading each for ${args.seconds} s with ${args.connections} connections ...`,
    )
    const ours = await load(loadOptions(seeded), candor.server, candor.port, seeded.urls)
    const distinct = args.distinct
      ? await load(loadOptions(seeded), candor.server, candor.port, seeded.distinctUrls, cursor)
      : undefined
    const bare: LoadResult[] = []
    for (const b of bares)
      bare.push(await load(loadOptions(seeded), b.server, b.port, ['/v1/recommendations']))
    rounds.push({ candor: ours, ...(distinct === undefined ? {} : { distinct }), bare })
    const reference = best(rounds.at(-1)!).requestsPerSecond
    log(
      `  candor ${ours.requestsPerSecond} req/s (${ours.cpuMicrosPerRequest ?? '?'} µs CPU each)${distinct === undefined ? '' : `, distinct shoppers ${distinct.requestsPerSecond} req/s (${distinct.cpuMicrosPerRequest ?? '?'} µs)`}, ${bares.map((b, k) => `${b.name} ${bare[k]!.requestsPerSecond} req/s (${bare[k]!.cpuMicrosPerRequest ?? '?'} µs)`).join(', ')}, ratio ${(ours.requestsPerSecond / reference).toFixed(3)}`,
    )
  }
  return rounds
}

/** The medians over rounds of one server's figures (errors summed), and its ratio to the bare route. */
function summary(rounds: Round[], pick: (r: Round) => LoadResult) {
  const p99ms = median(rounds.map((r) => pick(r).p99ms))
  return {
    database: DATABASE,
    requestsPerSecond: median(rounds.map((r) => pick(r).requestsPerSecond)),
    cpuMicrosPerRequest: rounds.every((r) => pick(r).cpuMicrosPerRequest !== undefined)
      ? median(rounds.map((r) => pick(r).cpuMicrosPerRequest!))
      : undefined,
    p50ms: median(rounds.map((r) => pick(r).p50ms)),
    p99ms,
    p99Ms: p99ms,
    errors: rounds.reduce((sum, r) => sum + pick(r).errors, 0),
    ratio:
      Math.round(
        median(rounds.map((r) => pick(r).requestsPerSecond / best(r).requestsPerSecond)) * 1000,
      ) / 1000,
  }
}

/** Prints the table (or the JSON line) and the ratio. */
function report(rounds: Round[], bares: Bare[], seeded: Seeded, cursor: { next: number }): void {
  const name = WORKERS === 1 ? 'candor' : `candor-${WORKERS}`
  const rows = [
    { server: name, mode: 'repeated', ...summary(rounds, (r) => r.candor) },
    ...(args.distinct
      ? [{ server: `${name}-distinct`, mode: 'distinct', ...summary(rounds, (r) => r.distinct!) }]
      : []),
    ...bares.map((b, k) => ({
      server: b.name.replace('bare', 'bare-fastify'),
      ...summary(rounds, (r) => r.bare[k]!),
    })),
  ]
  const ratio = rows[0]!.ratio
  const distinct = args.distinct
    ? {
        ratioDistinct: rows[1]!.ratio,
        distinctShoppers: seeded.distinctUrls.length,
        // More requests than shoppers: the list came round again, and some answers were copies.
        distinctRequests: cursor.next,
      }
    : {}
  if (args.json) {
    process.stdout.write(
      `${JSON.stringify({ benchmark: 'serve', database: DATABASE, workers: WORKERS, mix: Object.fromEntries(seeded.levels), rows, ratio, ...distinct })}\n`,
    )
    return
  }
  process.stdout.write(
    `database: ${DATABASE}\nserver                req/s   CPU µs/req   p50 ms   p99 ms   errors   ratio\n`,
  )
  for (const r of rows) {
    process.stdout.write(
      `${r.server.padEnd(20)} ${String(r.requestsPerSecond).padStart(6)}   ${String(r.cpuMicrosPerRequest ?? '?').padStart(10)}   ${String(r.p50ms).padStart(6)}   ${String(r.p99ms).padStart(6)}   ${String(r.errors).padStart(6)}   ${r.ratio}\n`,
    )
  }
  process.stdout.write(
    `ratio candor/bare: ${ratio}, against the bare route as it served most in each round (goal >= 0.5, p99 under 10 ms)\n`,
  )
  if (args.distinct) {
    process.stdout.write(
      `distinct shoppers: ratio ${rows[1]!.ratio}; ${cursor.next} requests over ${seeded.distinctUrls.length} shoppers${cursor.next > seeded.distinctUrls.length ? ' (the list came round again: some answers were from copies)' : ''}\n`,
    )
  }
}

async function main(): Promise<void> {
  if (serverUrl !== undefined) {
    database = await createBenchDatabase(serverUrl)
    log(`on PostgreSQL, in a database of its own (dropped at the end)`)
  }
  const env = benchEnv(database?.url ?? `sqlite:${path.join(dir, 'candor.sqlite')}`)
  const seeded = await seed({ env, data: args.data, dir, distinct: args.distinct, log })
  const candor = await startCandor(env)
  await untilEveryWorkerHasItsModel(seeded, candor.port)
  log('warming up ...')
  await warmUp(seeded.auth, candor.port, seeded.urls, WORKERS)
  const bares = [
    await startBare(env, seeded, 1),
    ...(WORKERS > 1 ? [await startBare(env, seeded, WORKERS)] : []),
  ]
  const cursor = { next: 0 }
  const rounds = await measure(seeded, candor, bares, cursor)
  report(rounds, bares, seeded, cursor)
}
