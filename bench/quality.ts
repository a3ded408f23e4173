/**
 * `npm run bench:quality`: recommendation quality under the fixed protocol of BENCHMARKS.md
 * section 1, references and Candor's levels in one run.
 *
 *   tsx bench/quality.ts [--data FILE | --interactions FILE | --synthetic [--preset NAME ...]]
 *                        [--cutoff YYYY-MM-DD] [--end YYYY-MM-DD] [--ease-items N] [--no-tune]
 *                        [--federated] [--json]
 *   tsx bench/quality.ts --scale 1,4,16 [--no-tune] [--keep DIR] [--json]: how training grows
 *                        with the shop (bench/scale.ts)
 *
 * Datasets:
 * - default: UCI Online Retail (`--data FILE`, or CANDOR_UCI_FILE, or ../shared/datasets), cutoff
 *   2011-11-01; without `--cutoff`/`--end` the counts are checked against the reference protocol.
 * - `--interactions FILE`: the generic `customer,item,timestamp[,basket]` CSV; without `--cutoff`
 *   the cutoff is the UTC day of the 80th percentile event time.
 * - `--synthetic`: every preset of bench/synthetic-shop.ts (or those named by `--preset`, which may
 *   be repeated), generated in memory; each cutoff is chosen as for a generic file (80th percentile
 *   day) and the test period runs to the end of the data. `--cutoff`/`--end` do not apply.
 * `--end` limits the test period (a validation split: `--cutoff 2011-10-01 --end 2011-11-01`).
 * `--json` prints one JSON line per dataset: `{"benchmark":"quality","dataset",..,"cutoff",..,
 * "counts",..,"rows":[..],"tuning":{..}}`; rows of tuned references carry `params` and
 * `tuneSeconds`, and `tuning` is Candor's tuning report (engine/tune.ts).
 *
 * Candor is trained as the server trains it: `trainShop` tunes on the last 10% (at least 7 days)
 * of the train period, then trains on all of it; its `trainSeconds` include the search.
 * `--no-tune` trains with the documented defaults instead.
 *
 * References: TopPop, RepeatFreq, ItemKNN cosine (all untuned), TIFU-KNN and EASE on the
 * `--ease-items` most popular items (default 1000). TIFU-KNN and EASE choose their parameters on
 * the last 10% (at least 7 days) of the TRAIN period by Recall@20, then refit on the whole train
 * period; the test period is never read while tuning. `trainSeconds` is the final fit alone (for
 * TIFU-KNN it includes finding the test customers' neighbours), `tuneSeconds` the search.
 * Session level protocol: the visitor's session is the set of items of the customer's last active
 * day before the cutoff, in time order; nothing else about the customer is used.
 * Off level: the default non-personal mix (popular, trending, new by first-seen time in train),
 * identical for every customer.
 * `--federated`: also the rows whose model names contain `federated`: every train customer as a
 * browser contributing locally differentially private pair reports at epsilon 2, 4 and 8 a day,
 * neighbours learned from those reports alone (lib/federated.ts).
 *
 * The rows (references, Candor's levels, tuning notes) are made in `lib/quality-rows.ts`; this file
 * reads the datasets and prints.
 */
import { existsSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { loadInteractionsCsv, loadUci, type RawEvents } from './lib/data.js'
import { type Counts, type Row, runDataset, seconds } from './lib/quality-rows.js'
import { isoDay } from './lib/validation.js'
import { parseScales, runScaleBench } from './scale.js'
import { findPreset, generateShop, SHOP_PRESETS, type ShopSpec } from './synthetic-shop.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const { values: args } = parseArgs({
  options: {
    data: { type: 'string' },
    interactions: { type: 'string' },
    synthetic: { type: 'boolean', default: false },
    preset: { type: 'string', multiple: true },
    cutoff: { type: 'string' },
    end: { type: 'string' },
    'ease-items': { type: 'string' },
    'no-tune': { type: 'boolean', default: false },
    federated: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    scale: { type: 'string' },
    keep: { type: 'string' },
  },
})

function parseDay(text: string, flag: string): number {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text))
    throw new Error(`${flag} must be YYYY-MM-DD, got "${text}"`)
  return Date.parse(`${text}T00:00:00Z`)
}

