/**
 * `npm run bench:quality -- --scale 1,4,16 [--no-tune] [--keep DIR] [--data FILE] [--json]`: how
 * training grows with the shop. UCI Online Retail's customers are cloned N times (customer ids
 * suffixed per copy, the same items and times, shifted so that the last order was a minute ago),
 * loaded into a real SQLite database through Candor's own gate (the `ingest` that `candor import
 * orders` uses; two customers in three consent to personalized recommendations, the others' orders
 * are kept for analytics under legitimate interest), then each size is trained by `recommend.train()`
 * of Candor's composed services (tuning on, the CPU part in a worker thread) in a child process of its
 * own, so that one size's memory peak does not carry over to the next. Per size: training events,
 * shoppers, wall and CPU seconds (every thread), how long reading the events took, and the peak
 * resident memory (`process.resourceUsage().maxRSS`).
 *
 * Goal (issue 14): 16x trains within 16 times the 1x time, and under 2 GB.
 * `--no-tune` trains with the documented defaults (no search): the cost of the rest of training.
 * `--keep DIR` keeps the seeded databases there and reuses them on the next run (seeding 16x takes
 * minutes).
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { openRuntime } from '../src/main/runtime.js'
import { noticeVersionOf } from '../src/modules/charter/index.js'
import { loadUci, rowsByCustomer, shiftToEndBefore } from './lib/data.js'

export interface ScaleOptions {
  /** Copies of UCI's customers per size, such as [1, 4, 16]. */
  readonly scales: readonly number[]
  /** The UCI Online Retail file. */
  readonly data: string
  readonly json: boolean
  /** Keep the seeded databases in this folder (and reuse them); else a temp folder, removed after. */
  readonly keep?: string
  /** false: train with the documented defaults, no search (what training costs without tuning). */
  readonly tune?: boolean
}

/** What the training child reports (see bench/fixtures/scale-train.ts). */
export interface ScaleTraining {
  events: number
  subjects: number
  items: number
  tuned: boolean
  wallSeconds: number
  cpuSeconds: number
  readSeconds: number
  maxRssKB: number
}

export interface ScaleRow {
  scale: number
  trainEvents: number
  shoppers: number
  items: number
  /** Wall time of `recommend.train()`. */
  trainSeconds: number
  /** CPU time (user + system, every thread) of the child during training. */
  trainCpuSeconds: number
  /** Of `trainSeconds`, reading the events (consent checks included) before the CPU part starts. */
  readSeconds: number
  /** Peak resident memory of the training child, everything it did included. */
  peakRssMB: number
  tuned: boolean
  /** Wall time of loading the database (0 when it was kept from an earlier run). */
  seedSeconds: number
}

const PERSONAL = 'personalize.recommendations'
const BATCH = 1000
const ACTOR = { kind: 'cli' as const, command: 'bench:quality --scale' }
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

function log(options: ScaleOptions, message: string): void {
  if (!options.json) process.stderr.write(`${message}\n`)
}

function envFor(dir: string): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    CANDOR_DATA_DIR: dir,
    CANDOR_DATABASE_URL: `sqlite:${path.join(dir, 'candor.sqlite')}`,
    CANDOR_CHARTER_FILE: path.join(root, 'candor.charter.yaml'),
    CANDOR_LOG_LEVEL: 'warn',
    CANDOR_DEMO: 'off',
  }
  delete env.CANDOR_TEST_DATABASE_URL
  return env
}

/**
 * Loads `copies` clones of UCI's cleaned orders into a new database in `dir` through the gate: the
 * catalog, then per customer copy a consent (two in three) and its purchases.
 */
async function seed(options: ScaleOptions, dir: string, copies: number): Promise<void> {
  const uci = loadUci(options.data)
  const shift = shiftToEndBefore(uci, Date.now())
  const rowsOf = new Map(rowsByCustomer(uci))
  const customers = [...rowsOf.keys()].sort()
  fs.mkdirSync(dir, { recursive: true })
  const runtime = await openRuntime(envFor(dir), { logDestination: 2, logLevel: 'warn' })
  try {
    const { services } = runtime
    const items = [...new Set(uci.items)]
    for (let i = 0; i < items.length; i += 1000) {
      await services.catalog.upsertItems(
        items.slice(i, i + 1000).map((id) => ({ id, title: `Item ${id}`, category: ['Gifts'] })),
        ACTOR,
      )
    }
    const noticeVersion = noticeVersionOf(services.charter)
    let batch: Record<string, unknown>[] = []
    let stored = 0
    const flush = async () => {
      const result = await services.events.ingest(batch, {
        actor: ACTOR,
        signals: { jurisdiction: 'UK' },
        declaredBasis: 'legitimate_interest',
        auditAction: 'events.imported',
      })
      stored += result.counts.stored
      batch = []
    }
    for (let copy = 0; copy < copies; copy++) {
      for (const [c, customer] of customers.entries()) {
        const ref = `${customer}-x${copy}`
        if (c % 3 !== 2) {
          const subjectId = await services.identity.ensureSubjectId(ref)
          await services.consent.recordChange(
            subjectId,
            PERSONAL,
            { decision: 'granted', method: 'import', noticeVersion },
            { jurisdiction: 'UK' },
            ACTOR,
          )
        }
        for (const k of rowsOf.get(customer)!) {
          batch.push({
            id: `order-${k}`,
            type: 'purchase',
            subject: ref,
            item: uci.items[k]!,
            timestamp: new Date(uci.times[k]! + shift).toISOString(),
          })
          if (batch.length >= BATCH) await flush()
        }
      }
      log(options, `  ${copies}x: copy ${copy + 1} of ${copies} loaded (${stored} events stored)`)
    }
    if (batch.length > 0) await flush()
  } finally {
    await runtime.close()
  }
}

