/**
 * `npm run bench:quality`: recommendation quality under the fixed protocol of BENCHMARKS.md
 * section 1, references and Candor's levels in one run.
 *
 *   tsx bench/quality.ts [--data FILE | --interactions FILE] [--cutoff YYYY-MM-DD] [--end YYYY-MM-DD] [--json]
 *
 * `--end` limits the test period (a validation split: `--cutoff 2011-10-01 --end 2011-11-01`).
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
import { trainItemModel } from '../src/modules/recommend/engine/item-model.js'
import {
  recommendNonPersonal,
  scorePersonal,
  scoreSession,
  scorePopular,
} from '../src/modules/recommend/engine/scoring.js'
import { loadInteractionsCsv, loadUci, type RawEvents } from './lib/data.js'
import { evaluate, type Metrics, type Scorer } from './lib/metrics.js'
import { cosineScores, itemPopularity, repeatFreqScores, trainCosine } from './lib/references.js'
import { splitAt } from './lib/split.js'

interface Row {
  model: string
  recall20: number
  ndcg10: number
  hit10: number
  newRecall20: number
  trainSeconds: number
  /** CPU time of training (user + system): steadier than wall time on a shared machine. */
  trainCpuSeconds: number
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const { values: args } = parseArgs({
  options: {
    data: { type: 'string' },
    interactions: { type: 'string' },
    cutoff: { type: 'string' },
    end: { type: 'string' },
    json: { type: 'boolean', default: false },
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

function main(): void {
  const generic = args.interactions
  const file =
    generic ??
    args.data ??
    process.env.CANDOR_UCI_FILE ??
    resolve(root, '../shared/datasets/uci-online-retail/online_retail.csv.gz')
  const dataset = generic !== undefined ? generic : 'uci-online-retail'
  if (!existsSync(file)) {
    const message = `bench:quality skipped: data file not found: ${file}`
    if (args.json)
      console.log(JSON.stringify({ benchmark: 'quality', dataset, skipped: message, rows: [] }))
    else console.error(message)
    return
  }
  const tLoad = performance.now()
  const raw: RawEvents = generic !== undefined ? loadInteractionsCsv(file) : loadUci(file)
  let cutoff: number
  if (args.cutoff !== undefined) cutoff = parseDay(args.cutoff, '--cutoff')
  else if (generic === undefined) cutoff = parseDay('2011-11-01', '--cutoff')
  else {
    // Generic files without --cutoff: the UTC day of the 80th percentile event time.
    const sorted = [...raw.times].sort((a, b) => a - b)
    const t = sorted[Math.floor(sorted.length * 0.8)] ?? 0
    cutoff = Math.floor(t / 86_400_000) * 86_400_000
  }
  const end = args.end !== undefined ? parseDay(args.end, '--end') : Infinity
  const split = splitAt(raw, cutoff, end)
  const loadSeconds = seconds(tLoad)
  const { train, tests } = split
  const nItems = split.items.ids.length
  const counts = {
    events: raw.times.length,
    trainEvents: split.trainEvents,
    trainPairs: split.trainPairs,
    items: nItems,
    trainCustomers: split.subjects.ids.length,
    testCustomers: tests.length,
  }

  const rows: Row[] = []
  const run = (model: string, train: Timing, score: Scorer): Metrics => {
    const m = evaluate(split, score)
    rows.push({
      model,
      recall20: m.recall20,
      ndcg10: m.ndcg10,
      hit10: m.hit10,
      newRecall20: m.newRecall20,
      trainSeconds: train.wall,
      trainCpuSeconds: train.cpu,
    })
    return m
  }

  const [pop, popSeconds] = timed(() => itemPopularity(train))
  run('TopPop', popSeconds, () => pop)
  run('RepeatFreq', popSeconds, (test) => repeatFreqScores(train, pop, test.subject))
  const [cosine, cosineSeconds] = timed(() => trainCosine(train))
  run('ItemKNN cosine', cosineSeconds, (test) => cosineScores(cosine, train, pop, test.subject))

  const [model, modelSeconds] = timed(() => trainItemModel(train, { now: cutoff }))
  const personal =
    (params: Parameters<typeof scorePersonal>[2]['params']): Scorer =>
    (test) =>
      scorePersonal(model, historyOf(train, test.subject), {
        now: cutoff,
        ...(params ? { params } : {}),
      }).total
  run('candor-personal', modelSeconds, personal(undefined))
  run('candor-personal repeat only', modelSeconds, personal({ neighbourWeight: 0 }))
  run(
    'candor-personal neighbours only',
    modelSeconds,
    (test) =>
      scorePersonal(model, historyOf(train, test.subject), {
        now: cutoff,
        guards: { hiddenReasons: ['buy_again'] },
      }).total,
  )
  const popular = scorePopular(model)
  run('candor-session', modelSeconds, (test) => {
    const s = scoreSession(model, test.lastDayItems)
    for (let i = 0; i < s.length; i++) s[i]! += 1e-12 * popular[i]!
    return s
  })
  const offList = recommendNonPersonal(model, {
    limit: nItems,
    firstSeen: firstSeenTimes(train),
    now: cutoff,
  })
  const off = new Float64Array(nItems)
  offList.forEach((r, rank) => (off[r.item] = nItems - rank))
  run('candor-off', modelSeconds, () => off)

  if (args.json) {
    console.log(
      JSON.stringify({
        benchmark: 'quality',
        dataset,
        cutoff: new Date(cutoff).toISOString().slice(0, 10),
        ...(Number.isFinite(end) ? { end: new Date(end).toISOString().slice(0, 10) } : {}),
        counts,
        rows,
      }),
    )
    return
  }
  console.log(`bench:quality  dataset ${dataset}  (${file})`)
  console.log(
    `cutoff ${new Date(cutoff).toISOString().slice(0, 10)}` +
      (Number.isFinite(end)
        ? `, test period ends ${new Date(end).toISOString().slice(0, 10)}`
        : ''),
  )
  console.log(
    `events ${counts.events}  train events ${counts.trainEvents}  train pairs ${counts.trainPairs}  ` +
      `items ${counts.items}  train customers ${counts.trainCustomers}  test customers ${counts.testCustomers}` +
      `  (loaded in ${loadSeconds.toFixed(1)} s)`,
  )
  if (generic === undefined && args.cutoff === undefined && args.end === undefined) {
    const expected = { testCustomers: 1538, items: 3608, trainPairs: 220911 }
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

main()
