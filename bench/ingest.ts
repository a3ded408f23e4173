/**
 * Ingest benchmark (BENCHMARKS.md section 3): batches of events through `POST /v1/events` (consent gate,
 * minimization, pseudonymization, durable write, audit entry) against the same rows inserted straight
 * into the same engine with a prepared statement, one transaction per batch. Both run in one process,
 * side by side, alternating rounds; the ratio of medians is what to compare run to run.
 *
 *   npm run bench:ingest -- [--json] [--batches 40] [--batch-size 500] [--shoppers-per-batch 50] [--rounds 3]
 *                           [--vendor]
 *
 * `--vendor`: each database also runs with one vendor destination configured (the charter's cloud-host,
 * which every event here is shared with), so the outbox row written in each event's transaction is
 * measured; its row is printed beside the one with none, from the same run. Nothing is delivered.
 *
 * PostgreSQL runs too when CANDOR_BENCH_DATABASE_URL (or CANDOR_TEST_DATABASE_URL) is set; each run
 * uses a fresh schema that is dropped afterwards.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3-multiple-ciphers'
import { sql } from 'kysely'
import pg from 'pg'
import { pino } from 'pino'
import { buildApp } from '../src/app.js'
import { parseConfig } from '../src/config.js'
import { systemClock } from '../src/lib/clock.js'
import { loadCharterFile } from '../src/modules/charter/index.js'
import {
  createKeyringHolder,
  generateKeyFile,
  keyringFromFile,
} from '../src/modules/identity/index.js'
import { createServices } from '../src/main/compose.js'
import { createStorage } from '../src/storage/db.js'
import { migrateToLatest } from '../src/storage/migrate.js'

interface Options {
  json: boolean
  batches: number
  batchSize: number
  shoppersPerBatch: number
  rounds: number
  /** Also run with one vendor destination configured (issue 23). */
  vendor: boolean
}

function parseArgs(argv: string[]): Options {
  const options: Options = {
    json: false,
    batches: 40,
    batchSize: 500,
    shoppersPerBatch: 50,
    rounds: 3,
    vendor: false,
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    const next = () => {
      const value = Number(argv[++i])
      if (!Number.isInteger(value) || value <= 0)
        throw new Error(`${arg} needs a positive whole number`)
      return value
    }
    if (arg === '--json') options.json = true
    else if (arg === '--vendor') options.vendor = true
    else if (arg === '--batches') options.batches = next()
    else if (arg === '--batch-size') options.batchSize = next()
    else if (arg === '--shoppers-per-batch') options.shoppersPerBatch = next()
    else if (arg === '--rounds') options.rounds = next()
    else throw new Error(`unknown option ${arg}`)
  }
  return options
}

const ITEMS = Array.from({ length: 3000 }, (_, i) => `${20000 + i}${'ABCDEFG'[i % 7]}`)

/** A deterministic pseudo-random stream (mulberry32), so every run sends the same events. */
function random(seed: number) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

type BenchEvent = Record<string, string | number>

function makeBatches(options: Options, round: number, shoppers: string[]): BenchEvent[][] {
  const next = random(1234 + round)
  const batches: BenchEvent[][] = []
  for (let b = 0; b < options.batches; b++) {
    const group = Array.from(
      { length: options.shoppersPerBatch },
      () => shoppers[Math.floor(next() * shoppers.length)]!,
    )
    const batch: BenchEvent[] = []
    for (let e = 0; e < options.batchSize; e++) {
      const subject = group[e % group.length]!
      const item = ITEMS[Math.floor(next() * ITEMS.length)]!
      const roll = next()
      const id = `r${round}-b${b}-e${e}`
      const timestamp = new Date(Date.now() - Math.floor(next() * 3_600_000)).toISOString()
      if (roll < 0.6)
        batch.push({ id, type: 'view', subject, item, placement: 'product_page', timestamp })
      else if (roll < 0.8)
        batch.push({
          id,
          type: 'add_to_cart',
          subject,
          item,
          quantity: 1 + Math.floor(next() * 3),
          timestamp,
        })
      else if (roll < 0.92)
        batch.push({
          id,
          type: 'purchase',
          subject,
          item,
          quantity: 1,
          price: 2.55,
          currency: 'GBP',
          timestamp,
        })
      else
        batch.push({ id, type: 'search', subject, query: 'white heart candle holder', timestamp })
    }
    batches.push(batch)
  }
  return batches
}

