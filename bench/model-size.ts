/**
 * `npm run bench:model-size`: how big the browser's serving model (`GET /v1/models/current`, engine
 * `serving-model.ts`) is on UCI Online Retail, and what each size costs in quality.
 *
 *   tsx bench/model-size.ts [--data FILE] [--neighbours 200,100,50,20,10] [--no-tune] [--json]
 *
 * Candor is trained as `bench:quality` trains it (fixed split at 2011-11-01, `trainShop` with
 * self-tuning on the train period); then for each neighbours-per-item k and weight precision (`f32`,
 * the model's own weights; `u8`, each row's weights in 255ths of its largest) the serving model is
 * built and encoded, its bytes and gzipped bytes counted, and the `personal` level scored from that
 * serving model alone (as the browser scores it) for every test customer: Recall@20, NDCG@10 and
 * new-item Recall@20, next to the full server model. `--json` prints one JSON line.
 */
import { existsSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { gzipSync } from 'node:zlib'
import { historyOf, type ItemModel, scorePersonal } from '../src/modules/recommend/engine/index.js'
import {
  encodeServingModel,
  type ServingPrecision,
  toServingModel,
} from '../src/modules/recommend/engine/serving-model.js'
import { trainShop } from '../src/modules/recommend/engine/tune.js'
import { loadUci } from './lib/data.js'
import { evaluate } from './lib/metrics.js'
import { splitAt, type Split } from './lib/split.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const { values: args } = parseArgs({
  options: {
    data: { type: 'string' },
    neighbours: { type: 'string', default: '200,100,50,30,20,10' },
    'no-tune': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
})

/** The budget the issue sets for UCI: 1 MB gzipped. */
const BUDGET_GZIP_BYTES = 1024 * 1024

interface SizeRow {
  model: string
  neighbours: number | null
  precision: ServingPrecision | null
  bytes: number | null
  gzipBytes: number | null
  recall20: number
  ndcg10: number
  newRecall20: number
}

function quality(split: Split, model: ItemModel, cutoff: number) {
  return evaluate(
    split,
    (test) => scorePersonal(model, historyOf(split.train, test.subject), { now: cutoff }).total,
  )
}

function main(): void {
  const file =
    args.data ??
    process.env.CANDOR_UCI_FILE ??
    resolve(root, '../shared/datasets/uci-online-retail/online_retail.csv.gz')
  if (!existsSync(file)) {
    console.error(`model-size: no UCI file at ${file} (--data FILE or CANDOR_UCI_FILE)`)
    process.exitCode = 1
    return
  }
  const cutoff = Date.parse('2011-11-01T00:00:00Z')
  const split = splitAt(loadUci(file), cutoff)
  const { model } = trainShop(split.train, { now: cutoff, tune: !args['no-tune'] })
  const full = quality(split, model, cutoff)
  const rows: SizeRow[] = [
    {
      model: 'server model',
      neighbours: model.params.neighbours,
      precision: null,
      bytes: null,
      gzipBytes: null,
      ...full,
    },
  ]
  const ks = args.neighbours.split(',').map(Number)
  for (const k of ks) {
    for (const precision of ['f32', 'u8'] as const) {
      const served = toServingModel(model, split.items.ids, { neighbours: k, precision })
      const bytes = encodeServingModel(served)
      const m = quality(split, served.model, cutoff)
      rows.push({
        model: `serving k=${k} ${precision}`,
        neighbours: k,
        precision,
        bytes: bytes.length,
        gzipBytes: gzipSync(bytes, { level: 9 }).length,
        recall20: m.recall20,
        ndcg10: m.ndcg10,
        newRecall20: m.newRecall20,
      })
    }
  }
  if (args.json) {
    console.log(
      JSON.stringify({
        benchmark: 'model-size',
        dataset: 'uci-online-retail',
        items: split.items.ids.length,
        trainedNeighbours: model.params.neighbours,
        budgetGzipBytes: BUDGET_GZIP_BYTES,
        rows,
      }),
    )
    return
  }
  const kb = (n: number | null) => (n === null ? '-' : `${(n / 1024).toFixed(0)} KB`)
  const header = ['model', 'bytes', 'gzipped', 'Recall@20', 'NDCG@10', 'new Recall@20']
  const table = rows.map((r) => [
    r.model,
    kb(r.bytes),
    kb(r.gzipBytes),
    r.recall20.toFixed(4),
    r.ndcg10.toFixed(4),
    r.newRecall20.toFixed(4),
  ])
  const widths = header.map((h, k) => Math.max(h.length, ...table.map((r) => r[k]!.length)))
  const line = (cells: string[]) =>
    cells.map((c, k) => (k === 0 ? c.padEnd(widths[k]!) : c.padStart(widths[k]!))).join('  ')
  console.log(
    `UCI Online Retail, ${split.items.ids.length} items, budget ${kb(BUDGET_GZIP_BYTES)} gzipped`,
  )
  console.log(line(header))
  console.log(widths.map((w) => '-'.repeat(w)).join('  '))
  for (const r of table) console.log(line(r))
}

main()
