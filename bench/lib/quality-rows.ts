/**
 * The rows of `npm run bench:quality` (BENCHMARKS.md section 1) for one dataset: the references
 * (TopPop, RepeatFreq, ItemKNN cosine, tuned TIFU-KNN and EASE) and Candor's levels, each measured on
 * the same split, with a note per tuned model on what it chose. The protocol is described in
 * `bench/quality.ts`, which reads the datasets and prints these rows.
 */
import { historyOf, firstSeenTimes } from '../../src/modules/recommend/engine/interactions.js'
import { trainShop, type TuningReport } from '../../src/modules/recommend/engine/tune.js'
import {
  recommendNonPersonal,
  scorePersonal,
  scoreSession,
  tieBreaks,
} from '../../src/modules/recommend/engine/scoring.js'
import { buildBaskets } from './baskets.js'
import type { RawEvents } from './data.js'
import { easeBase, easeScores, trainEase, tuneEase } from './ease.js'
import { evaluate, type Scorer } from './metrics.js'
import { federatedBenchRows } from './federated.js'
import type { ItemModel } from '../../src/modules/recommend/engine/item-model.js'
import { cosineScores, itemPopularity, repeatFreqScores, trainCosine } from './references.js'
import { splitAt, type Split } from './split.js'
import {
  TIFU_DEFAULTS,
  tieBreakBase,
  tifuScores,
  trainTifu,
  tuneTifu,
  type TifuParams,
} from './tifu-knn.js'
import { isoDay, validationSplit, type Validation } from './validation.js'

export interface Row {
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

export interface Counts {
  events: number
  trainEvents: number
  trainPairs: number
  items: number
  trainCustomers: number
  testCustomers: number
}

/** What one dataset's run gives: its rows, and a line per tuned reference saying what it chose. */
export interface DatasetResult {
  counts: Counts
  rows: Row[]
  notes: string[]
  /** What Candor's training chose, and its figures on the held-out end of the train period. */
  tuning: TuningReport
}

export interface RunOptions {
  easeItems: number
  /** false: Candor with the documented defaults (`--no-tune`). */
  tune: boolean
  /** true: the federated rows too (`--federated`, lib/federated.ts). */
  federated?: boolean
}

/** Candor's rows and what its training chose. */
interface CandorResult {
  rows: Row[]
  tuning: TuningReport
  model: ItemModel
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

export function seconds(since: number): number {
  return (performance.now() - since) / 1000
}

export interface Timing {
  wall: number
  cpu: number
}

export function timed<T>(fn: () => T): [T, Timing] {
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
  return { rows, tuning: report, model }
}

/** One dataset under the protocol: split at `cutoff` (test period until `end`), every row. */
export function runDataset(
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
  const federated =
    options.federated === true ? federatedBenchRows(split, candor.model) : { rows: [], notes: [] }
  return {
    counts,
    rows: [...references.rows, ...candor.rows, ...federated.rows],
    notes: [...references.notes, candorNote(candor.tuning), ...federated.notes],
    tuning: candor.tuning,
  }
}