/** Generic files and synthetic shops: the UTC day of the 80th percentile event time. */
function defaultCutoff(raw: RawEvents): number {
  const sorted = Float64Array.from(raw.times).sort()
  const t = sorted[Math.floor(sorted.length * 0.8)] ?? 0
  return Math.floor(t / 86_400_000) * 86_400_000
}

/** A dataset to run: where it comes from, how to load it, its split. */
interface Dataset {
  name: string
  /** The file, or the preset's description. */
  source: string
  load: () => RawEvents
  /** Fixed cutoff, or undefined for the 80th percentile day of the loaded data. */
  cutoff: number | undefined
  end: number
  /** Expected counts (the UCI reference protocol). */
  expected?: Pick<Counts, 'testCustomers' | 'items' | 'trainPairs'>
}

function datasets(): Dataset[] | string {
  const end = args.end !== undefined ? parseDay(args.end, '--end') : Infinity
  const cutoff = args.cutoff !== undefined ? parseDay(args.cutoff, '--cutoff') : undefined
  if (args.synthetic) {
    if (args.data !== undefined || args.interactions !== undefined)
      throw new Error('--synthetic runs the presets; it does not take --data or --interactions')
    if (args.cutoff !== undefined || args.end !== undefined)
      throw new Error("--synthetic chooses each preset's cutoff; --cutoff and --end do not apply")
    const specs: ShopSpec[] = args.preset?.map(findPreset) ?? [...SHOP_PRESETS]
    return specs.map((spec) => ({
      name: `synthetic-${spec.name}`,
      source: spec.description,
      load: () => generateShop(spec),
      cutoff: undefined,
      end: Infinity,
    }))
  }
  if (args.preset !== undefined) throw new Error('--preset goes with --synthetic')
  const generic = args.interactions
  if (generic !== undefined) {
    if (!existsSync(generic)) return generic
    return [
      { name: generic, source: generic, load: () => loadInteractionsCsv(generic), cutoff, end },
    ]
  }
  const file =
    args.data ??
    process.env.CANDOR_UCI_FILE ??
    resolve(root, '../shared/datasets/uci-online-retail/online_retail.csv.gz')
  if (!existsSync(file)) return file
  return [
    {
      name: 'uci-online-retail',
      source: file,
      load: () => loadUci(file),
      cutoff: cutoff ?? parseDay('2011-11-01', '--cutoff'),
      end,
      ...(cutoff === undefined && args.end === undefined
        ? { expected: { testCustomers: 1538, items: 3608, trainPairs: 220911 } }
        : {}),
    },
  ]
}

function printTable(rows: Row[]): void {
  const header = [
    'model',
    'Recall@20',
    'NDCG@10',
    'Hit@10',
    'new Recall@20',
    'train s',
    'train cpu s',
  ]
  const table = rows.map((r) => [
    r.model,
    r.recall20.toFixed(4),
    r.ndcg10.toFixed(4),
    r.hit10.toFixed(4),
    r.newRecall20.toFixed(4),
    r.trainSeconds.toFixed(2),
    r.trainCpuSeconds.toFixed(2),
  ])
  const widths = header.map((h, k) => Math.max(h.length, ...table.map((r) => r[k]!.length)))
  const line = (cells: string[]): string =>
    cells.map((c, k) => (k === 0 ? c.padEnd(widths[k]!) : c.padStart(widths[k]!))).join('  ')
  console.log(line(header))
  console.log(widths.map((w) => '-'.repeat(w)).join('  '))
  for (const r of table) console.log(line(r))
}

/** Recall@20 / new-item Recall@20 of every model on every dataset, side by side. */
function printSummary(results: { name: string; rows: Row[] }[]): void {
  const models = results[0]?.rows.map((r) => r.model) ?? []
  const header = ['Recall@20 / new', ...results.map((r) => r.name.replace(/^synthetic-/, ''))]
  const table = models.map((model) => [
    model,
    ...results.map((res) => {
      const r = res.rows.find((x) => x.model === model)
      return r ? `${r.recall20.toFixed(3)} / ${r.newRecall20.toFixed(3)}` : '-'
    }),
  ])
  const widths = header.map((h, k) => Math.max(h.length, ...table.map((r) => r[k]!.length)))
  const line = (cells: string[]): string =>
    cells.map((c, k) => (k === 0 ? c.padEnd(widths[k]!) : c.padStart(widths[k]!))).join('  ')
  console.log(line(header))
  console.log(widths.map((w) => '-'.repeat(w)).join('  '))
  for (const r of table) console.log(line(r))
}

