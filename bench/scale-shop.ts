/**
 * `npm run bench:scale [-- --sizes 1,10,100 --database sqlite|postgres|both --seconds 5 --data FILE
 * --json]` (issue 18): a synthetic shop at N times UCI Online Retail's shoppers, run the way a shop runs
 * Candor, per size and database:
 *
 * 1. the shop as an order file: UCI's cleaned orders, its customers cloned N times (`<id>-x<copy>`, the
 *    same items and times, shifted to end a minute ago); the catalog grows too: copy c buys variant
 *    `c mod ceil(N / 4)` of each item (`<code>v<variant>`), so 1x has UCI's 3.7 k items, 10x three
 *    times as many, 100x 25 times;
 * 2. two customers in three consent to personalized recommendations (in process, timed apart);
 * 3. `candor import orders` in a process of its own: events stored per second (`importEventsPerSecond`);
 * 4. `candor train` in a process of its own under `/usr/bin/time -v`: wall seconds and peak resident
 *    memory; the stored model's bytes (`modelMB`);
 * 5. `candor start` (one process, the model loaded from the database) and, for `--seconds`, GET
 *    /v1/recommendations with autocannon (10 connections), every request another consenting shopper:
 *    `serveP99Ms`;
 * 6. one erasure through `POST /v1/rights-requests` (privacy officer) of the customer with the most
 *    orders, against that server: `erasureMs`.
 *
 * PostgreSQL runs in a database of the bench's own on the server CANDOR_BENCH_DATABASE_URL names. A
 * benchmark measures, it asserts nothing. Progress goes to stderr; `--json` prints one JSON line with
 * one row per size and database.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { type ScaleShopRow, runScaleShop } from './lib/scale-shop-run.js'
import { writeScaleShop } from './lib/scale-shop-file.js'
import { benchServerUrl, createBenchDatabase } from './lib/bench-postgres.js'
import { parseScales } from './scale.js'

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1,10,100' },
    database: { type: 'string', default: 'sqlite' },
    seconds: { type: 'string', default: '5' },
    data: {
      type: 'string',
      default:
        process.env.CANDOR_UCI_FILE ?? '../shared/datasets/uci-online-retail/online_retail.csv.gz',
    },
    json: { type: 'boolean', default: false },
  },
})

const sizes = parseScales(args.sizes)
const databases =
  args.database === 'both' ? ['sqlite', 'postgres'] : args.database.split(',').map((d) => d.trim())
for (const d of databases) {
  if (d !== 'sqlite' && d !== 'postgres')
    throw new Error(`--database must be sqlite, postgres or both, got "${args.database}"`)
}
const seconds = Number(args.seconds)
if (!(seconds > 0)) throw new Error(`--seconds must be a positive number, got "${args.seconds}"`)
const serverUrl = databases.includes('postgres') ? benchServerUrl(process.env) : undefined
if (!fs.existsSync(args.data)) {
  process.stderr.write(`bench:scale: ${args.data} not found (set --data or CANDOR_UCI_FILE)\n`)
  process.exit(1)
}

const log = (message: string) =>
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`)
const base = fs.mkdtempSync(path.join(os.tmpdir(), 'candor-scale-shop-'))
const rows: ScaleShopRow[] = []
try {
  for (const scale of sizes) {
    const file = path.join(base, `orders-${scale}x.csv`)
    log(`${scale}x: writing the order file ...`)
    const shop = writeScaleShop(args.data, scale, file)
    log(`${scale}x: ${shop.customers} customers, ${shop.rows} orders, ${shop.items} items`)
    for (const database of databases) {
      const dir = path.join(base, `${database}-${scale}x`)
      fs.mkdirSync(dir)
      const pg = database === 'postgres' ? await createBenchDatabase(serverUrl!) : undefined
      try {
        const url = pg?.url ?? `sqlite:${path.join(dir, 'candor.sqlite')}`
        rows.push(await runScaleShop({ scale, database, url, dir, file, shop, seconds, log }))
      } finally {
        await pg?.drop()
        fs.rmSync(dir, { recursive: true, force: true })
      }
    }
    fs.rmSync(file, { force: true })
  }
} finally {
  fs.rmSync(base, { recursive: true, force: true })
}
report(rows)

function report(rows: ScaleShopRow[]): void {
  if (args.json) {
    process.stdout.write(
      `${JSON.stringify({ benchmark: 'scale', dataset: 'uci-online-retail', machine: machine(), rows })}\n`,
    )
    return
  }
  const header = [
    'scale',
    'database',
    'shoppers',
    'events',
    'items',
    'import ev/s',
    'train s',
    'peak RSS MB',
    'model MB',
    'serve p99 ms',
    'erasure ms',
  ]
  const table = rows.map((r) => [
    `${r.scale}x`,
    r.database,
    String(r.shoppers),
    String(r.events),
    String(r.items),
    String(r.importEventsPerSecond),
    r.trainSeconds.toFixed(1),
    String(r.peakRssMB),
    r.modelMB.toFixed(1),
    String(r.serveP99Ms),
    String(r.erasureMs),
  ])
  const widths = header.map((h, k) => Math.max(h.length, ...table.map((r) => r[k]!.length)))
  const line = (cells: string[]) => cells.map((c, k) => c.padStart(widths[k]!)).join('  ')
  process.stdout.write(`bench:scale on ${machine()}\n\n${line(header)}\n`)
  for (const r of table) process.stdout.write(`${line(r)}\n`)
  process.stdout.write(
    '\ngoal: each figure grows at most linearly with the events; erasure under 1000 ms at every size\n',
  )
}

function machine(): string {
  return `${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), ${Math.round(os.totalmem() / 2 ** 30)} GB, Node ${process.version}`
}
