/**
 * `npm run bench:quality -- --federated`: every train customer simulated as a browser that
 * contributes to the item model only through locally differentially private reports (issue 22,
 * src/modules/federated/), at several epsilons per day; neighbours learned from those reports
 * alone, measured next to the central model in the same run.
 *
 * Simulation: a customer's browser contributes on each UTC day it is active in the train period
 * (a visit: the SDK runs only then), with the whole day's budget in one report (one report at
 * epsilon e beats r reports at e / r at these sizes: the noise per report grows as (r / e)^2). The
 * report is a pair drawn uniformly from the customer's `RECENT_ITEMS` most recent distinct items
 * up to that day (its local history), encoded by the same encoder the SDK uses, with a seeded
 * random source so that runs repeat. The server estimates every pair of train items from the
 * counts and keeps those `Z` standard deviations above 0.
 *
 * The federated model: the central model's scoring parameters, popularity and repeat propensity
 * (the serving model the browser fetches carries them), but co-occurrence, item degrees and
 * neighbours from the estimates only, and no EASE component (it is fitted from co-occurrence).
 */
import { historyOf } from '../../src/modules/recommend/engine/interactions.js'
import type { ItemModel } from '../../src/modules/recommend/engine/item-model.js'
import { buildNeighbours } from '../../src/modules/recommend/engine/item-model.neighbours.js'
import { federatedRows } from '../../src/modules/recommend/engine/federated.js'
import { scorePersonal } from '../../src/modules/recommend/engine/scoring.js'
import {
  createSketchCounts,
  estimateDeviation,
  estimatePairs,
  type SketchCounts,
} from '../../src/modules/federated/aggregate.js'
import {
  DEFAULT_SKETCH,
  bucketOfHashes,
  flipThreshold,
  itemHash,
  seededWords,
  type RandomWords,
} from '../../src/modules/federated/sketch.js'
import { evaluate, type Scorer } from './metrics.js'
import type { Row } from './quality-rows.js'
import { selectTopK } from '../../src/modules/recommend/engine/top-k.js'
import type { Split } from './split.js'

export const FEDERATED_EPSILONS = [2, 4, 8] as const
/** Populations simulated: UCI's customers, and 100 times as many browsers like them. */
const POPULATIONS = [1, 100] as const
const RECENT_ITEMS = 30
/** The pair domain: this many most held items. */
const DOMAIN_ITEMS = 300
const DAY = 86_400_000

/** The pair each customer's browser reports on each active day (item indices), before encoding. */
export function simulatedPairs(
  split: Split,
  random: RandomWords,
  options: { recent?: number; everyDay?: boolean; domain?: Uint8Array } = {},
): [number, number][] {
  const recentItems = options.recent ?? RECENT_ITEMS
  const { train } = split
  const out: [number, number][] = []
  const lastSeen = new Map<number, number>()
  for (let s = 0; s < train.nSubjects; s++) {
    lastSeen.clear()
    const lo = train.subjectPtr[s]!
    const hi = train.subjectPtr[s + 1]!
    for (let p = lo; p < hi; p++) {
      if (options.domain === undefined || options.domain[train.items[p]!] === 1)
        lastSeen.set(train.items[p]!, train.times[p]!)
      const day = Math.floor(train.times[p]! / DAY)
      const dayEnds = p + 1 === hi || Math.floor(train.times[p + 1]! / DAY) !== day
      if (!dayEnds || lastSeen.size < 2) continue
      const recent = [...lastSeen]
        .sort((x, y) => y[1] - x[1] || x[0] - y[0])
        .slice(0, recentItems)
        .map(([i]) => i)
      // Every day: the same local history reports on each day until the next visit or the cutoff.
      const next =
        p + 1 === hi ? Math.floor(split.cutoff / DAY) : Math.floor(train.times[p + 1]! / DAY)
      const days = options.everyDay === true ? Math.max(1, next - day) : 1
      for (let d = 0; d < days; d++) {
        const [u, v] = random(2)
        const a = u! % recent.length
        let b = v! % (recent.length - 1)
        if (b >= a) b++
        out.push([recent[a]!, recent[b]!])
      }
    }
  }
  return out
}