/** The row a raw insert writes: the same columns Candor's event store has. */
function rawRow(event: BenchEvent, now: string): unknown[] {
  return [
    `sub_${String(event.subject)}`,
    event.id,
    event.type === 'add_to_cart' ? 'cart' : event.type,
    event.item ?? null,
    event.quantity ?? null,
    event.price ?? null,
    event.currency ?? null,
    event.query ?? null,
    event.placement ?? null,
    null,
    null,
    null,
    event.timestamp ?? null,
    now,
    ',personalize.recommendations,',
    now,
  ]
}

const RAW_COLUMNS =
  'owner, event_id, type, item, quantity, price, currency, search_query, placement, recomm_id, kind, rating, occurred_at, received_at, purposes, expires_at'
const RAW_TABLE = `create table bench_raw_events (
  owner varchar(80) not null, event_id varchar(128) not null, type varchar(16) not null, item varchar(64),
  quantity integer, price double precision, currency varchar(3), search_query varchar(200), placement varchar(64),
  recomm_id varchar(128), kind varchar(32), rating integer, occurred_at varchar(32), received_at varchar(32) not null,
  purposes varchar(400) not null, expires_at varchar(32) not null, primary key (owner, event_id))`

interface Target {
  dialect: 'sqlite' | 'postgres'
  url: string
  rawInsert(batch: BenchEvent[]): Promise<void>
  cleanup(): Promise<void>
}