/** `--scale`: how training grows with the shop (bench/scale.ts). */
function runScale(scale: string): void {
  runScaleBench({
    scales: parseScales(scale),
    data:
      args.data ??
      process.env.CANDOR_UCI_FILE ??
      resolve(root, '../shared/datasets/uci-online-retail/online_retail.csv.gz'),
    json: args.json,
    tune: !args['no-tune'],
    ...(args.keep === undefined ? {} : { keep: args.keep }),
  }).catch((error: unknown) => {
    console.error(error)
    process.exitCode = 1
  })
}

/** The data file is absent: says so (a JSON line with `--json`) and runs nothing. */
function reportSkipped(file: string): void {
  const message = `bench:quality skipped: data file not found: ${file}`
  const dataset = args.interactions ?? 'uci-online-retail'
  if (args.json)
    console.log(JSON.stringify({ benchmark: 'quality', dataset, skipped: message, rows: [] }))
  else console.error(message)
}

/** One dataset's result as text: what was run, the counts (checked when expected), rows and notes. */
function printDataset(
  dataset: Dataset,
  cutoff: number,
  result: { counts: Counts; rows: Row[]; notes: string[] },
  time: { tStart: number; loadSeconds: number },
): void {
  const { counts, rows, notes } = result
  const end = dataset.end
  console.log(`bench:quality  dataset ${dataset.name}  (${dataset.source})`)
  console.log(
    `cutoff ${isoDay(cutoff)}` + (Number.isFinite(end) ? `, test period ends ${isoDay(end)}` : ''),
  )
  console.log(
    `events ${counts.events}  train events ${counts.trainEvents}  train pairs ${counts.trainPairs}  ` +
      `items ${counts.items}  train customers ${counts.trainCustomers}  test customers ${counts.testCustomers}` +
      `  (loaded in ${time.loadSeconds.toFixed(1)} s, all rows in ${seconds(time.tStart).toFixed(1)} s)`,
  )
  const expected = dataset.expected
  if (expected !== undefined) {
    const ok =
      counts.testCustomers === expected.testCustomers &&
      counts.items === expected.items &&
      counts.trainPairs === expected.trainPairs
    console.log(
      ok
        ? 'counts match the reference protocol'
        : `counts DIFFER from the reference ${JSON.stringify(expected)}`,
    )
  }
  console.log('')
  printTable(rows)
  for (const note of notes) console.log(note)
}

function main(): void {
  if (args.scale !== undefined) {
    runScale(args.scale)
    return
  }
  const easeItems = Number(args['ease-items'] ?? 1000)
  if (!Number.isInteger(easeItems) || easeItems < 1)
    throw new Error(`--ease-items must be a positive integer, got "${args['ease-items']}"`)
  const list = datasets()
  if (typeof list === 'string') {
    reportSkipped(list)
    return
  }
  const results: { name: string; rows: Row[] }[] = []
  for (const dataset of list) {
    const tStart = performance.now()
    const raw = dataset.load()
    const cutoff = dataset.cutoff ?? defaultCutoff(raw)
    const loadSeconds = seconds(tStart)
    const result = runDataset(raw, cutoff, dataset.end, {
      easeItems,
      tune: !args['no-tune'],
      federated: args.federated,
    })
    const { counts, rows, tuning } = result
    results.push({ name: dataset.name, rows })
    const end = dataset.end
    if (args.json) {
      console.log(
        JSON.stringify({
          benchmark: 'quality',
          dataset: dataset.name,
          cutoff: isoDay(cutoff),
          ...(Number.isFinite(end) ? { end: isoDay(end) } : {}),
          counts,
          rows,
          tuning,
        }),
      )
      continue
    }
    if (results.length > 1) console.log('')
    printDataset(dataset, cutoff, result, { tStart, loadSeconds })
  }
  if (!args.json && results.length > 1) {
    console.log('')
    printSummary(results)
  }
}

main()