/** What the server learns at one epsilon: the kept pair estimates and the sketch's figures. */
export interface FederatedLearning {
  epsilon: number
  reports: number
  deviation: number
  pairs: { a: Int32Array; b: Int32Array; counts: Float64Array }
  seconds: { encode: number; estimate: number }
}

/**
 * The sketch counts that `reports` (item-index pairs, each in a uniformly drawn hash row) give at
 * `epsilon`, drawn from their exact distribution instead of encoding each report: a cell's one-bits
 * are its reports' bits, independent, one with probability 1 - p where the report's pair hashes to
 * the cell and p elsewhere, so ones = Binomial(hits, 1 - p) + Binomial(n_j - hits, p). Binomials
 * of fewer than 64 trials are summed exactly, larger ones drawn from their normal approximation
 * (n p > 200 here). The encoder itself is what sketch.test.ts checks.
 */
export function simulateCounts(
  ids: readonly string[],
  reports: readonly [number, number][],
  epsilon: number,
  random: RandomWords,
): SketchCounts {
  const { m, k } = DEFAULT_SKETCH
  const counts = createSketchCounts(DEFAULT_SKETCH, epsilon)
  const hashes = Array.from({ length: k }, (_, j) => Uint32Array.from(ids, (id) => itemHash(id, j)))
  const hits = new Float64Array(k * m)
  const rows = random(reports.length)
  for (let r = 0; r < reports.length; r++) {
    const [x, y] = reports[r]!
    const [lo, hi] = ids[x]! < ids[y]! ? [x, y] : [y, x]
    const j = rows[r]! >>> (32 - Math.log2(k))
    hits[j * m + bucketOfHashes(hashes[j]![lo]!, hashes[j]![hi]!, m)]!++
    counts.reports[j]!++
  }
  const p = flipThreshold(epsilon) / 2 ** 32
  const draw = binomialSampler(random)
  for (let j = 0; j < k; j++)
    for (let b = 0; b < m; b++) {
      const h = hits[j * m + b]!
      counts.ones[j * m + b] = draw(h, 1 - p) + draw(counts.reports[j]! - h, p)
    }
  return counts
}

function binomialSampler(random: RandomWords): (n: number, p: number) => number {
  const uniform = () => (random(1)[0]! + 0.5) / 2 ** 32
  return (n, p) => {
    if (n < 64) {
      let x = 0
      for (let t = 0; t < n; t++) if (uniform() < p) x++
      return x
    }
    const g = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform())
    return Math.min(n, Math.max(0, Math.round(n * p + g * Math.sqrt(n * p * (1 - p)))))
  }
}

/** What the browsers' reports at `epsilon` give the server: every pair of train items estimated. */
export function learnFederated(
  split: Split,
  pairs: readonly [number, number][],
  epsilon: number,
  random: RandomWords,
  z: number | undefined,
  domain?: Uint8Array,
): FederatedLearning {
  const ids = split.items.ids
  const t0 = performance.now()
  const counts = simulateCounts(ids, pairs, epsilon, random)
  const t1 = performance.now()
  const members =
    domain === undefined
      ? ids.map((_, i) => i)
      : ids.flatMap((_, i) => (domain[i] === 1 ? [i] : []))
  const local = estimatePairs(
    [counts],
    members.map((i) => ids[i]!),
    z,
  )
  const estimates = {
    a: Int32Array.from(local.a, (x) => members[x]!),
    b: Int32Array.from(local.b, (x) => members[x]!),
    counts: local.counts,
  }
  const t2 = performance.now()
  return {
    epsilon,
    reports: pairs.length,
    deviation: estimateDeviation(counts),
    pairs: estimates,
    seconds: { encode: (t1 - t0) / 1000, estimate: (t2 - t1) / 1000 },
  }
}

/**
 * The central model with its co-occurrence, degrees and neighbours replaced by those learned from
 * the reports (degrees: each item's estimated pair reports, at least 1), and no EASE component.
 */
export function federatedModel(central: ItemModel, learned: FederatedLearning): ItemModel {
  const n = central.nItems
  const cooccurrence = federatedRows({ ...learned.pairs, unit: 1 }, n)
  const { ease: _ease, ...rest } = central
  return {
    ...rest,
    cooccurrence,
    selfOccurrence: new Float64Array(n),
    neighbours: buildNeighbours(cooccurrence, central.itemSubjects, central.params),
  }
}