async function sqliteTarget(): Promise<Target> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'candor-bench-'))
  const file = path.join(dir, 'candor.sqlite')
  const storage = createStorage({ kind: 'sqlite', file })
  await migrateToLatest(storage)
  await storage.close()
  const raw = new Database(file)
  raw.pragma('journal_mode = WAL')
  raw.pragma('synchronous = NORMAL')
  raw.exec(RAW_TABLE)
  const insert = raw.prepare(
    `insert into bench_raw_events (${RAW_COLUMNS}) values (${Array(16).fill('?').join(', ')})`,
  )
  const insertBatch = raw.transaction((rows: unknown[][]) => {
    for (const row of rows) insert.run(row)
  })
  return {
    dialect: 'sqlite',
    url: `sqlite:${file}`,
    async rawInsert(batch) {
      const now = new Date().toISOString()
      insertBatch(batch.map((e) => rawRow(e, now)))
    },
    async cleanup() {
      raw.close()
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}

async function postgresTarget(baseUrl: string): Promise<Target> {
  const schema = `bench_${Date.now().toString(36)}`
  const admin = new pg.Client({ connectionString: baseUrl })
  await admin.connect()
  await admin.query(`create schema ${schema}`)
  const url = new URL(baseUrl)
  url.searchParams.set('options', `-c search_path=${schema}`)
  const client = new pg.Client({ connectionString: url.toString() })
  await client.connect()
  await client.query(RAW_TABLE)
  const text = `insert into bench_raw_events (${RAW_COLUMNS}) values (${Array.from({ length: 16 }, (_, i) => `$${i + 1}`).join(', ')})`
  return {
    dialect: 'postgres',
    url: url.toString(),
    async rawInsert(batch) {
      const now = new Date().toISOString()
      await client.query('begin')
      for (const event of batch)
        await client.query({ name: 'bench_raw_insert', text, values: rawRow(event, now) })
      await client.query('commit')
    },
    async cleanup() {
      await client.end()
      await admin.query(`drop schema if exists ${schema} cascade`)
      await admin.end()
    },
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

interface Row {
  database: string
  batchSize: number
  events: number
  oursEventsPerSecond: number
  rawEventsPerSecond: number
  ratio: number
  acknowledged: number
  missing: number
}

/** A fresh Candor app on the target database, with a storefront key (`dir` holds its data files). */
async function openBench(target: Target, extraEnv: Record<string, string> = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'candor-bench-cfg-'))
  const config = parseConfig({
    CANDOR_DATA_DIR: dir,
    CANDOR_DATABASE_URL: target.url,
    CANDOR_LOG_LEVEL: 'silent',
    CANDOR_RATE_LIMIT_PER_MINUTE: '10000000',
    CANDOR_BODY_LIMIT_BYTES: '10485760',
    ...extraEnv,
  })
  const storage = createStorage(config.database)
  await migrateToLatest(storage)
  const services = createServices({
    config,
    storage,
    clock: systemClock,
    keys: createKeyringHolder(keyringFromFile(generateKeyFile(new Date()))),
    charter: await loadCharterFile(path.resolve('candor.charter.yaml')),
  })
  const { app } = await buildApp({ services, logger: pino({ level: 'silent' }) })
  const { key } = await services.auth.createApiKey('storefront', 'bench', {
    kind: 'cli',
    command: 'bench',
  })
  return { dir, storage, services, app, key }
}

type Bench = Awaited<ReturnType<typeof openBench>>

/** Shoppers who said yes to personalized recommendations (the consent gate still reads their ledger). */
async function grantedShoppers({ services }: Bench): Promise<string[]> {
  const shoppers = Array.from({ length: 2000 }, (_, i) => `bench-customer-${i}`)
  for (const ref of shoppers) {
    const subjectId = await services.identity.ensureSubjectId(ref)
    await services.consent.recordChange(
      subjectId,
      'personalize.recommendations',
      { decision: 'granted', method: 'api', noticeVersion: services.consent.noticeVersion },
      { jurisdiction: 'UK' },
      { kind: 'cli', command: 'bench' },
    )
  }
  return shoppers
}

/**
 * One round: the batches through `POST /v1/events` (noting every event acknowledged as stored), then
 * the same batches as plain inserts; the seconds each took.
 */
async function measureRound(
  bench: Bench,
  target: Target,
  batches: BenchEvent[][],
  acknowledged: { subject: string; id: string }[],
): Promise<{ oursSeconds: number; rawSeconds: number }> {
  let start = performance.now()
  for (const batch of batches) {
    const response = await bench.app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { authorization: `Bearer ${bench.key}` },
      payload: { events: batch, jurisdiction: 'UK' },
    })
    if (response.statusCode !== 200)
      throw new Error(`ingest answered ${response.statusCode}: ${response.body}`)
    const { results } = response.json<{ results: { id: string; status: string }[] }>()
    results.forEach((result, i) => {
      if (result.status === 'stored')
        acknowledged.push({ subject: String(batch[i]!.subject), id: result.id })
    })
  }
  const oursSeconds = (performance.now() - start) / 1000
  start = performance.now()
  for (const batch of batches) await target.rawInsert(batch)
  const rawSeconds = (performance.now() - start) / 1000
  return { oursSeconds, rawSeconds }
}

/** How many acknowledged events are missing from the events table (none may be). */
async function countMissing(
  { services, storage }: Bench,
  shoppers: string[],
  acknowledged: { subject: string; id: string }[],
): Promise<number> {
  const subjectIds = new Map<string, string>()
  for (const ref of shoppers) subjectIds.set(ref, (await services.identity.findSubjectId(ref))!)
  const storedRows = await sql<{
    owner: string
    event_id: string
  }>`select owner, event_id from events`.execute(storage.db)
  const stored = new Set(storedRows.rows.map((r) => `${r.owner}\u0000${r.event_id}`))
  return acknowledged.filter((a) => !stored.has(`${subjectIds.get(a.subject)}\u0000${a.id}`)).length
}

