/**
 * `npm run bench:quality`: recommendation quality under the fixed protocol of BENCHMARKS.md
 * section 1, references and Candor's levels in one run.
 *
 *   tsx bench/quality.ts [--data FILE | --interactions FILE | --synthetic [--preset NAME ...]]
 *                        [--cutoff YYYY-MM-DD] [--end YYYY-MM-DD] [--ease-items N] [--no-tune]
 *                        [--json]
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
 */
import { existsSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { historyOf, firstSeenTimes } from '../src/modules/recommend/engine/interactions.js'
import { trainShop, type TuningReport } from '../src/modules/recommend/engine/tune.js'
import {
  recommendNonPersonal,
  scorePersonal,
  scoreSession,
  tieBreaks,
} from '../src/modules/recommend/engine/scoring.js'
import { buildBaskets } from './lib/baskets.js'
import { loadInteractionsCsv, loadUci, type RawEvents } from './lib/data.js'
import { easeBase, easeScores, trainEase, tuneEase } from './lib/ease.js'
import { evaluate, type Scorer } from './lib/metrics.js'
import { cosineScores, itemPopularity, repeatFreqScores, trainCosine } from './lib/references.js'
import { splitAt, type Split } from './lib/split.js'
import {
  TIFU_DEFAULTS,
  tieBreakBase,
  tifuScores,
  trainTifu,
  tuneTifu,
  type TifuParams,
} from './lib/tifu-knn.js'
import { isoDay, validationSplit, type Validation } from './lib/validation.js'
import { parseScales, runScaleBench } from './scale.js'
import { findPreset, generateShop, SHOP_PRESETS, type ShopSpec } from './synthetic-shop.js'

interface Row {
  model: string
  recall20: number
  ndcg10: number
  hit10: number
  newRecall20: number
  trainSeconds: number
  /** CPU time of training (user + system): steadier than wall time on a shared machine. */
  trainCpuSeconds: number
  /** Parameters chosen on the validation split (tuned references only). */
  params?: Record<string, number>
  /** Wall time of the parameter search, not included in `trainSeconds`. */
  tuneSeconds?: number
}

interface Counts {
  events: number
  trainEvents: number
  trainPairs: number
  items: number
  trainCustomers: number
  testCustomers: number
}

/** What one dataset's run gives: its rows, and a line per tuned reference saying what it chose. */
interface DatasetResult {
  counts: Counts
  rows: Row[]
  notes: string[]
  /** What Candor's training chose, and its figures on the held-out end of the train period. */
  tuning: TuningReport
}

interface RunOptions {
  easeItems: number
  /** false: Candor with the documented defaults (`--no-tune`). */
  tune: boolean
}

/** Candor's rows and what its training chose. */
interface CandorResult {
  rows: Row[]
  tuning: TuningReport
}

/** One line on what Candor's self-tuning chose, for the notes under the table. */
function candorNote(report: TuningReport): string {
  if (!report.tuned) return `candor: not tuned (${report.note ?? 'defaults'})`
  const v = report.validation!
  const f = report.figures!
  const fig = (x: { recall20: number; newRecall20: number }): string =>
    `${x.recall20.toFixed(4)}/${x.newRecall20.toFixed(4)}`
  return (
    `candor: tuned on ${isoDay(v.from)}..${isoDay(v.until)} (${v.shoppers} shoppers, ` +
    `${report.candidates} candidates); validation R@20/new R@20 personal ${fig(f.personal)}, ` +
    `TopPop ${fig(f.topPop)}, RepeatFreq ${fig(f.repeatFreq)}, session ${fig(f.session)}, ` +
    `off ${fig(f.off)}; params ${JSON.stringify(report.params)}`
  )
}

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

function seconds(since: number): number {
  return (performance.now() - since) / 1000
}

interface Timing {
  wall: number
  cpu: number
}

function timed<T>(fn: () => T): [T, Timing] {
  const wall = performance.now()
  const cpu = process.cpuUsage()
  const result = fn()
  const used = process.cpuUsage(cpu)
  return [result, { wall: seconds(wall), cpu: (used.user + used.system) / 1e6 }]
}

/** Scores every test customer with `score` and makes the row. */
function measure(
  split: Split,
  model: string,
  train: Timing,
  score: Scorer,
  extra: Pick<Row, 'params' | 'tuneSeconds'> = {},
): Row {
  const m = evaluate(split, score)
  return {
    model,
    recall20: m.recall20,
    ndcg10: m.ndcg10,
    hit10: m.hit10,
    newRecall20: m.newRecall20,
    trainSeconds: train.wall,
    trainCpuSeconds: train.cpu,
    ...extra,
  }
}

/** Generic files and synthetic shops: the UTC day of the 80th percentile event time. */
function defaultCutoff(raw: RawEvents): number {
  const sorted = Float64Array.from(raw.times).sort()
  const t = sorted[Math.floor(sorted.length * 0.8)] ?? 0
  return Math.floor(t / 86_400_000) * 86_400_000
}

function formatParams(params: Record<string, number>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')
}

/** TopPop, RepeatFreq, ItemKNN cosine, and the tuned TIFU-KNN and EASE. */
function referenceRows(
  raw: RawEvents,
  split: Split,
  options: RunOptions,
): Pick<DatasetResult, 'rows' | 'notes'> {
  const { train } = split
  const [pop, popSeconds] = timed(() => itemPopularity(train))
  const [cosine, cosineSeconds] = timed(() => trainCosine(train))
  // The tuned references read the train period only: rows before split.cutoff.
  const validation = validationSplit(raw, split.cutoff)
  const tifu = tifuReference(raw, split, validation, pop)
  const ease = easeReference(split, validation, pop, options.easeItems)
  return {
    rows: [
      measure(split, 'TopPop', popSeconds, () => pop),
      measure(split, 'RepeatFreq', popSeconds, (t) => repeatFreqScores(train, pop, t.subject)),
      measure(split, 'ItemKNN cosine', cosineSeconds, (t) =>
        cosineScores(cosine, train, pop, t.subject),
      ),
      tifu.row,
      ease.row,
    ],
    notes: [tifu.note, ease.note],
  }
}

/** What a tuned reference gives: its row, and a line on what it chose and where. */
interface TunedReference {
  row: Row
  note: string
}

function tuningNote(
  model: string,
  validation: Validation | undefined,
  search: { candidates: number; recall20: number; seconds: number } | undefined,
  params: Record<string, number>,
): string {
  const where =
    validation === undefined || search === undefined
      ? 'not tuned (no customers in the validation period), defaults'
      : `tuned on ${isoDay(validation.cutoff)}..${isoDay(validation.end)} ` +
        `(${validation.split.tests.length} customers), ${search.candidates} candidates in ` +
        `${search.seconds.toFixed(1)} s, validation Recall@20 ${search.recall20.toFixed(4)}`
  return `${model} ${where}: ${formatParams(params)}`
}

/** TIFU-KNN: search on the validation split, refit on the train period. */
function tifuReference(
  raw: RawEvents,
  split: Split,
  validation: Validation | undefined,
  pop: Float64Array,
): TunedReference {
  const [search, searchTime] = timed(
    () =>
      validation &&
      tuneTifu(
        validation.split,
        buildBaskets(validation.raw, validation.split),
        itemPopularity(validation.split.train),
      ),
  )
  const params: TifuParams = search?.params ?? TIFU_DEFAULTS
  // Training includes finding the neighbours of the customers to be scored.
  const [model, trainTime] = timed(() =>
    trainTifu(
      buildBaskets(raw, split),
      split.items.ids.length,
      params,
      split.tests.map((t) => t.subject),
    ),
  )
  const base = tieBreakBase(pop)
  const row = measure(
    split,
    'TIFU-KNN',
    trainTime,
    (t) => tifuScores(model.vectors, t.subject, model.means.get(t.subject)!, params.alpha, base),
    { params: { ...params }, tuneSeconds: searchTime.wall },
  )
  const note = tuningNote(
    'TIFU-KNN',
    validation,
    search && { ...search, seconds: searchTime.wall },
    { ...params },
  )
  return { row, note }
}

/** EASE on the `items` most popular items: lambda searched on the validation split. */
function easeReference(
  split: Split,
  validation: Validation | undefined,
  pop: Float64Array,
  items: number,
): TunedReference {
  const [search, searchTime] = timed(
    () => validation && tuneEase(validation.split, itemPopularity(validation.split.train), items),
  )
  const lambda = search?.lambda ?? 200
  const [model, trainTime] = timed(() => trainEase(split.train, pop, lambda, items))
  const base = easeBase(model, pop)
  const params = { lambda, items: model.columns.length }
  const row = measure(
    split,
    'EASE',
    trainTime,
    (t) => easeScores(model, split.train, base, t.subject),
    { params, tuneSeconds: searchTime.wall },
  )
  const note = tuningNote(
    'EASE',
    validation,
    search && { ...search, seconds: searchTime.wall },
    params,
  )
  return { row, note }
}

/**
 * Candor's levels, trained as the server trains them: `trainShop` tunes on the end of the train
 * period (the test period is never in `train`) unless `tune` is false, then trains on all of it.
 */
function candorRows(split: Split, cutoff: number, tune: boolean): CandorResult {
  const { train } = split
  const nItems = split.items.ids.length
  const rows: Row[] = []
  // Self-tuning holds out the end of the train period (never the test period: `train` ends at the cutoff).
  const [trained, modelSeconds] = timed(() => trainShop(train, { now: cutoff, tune }))
  const { model, report } = trained
  const personal =
    (params: Parameters<typeof scorePersonal>[2]['params']): Scorer =>
    (test) =>
      scorePersonal(model, historyOf(train, test.subject), {
        now: cutoff,
        ...(params ? { params } : {}),
      }).total
  rows.push(measure(split, 'candor-personal', modelSeconds, personal(undefined)))
  rows.push(
    measure(split, 'candor-personal repeat only', modelSeconds, personal({ otherWeight: 0 })),
  )
  rows.push(
    measure(
      split,
      'candor-personal neighbours only',
      modelSeconds,
      (test) =>
        scorePersonal(model, historyOf(train, test.subject), {
          now: cutoff,
          guards: { hiddenReasons: ['buy_again'] },
        }).total,
    ),
  )
  const offList = recommendNonPersonal(model, {
    limit: nItems,
    firstSeen: firstSeenTimes(train),
    now: cutoff,
  })
  const ties = tieBreaks(model)
  rows.push(
    measure(split, 'candor-session', modelSeconds, (test) => {
      const s = scoreSession(model, test.lastDayItems, { off: offList })
      for (let i = 0; i < s.length; i++) s[i]! += ties[i]!
      return s
    }),
  )
  const off = new Float64Array(nItems)
  offList.forEach((r, rank) => (off[r.item] = nItems - rank))
  rows.push(measure(split, 'candor-off', modelSeconds, () => off))
  return { rows, tuning: report }
}

/** One dataset under the protocol: split at `cutoff` (test period until `end`), every row. */
function runDataset(
  raw: RawEvents,
  cutoff: number,
  end: number,
  options: RunOptions,
): DatasetResult {
  const split = splitAt(raw, cutoff, end)
  const counts: Counts = {
    events: raw.times.length,
    trainEvents: split.trainEvents,
    trainPairs: split.trainPairs,
    items: split.items.ids.length,
    trainCustomers: split.subjects.ids.length,
    testCustomers: split.tests.length,
  }
  const references = referenceRows(raw, split, options)
  const candor = candorRows(split, cutoff, options.tune)
  return {
    counts,
    rows: [...references.rows, ...candor.rows],
    notes: [...references.notes, candorNote(candor.tuning)],
    tuning: candor.tuning,
  }
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

function main(): void {
  if (args.scale !== undefined) {
    runScaleBench({
      scales: parseScales(args.scale),
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
    return
  }
  const easeItems = Number(args['ease-items'] ?? 1000)
  if (!Number.isInteger(easeItems) || easeItems < 1)
    throw new Error(`--ease-items must be a positive integer, got "${args['ease-items']}"`)
  const list = datasets()
  if (typeof list === 'string') {
    const message = `bench:quality skipped: data file not found: ${list}`
    const dataset = args.interactions ?? 'uci-online-retail'
    if (args.json)
      console.log(JSON.stringify({ benchmark: 'quality', dataset, skipped: message, rows: [] }))
    else console.error(message)
    return
  }
  const results: { name: string; rows: Row[] }[] = []
  for (const dataset of list) {
    const tStart = performance.now()
    const raw = dataset.load()
    const cutoff = dataset.cutoff ?? defaultCutoff(raw)
    const loadSeconds = seconds(tStart)
    const { counts, rows, notes, tuning } = runDataset(raw, cutoff, dataset.end, {
      easeItems,
      tune: !args['no-tune'],
    })
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
    console.log(`bench:quality  dataset ${dataset.name}  (${dataset.source})`)
    console.log(
      `cutoff ${isoDay(cutoff)}` +
        (Number.isFinite(end) ? `, test period ends ${isoDay(end)}` : ''),
    )
    console.log(
      `events ${counts.events}  train events ${counts.trainEvents}  train pairs ${counts.trainPairs}  ` +
        `items ${counts.items}  train customers ${counts.trainCustomers}  test customers ${counts.testCustomers}` +
        `  (loaded in ${loadSeconds.toFixed(1)} s, all rows in ${seconds(tStart).toFixed(1)} s)`,
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
  if (!args.json && results.length > 1) {
    console.log('')
    printSummary(results)
  }
}

main()