/** The pair domain the server publishes: its `size` most held items (popularity ships anyway). */
export function pairDomain(central: ItemModel, size = DOMAIN_ITEMS): Uint8Array {
  const domain = new Uint8Array(central.nItems)
  for (const i of selectTopK(central.itemSubjects, size)) domain[i] = 1
  return domain
}

/** How many reports the most reported pair has (no noise). */
function maxCount(pairs: readonly [number, number][]): number {
  let max = 0
  for (const c of exactLearning(pairs).pairs.counts) max = Math.max(max, c)
  return max
}

/** The exact pair counts of the reports (no noise): what the reports could teach at best. */
function exactLearning(pairs: readonly [number, number][]): FederatedLearning {
  const counts = new Map<number, number>()
  for (const [x, y] of pairs) {
    const key = Math.min(x, y) * 2 ** 21 + Math.max(x, y)
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  const keys = [...counts.keys()]
  return {
    epsilon: Infinity,
    reports: pairs.length,
    deviation: 0,
    pairs: {
      a: Int32Array.from(keys, (key) => Math.floor(key / 2 ** 21)),
      b: Int32Array.from(keys, (key) => key % 2 ** 21),
      counts: Float64Array.from(keys, (key) => counts.get(key)!),
    },
    seconds: { encode: 0, estimate: 0 },
  }
}

function row(split: Split, model: string, score: Scorer, seconds: number): Row {
  const m = evaluate(split, score)
  return {
    model,
    recall20: m.recall20,
    ndcg10: m.ndcg10,
    hit10: m.hit10,
    newRecall20: m.newRecall20,
    trainSeconds: seconds,
    trainCpuSeconds: seconds,
  }
}

/** A model's two rows: all of `personal`, and its neighbours alone (no "buy again"). */
function modelRows(split: Split, name: string, model: ItemModel, seconds: number): Row[] {
  const history = (s: number) => historyOf(split.train, s)
  const now = split.cutoff
  return [
    row(split, name, (t) => scorePersonal(model, history(t.subject), { now }).total, seconds),
    row(
      split,
      `${name} neighbours only`,
      (t) =>
        scorePersonal(model, history(t.subject), { now, guards: { hiddenReasons: ['buy_again'] } })
          .total,
      seconds,
    ),
  ]
}

/**
 * The federated rows: no neighbours at all (what the browser has without any contribution), the
 * reports' exact counts (no noise: the most these reports can teach), and each epsilon a day.
 */
export function federatedBenchRows(
  split: Split,
  central: ItemModel,
): { rows: Row[]; notes: string[] } {
  const random = seededWords(22)
  const none: FederatedLearning = { ...exactLearning([]), epsilon: 0 }
  const rows: Row[] = [
    ...modelRows(split, 'candor-federated no neighbours', federatedModel(central, none), 0),
  ]
  const notes: string[] = []
  for (const clients of POPULATIONS) {
    // `clients` times UCI's customers: each customer's browser simulated that many times over, with
    // its own random pairs (a shop that many times larger with the same kind of shoppers).
    const pairs = Array.from({ length: clients }, () => simulatedPairs(split, random)).flat()
    const suffix = clients === 1 ? '' : ` x${clients} clients`
    const learnings = [
      ...FEDERATED_EPSILONS.map((e) => learnFederated(split, pairs, e, random, undefined)),
      exactLearning(pairs),
    ]
    for (const l of learnings) {
      const name = Number.isFinite(l.epsilon)
        ? `candor-federated eps${l.epsilon}${suffix}`
        : `candor-federated exact counts${suffix}`
      const seconds = l.seconds.encode + l.seconds.estimate
      rows.push(...modelRows(split, name, federatedModel(central, l), seconds))
      notes.push(
        `${name}: ${l.reports} reports (one per browser and active day), estimate sd ` +
          `${l.deviation.toFixed(1)}, ${l.pairs.counts.length} pairs kept ` +
          `(the most reported pair: ${maxCount(pairs)} reports)`,
      )
    }
  }
  return { rows, notes }
}