/** Trains the database in `dir` in a child process of its own; resolves with what it reports. */
async function trainInChild(dir: string, tune: boolean): Promise<ScaleTraining> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(root, 'bench/fixtures/scale-train.ts')],
    {
      cwd: root,
      env: { ...envFor(dir), CANDOR_BENCH_TUNE: tune ? 'on' : 'off' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  let out = ''
  child.stdout.setEncoding('utf8')
  child.stdout.on('data', (chunk: string) => (out += chunk))
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  if (code !== 0) throw new Error(`the training child exited with ${code}: ${out.slice(-500)}`)
  return JSON.parse(out.trim().split('\n').at(-1)!) as ScaleTraining
}

/** Runs the benchmark; prints a table (or, with `json`, one JSON line) and answers the rows. */
export async function runScaleBench(options: ScaleOptions): Promise<ScaleRow[]> {
  if (!fs.existsSync(options.data)) {
    const message = `bench:quality --scale skipped: data file not found: ${options.data}`
    if (options.json)
      console.log(JSON.stringify({ benchmark: 'quality-scale', skipped: message, rows: [] }))
    else console.error(message)
    return []
  }
  const base = options.keep ?? fs.mkdtempSync(path.join(os.tmpdir(), 'candor-scale-'))
  const rows: ScaleRow[] = []
  try {
    for (const scale of options.scales) {
      const dir = path.join(base, `scale-${scale}`)
      const marker = path.join(dir, 'seeded.json')
      let seedSeconds = 0
      if (!fs.existsSync(marker)) {
        fs.rmSync(dir, { recursive: true, force: true })
        log(options, `${scale}x: loading ${scale} copies of UCI's customers into ${dir} ...`)
        const started = performance.now()
        await seed(options, dir, scale)
        seedSeconds = (performance.now() - started) / 1000
        fs.writeFileSync(marker, JSON.stringify({ scale, seedSeconds }))
      } else log(options, `${scale}x: reusing the database in ${dir}`)
      log(options, `${scale}x: training ...`)
      const t = await trainInChild(dir, options.tune !== false)
      rows.push({
        scale,
        trainEvents: t.events,
        shoppers: t.subjects,
        items: t.items,
        trainSeconds: t.wallSeconds,
        trainCpuSeconds: t.cpuSeconds,
        readSeconds: t.readSeconds,
        peakRssMB: Math.round(t.maxRssKB / 1024),
        tuned: t.tuned,
        seedSeconds,
      })
      log(options, `${scale}x: ${t.events} events, ${t.wallSeconds.toFixed(1)} s`)
    }
  } finally {
    if (options.keep === undefined) fs.rmSync(base, { recursive: true, force: true })
  }
  report(options, rows)
  return rows
}

function report(options: ScaleOptions, rows: ScaleRow[]): void {
  const first = rows.find((r) => r.scale === 1) ?? rows[0]
  // The goal: time grows at most linearly with the shop, from the smallest size, and under 2 GB.
  const goal = rows.map((r) => ({
    scale: r.scale,
    timeRatio:
      first === undefined ? null : r.trainSeconds / first.trainSeconds / (r.scale / first.scale),
    underTwoGB: r.peakRssMB < 2048,
  }))
  if (options.json) {
    console.log(
      JSON.stringify({
        benchmark: 'quality-scale',
        dataset: 'uci-online-retail',
        tune: options.tune !== false,
        rows,
        goal,
      }),
    )
    return
  }
  const header = [
    'scale',
    'train events',
    'shoppers',
    'train s',
    'train cpu s',
    'of which read s',
    'peak RSS MB',
    'time / linear',
  ]
  const table = rows.map((r, k) => [
    `${r.scale}x`,
    String(r.trainEvents),
    String(r.shoppers),
    r.trainSeconds.toFixed(1),
    r.trainCpuSeconds.toFixed(1),
    r.readSeconds.toFixed(1),
    String(r.peakRssMB),
    goal[k]!.timeRatio === null ? '' : goal[k]!.timeRatio.toFixed(2),
  ])
  const widths = header.map((h, k) => Math.max(h.length, ...table.map((r) => r[k]!.length)))
  const line = (cells: string[]) => cells.map((c, k) => c.padStart(widths[k]!)).join('  ')
  console.log(
    `bench:quality --scale  UCI Online Retail's customers cloned, SQLite, tuning ${options.tune === false ? 'off (--no-tune)' : 'on'}`,
  )
  console.log('')
  console.log(line(header))
  console.log(widths.map((w) => '-'.repeat(w)).join('  '))
  for (const r of table) console.log(line(r))
  console.log('')
  console.log(
    "goal: time / linear <= 1 (each size within scale x the smallest size's time), peak under 2048 MB: " +
      goal
        .map(
          (g) =>
            `${g.scale}x ${g.timeRatio !== null && g.timeRatio <= 1 ? 'time ok' : 'time MISSED'}, ${g.underTwoGB ? 'memory ok' : 'memory MISSED'}`,
        )
        .join('; '),
  )
}

/** `--scale 1,4,16` as sizes: positive integers, in the order given. */
export function parseScales(text: string): number[] {
  const scales = text.split(',').map((part) => Number(part.trim()))
  if (scales.length === 0 || scales.some((n) => !Number.isInteger(n) || n < 1))
    throw new Error(`--scale must be positive integers separated by commas, got "${text}"`)
  return scales
}