/** One vendor destination (nothing listens there: the job does not run, only the outbox is written). */
const VENDOR_ENV = {
  CANDOR_VENDOR_CLOUD_HOST_URL: 'http://127.0.0.1:9/cloud-host',
  CANDOR_VENDOR_CLOUD_HOST_SECRET: `whsec_${Buffer.alloc(32, 1).toString('base64')}`,
  CANDOR_VENDOR_DELIVERY_INTERVAL_SECONDS: '0',
}

async function runOn(
  target: Target,
  options: Options,
  log: (line: string) => void,
  vendor = false,
): Promise<Row> {
  const bench = await openBench(target, vendor ? VENDOR_ENV : {})
  const shoppers = await grantedShoppers(bench)

  const ours: number[] = []
  const raw: number[] = []
  const acknowledged: { subject: string; id: string }[] = []
  for (let round = 0; round < options.rounds; round++) {
    const batches = makeBatches(options, round, shoppers)
    const { oursSeconds, rawSeconds } = await measureRound(bench, target, batches, acknowledged)
    const events = options.batches * options.batchSize
    ours.push(events / oursSeconds)
    raw.push(events / rawSeconds)
    log(
      `  ${target.dialect}${vendor ? ' + 1 vendor' : ''} round ${round + 1}: ours ${Math.round(events / oursSeconds)} ev/s, raw ${Math.round(events / rawSeconds)} ev/s`,
    )
  }

  const missing = await countMissing(bench, shoppers, acknowledged)
  await bench.app.close()
  await bench.storage.close()
  fs.rmSync(bench.dir, { recursive: true, force: true })
  const oursMedian = median(ours)
  const rawMedian = median(raw)
  return {
    database: vendor ? `${target.dialect} + 1 vendor` : target.dialect,
    batchSize: options.batchSize,
    events: options.batches * options.batchSize * options.rounds,
    oursEventsPerSecond: Math.round(oursMedian),
    rawEventsPerSecond: Math.round(rawMedian),
    ratio: Math.round((oursMedian / rawMedian) * 1000) / 1000,
    acknowledged: acknowledged.length,
    missing,
  }
}

async function main() {
  const options = parseArgs(process.argv.slice(2))
  const log = (line: string) => {
    if (!options.json) process.stderr.write(`${line}\n`)
  }
  const rows: Row[] = []
  const targets: (() => Promise<Target>)[] = [sqliteTarget]
  const pgUrl = process.env.CANDOR_BENCH_DATABASE_URL ?? process.env.CANDOR_TEST_DATABASE_URL
  if (pgUrl !== undefined && pgUrl !== '') targets.push(() => postgresTarget(pgUrl))
  else
    log(
      'note: set CANDOR_BENCH_DATABASE_URL (or CANDOR_TEST_DATABASE_URL) to run on PostgreSQL too',
    )
  // With --vendor, each database twice (a fresh one each time), without and then with a destination.
  for (const open of targets) {
    for (const vendor of options.vendor ? [false, true] : [false]) {
      const target = await open()
      try {
        rows.push(await runOn(target, options, log, vendor))
      } finally {
        await target.cleanup()
      }
    }
  }
  if (options.json) {
    process.stdout.write(
      `${JSON.stringify({ benchmark: 'ingest', batchSize: options.batchSize, shoppersPerBatch: options.shoppersPerBatch, rows })}\n`,
    )
    return
  }
  const header = ['database', 'events', 'ours ev/s', 'raw ev/s', 'ratio', 'acknowledged', 'missing']
  const lines = rows.map((r) =>
    [
      r.database,
      r.events,
      r.oursEventsPerSecond,
      r.rawEventsPerSecond,
      r.ratio,
      r.acknowledged,
      r.missing,
    ].map(String),
  )
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)))
  const format = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ')
  process.stdout.write(`${format(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`)
  for (const line of lines) process.stdout.write(`${format(line)}\n`)
  process.stdout.write(
    `\nbatches of ${options.batchSize} events from ${options.shoppersPerBatch} shoppers each, ${options.rounds} rounds; goal ratio >= 0.3, missing = 0\n`,
  )
  if (rows.some((r) => r.missing > 0)) process.exitCode = 1
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench:ingest failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  )
  process.exit(1)
})
