/**
 * The held-out end of a shop's training data and how well a ranking does on it: what `tune.ts`
 * measures every candidate with. The split reads nothing after `now`; the metrics are those of
 * BENCHMARKS.md section 1 (Recall@20, NDCG@10, new-item Recall@20).
 */
import { createHistory, firstSeenTimes, type History, type Interactions } from './interactions.js'
import { binarySearch, type ItemModel } from './item-model.js'
import type { PersonalParams, SessionParams } from './params.js'
import {
  recommendNonPersonal,
  scorePersonal,
  scoreSession,
  tieBreaks,
  type Recommendation,
} from './scoring.js'
import { selectTopK } from './top-k.js'

const DAY_MS = 86_400_000
/** Shoppers with a purchase in the held-out period needed to tune; fewer and the defaults are used. */
export const MIN_VALIDATION_SHOPPERS = 20
/** Held-out shoppers evaluated per candidate at most (an even sample of them beyond that). */
const MAX_EVALUATED_SHOPPERS = 1500
/** Subjects whose histories build the tuning models at most (an even sample beyond that). */
const MAX_TUNING_SUBJECTS = 20_000
export const K = 20

/** Where and how long the held-out period is (see `TuneOptions`). */
export interface HoldoutOptions {
  /** Training time (ms): nothing after it is read. */
  readonly now: number
  /** Items that must never be model input (special categories): mask, 1 = excluded. */
  readonly excluded?: Uint8Array
  /** Share of the training span held out for validation (default 0.1). */
  readonly holdoutFraction?: number
  /** The held-out period is at least this many days (default 7). */
  readonly holdoutMinDays?: number
  /** When each item was first listed (ms, NaN unknown), for the `off` level's new arrivals. */
  readonly firstSeen?: Float64Array
}

/** Ranking quality on the held-out period, averaged over its shoppers (BENCHMARKS.md's metrics). */
export interface LevelFigures {
  readonly recall20: number
  readonly ndcg10: number
  readonly newRecall20: number
}

/** One held-out shopper. */
export interface Shopper {
  readonly subject: number
  /** Their events before the held-out period. */
  readonly history: History
  /** Distinct items of `history`, as a mask-friendly list. */
  readonly had: Int32Array
  /** Distinct items bought in the held-out period (known before it), sorted. */
  readonly targets: Int32Array
  /** Targets not in `had`. */
  readonly newTargets: number
  /** Items of their last active day before the held-out period, in time order (the `session`). */
  readonly session: Int32Array
}

export interface Holdout {
  readonly from: number
  readonly until: number
  readonly train: Interactions
  readonly trainEvents: number
  readonly shoppers: readonly Shopper[]
  readonly firstSeen: Float64Array
}

/**
 * The held-out split, or why there is none. Subjects beyond `MAX_TUNING_SUBJECTS` are sampled
 * evenly (by index), so tuning a large shop costs about as much as tuning a mid-sized one.
 */
export function holdOut(x: Interactions, options: HoldoutOptions): Holdout | string {
  const { now } = options
  const from = heldOutFrom(x, options)
  if (typeof from === 'string') return from
  const stride = Math.ceil(x.nSubjects / MAX_TUNING_SUBJECTS)
  const { train, anyPurchase } = trainingPart(x, from, now, stride)
  const all = heldOutShoppers(x, train, from, now, stride, anyPurchase, options.excluded)
  if (all.length < MIN_VALIDATION_SHOPPERS)
    return `too little to validate: ${all.length} shoppers bought in the held-out period, at least ${MIN_VALIDATION_SHOPPERS} are needed`
  const step = all.length / Math.min(all.length, MAX_EVALUATED_SHOPPERS)
  const shoppers = Array.from(
    { length: Math.min(all.length, MAX_EVALUATED_SHOPPERS) },
    (_, k) => all[Math.floor(k * step)]!,
  )
  // New arrivals as of `from`: first seen in the held-out training data, or listed by then.
  const firstSeen = firstSeenTimes(train)
  if (options.firstSeen !== undefined)
    options.firstSeen.forEach((t, i) => {
      if (t <= from && !(firstSeen[i]! <= t)) firstSeen[i] = t
    })
  return { from, until: now, train, trainEvents: train.items.length, shoppers, firstSeen }
}

/** Where the held-out period starts (ms), or why the training events cannot hold one out. */
function heldOutFrom(x: Interactions, options: HoldoutOptions): number | string {
  const { now } = options
  let tMin = Infinity
  let tMax = -Infinity
  for (const t of x.times) {
    if (!(t <= now)) continue
    if (t < tMin) tMin = t
    if (t > tMax) tMax = t
  }
  if (!(tMax > tMin)) return 'no training events to validate on'
  const hold = Math.max(
    (options.holdoutFraction ?? 0.1) * (tMax - tMin),
    (options.holdoutMinDays ?? 7) * DAY_MS,
  )
  const from = tMax - hold
  if (!(from > tMin)) return 'the training events span less than the held-out period'
  return from
}

/**
 * The events before `from` of every `stride`-th subject (the tuning models' input, subject indices
 * unchanged), and whether the held-out period records any purchase (weight 1).
 */
function trainingPart(
  x: Interactions,
  from: number,
  now: number,
  stride: number,
): { train: Interactions; anyPurchase: boolean } {
  const subjectPtr = new Int32Array(x.nSubjects + 1)
  const keep: number[] = []
  let anyPurchase = false
  for (let s = 0; s < x.nSubjects; s++) {
    let kept = 0
    for (let p = x.subjectPtr[s]!; p < x.subjectPtr[s + 1]!; p++) {
      const t = x.times[p]!
      if (t < from && s % stride === 0) {
        keep.push(p)
        kept++
      } else if (t >= from && t <= now && x.weights[p]! >= 1) anyPurchase = true
    }
    subjectPtr[s + 1] = subjectPtr[s]! + kept
  }
  const train: Interactions = {
    nSubjects: x.nSubjects,
    nItems: x.nItems,
    subjectPtr,
    items: Int32Array.from(keep, (p) => x.items[p]!),
    times: Float64Array.from(keep, (p) => x.times[p]!),
    weights: Float32Array.from(keep, (p) => x.weights[p]!),
  }
  return { train, anyPurchase }
}

/**
 * Every sampled subject with history before `from` who has targets in the held-out period: items
 * the training part knows that they bought there (purchases where the shop records them, else any
 * event that shows interest).
 */
function heldOutShoppers(
  x: Interactions,
  train: Interactions,
  from: number,
  now: number,
  stride: number,
  anyPurchase: boolean,
  excluded: Uint8Array | undefined,
): Shopper[] {
  const known = new Uint8Array(x.nItems)
  for (let e = 0; e < train.items.length; e++)
    if (train.weights[e]! > 0 && excluded?.[train.items[e]!] !== 1) known[train.items[e]!] = 1
  // Targets are purchases where the shop records them (weight 1), else any event that shows interest.
  const isTarget = (w: number): boolean => (anyPurchase ? w >= 1 : w > 0)
  const all: Shopper[] = []
  for (let s = 0; s < x.nSubjects; s += stride) {
    const lo = train.subjectPtr[s]!
    const hi = train.subjectPtr[s + 1]!
    if (hi === lo) continue
    const targets = new Set<number>()
    for (let p = x.subjectPtr[s]!; p < x.subjectPtr[s + 1]!; p++) {
      const t = x.times[p]!
      const i = x.items[p]!
      if (t >= from && t <= now && isTarget(x.weights[p]!) && known[i] === 1) targets.add(i)
    }
    if (targets.size === 0) continue
    const history = createHistory(
      train.items.subarray(lo, hi),
      train.times.subarray(lo, hi),
      train.weights.subarray(lo, hi),
    )
    all.push(shopperOf(s, history, targets))
  }
  return all
}

/** One held-out shopper from their history before the period and their targets in it. */
function shopperOf(subject: number, history: History, targets: Set<number>): Shopper {
  const had = Int32Array.from(new Set(history.items))
  const hadSet = new Set(had)
  const lastDay = Math.floor(history.times[history.times.length - 1]! / DAY_MS)
  const session: number[] = []
  for (let p = 0; p < history.items.length; p++)
    if (Math.floor(history.times[p]! / DAY_MS) === lastDay) session.push(history.items[p]!)
  return {
    subject,
    history,
    had,
    targets: Int32Array.from(targets).sort(),
    newTargets: [...targets].filter((i) => !hadSet.has(i)).length,
    session: Int32Array.from(new Set(session)),
  }
}

/** Running averages of the metrics over shoppers. */
export class Tally {
  private recall = 0
  private ndcg = 0
  private newRecall = 0
  private n = 0
  private nNew = 0
  private readonly each: number[] = []

  /** `top` best first; `topNew` the best items the shopper has not had (when they have new targets). */
  add(shopper: Shopper, top: ArrayLike<number>, topNew?: ArrayLike<number>): void {
    const { targets } = shopper
    const isTarget = (i: number): boolean => binarySearch(targets, 0, targets.length, i) >= 0
    let hits = 0
    let dcg = 0
    for (let r = 0; r < top.length && r < K; r++) {
      if (!isTarget(top[r]!)) continue
      hits++
      if (r < 10) dcg += 1 / Math.log2(r + 2)
    }
    let idcg = 0
    for (let r = 0; r < Math.min(10, targets.length); r++) idcg += 1 / Math.log2(r + 2)
    const recall = hits / Math.min(K, targets.length)
    this.recall += recall
    this.each.push(recall)
    this.ndcg += dcg / idcg
    this.n++
    if (topNew !== undefined && shopper.newTargets > 0) {
      let h = 0
      for (let r = 0; r < topNew.length && r < K; r++) if (isTarget(topNew[r]!)) h++
      this.newRecall += h / Math.min(K, shopper.newTargets)
      this.nNew++
    }
  }

  /** Each shopper's Recall@20, in the order they were added. */
  recalls(): Float64Array {
    return Float64Array.from(this.each)
  }

  figures(): LevelFigures {
    return {
      recall20: this.n > 0 ? this.recall / this.n : 0,
      ndcg10: this.n > 0 ? this.ndcg / this.n : 0,
      newRecall20: this.nNew > 0 ? this.newRecall / this.nNew : 0,
    }
  }
}

/**
 * Whether per-shopper Recall@20 `a` beats `b` (the same shoppers, in the same order) by more than the
 * noise of the held-out period: the mean paired difference above one standard error of it. The
 * "one standard error rule" (Hastie, Tibshirani and Friedman, The Elements of Statistical Learning,
 * section 7.10): a more complex model is kept only when its gain is larger than the estimate's error.
 */
export function clearlyBetter(a: Float64Array, b: Float64Array): boolean {
  const n = a.length
  if (n < 2 || b.length !== n) return false
  let sum = 0
  for (let i = 0; i < n; i++) sum += a[i]! - b[i]!
  const mean = sum / n
  let squares = 0
  for (let i = 0; i < n; i++) squares += (a[i]! - b[i]! - mean) ** 2
  return mean > Math.sqrt(squares / (n - 1) / n)
}

/** Better by Recall@20, then NDCG@10. */
export function better(a: LevelFigures, b: LevelFigures | undefined): boolean {
  return (
    b === undefined || a.recall20 > b.recall20 || (a.recall20 === b.recall20 && a.ndcg10 > b.ndcg10)
  )
}

/** The top K of a dense score vector, and the top K among the items the shopper has not had. */
export function topOf(
  scores: Float64Array,
  had: Int32Array,
): { top: Int32Array; topNew: Int32Array } {
  const top = selectTopK(scores, K)
  const skip = new Uint8Array(scores.length)
  for (const i of had) skip[i] = 1
  return { top, topNew: selectTopK(scores, K, { skip }) }
}

/** Exact figures of the personal level as served (`scorePersonal`) with `params`. */
export function personalFigures(
  model: ItemModel,
  h: Holdout,
  params: PersonalParams,
  excluded: Uint8Array | undefined,
): LevelFigures {
  const tally = new Tally()
  const guards = excluded === undefined ? undefined : { excluded }
  for (const s of h.shoppers) {
    const { total } = scorePersonal(model, s.history, {
      now: h.from,
      params,
      ...(guards === undefined ? {} : { guards }),
    })
    const { top, topNew } = topOf(total, s.had)
    tally.add(s, top, topNew)
  }
  return tally.figures()
}

/** The held-out `off` answer (the same for everyone), best first. */
export function offAnswer(
  model: ItemModel,
  h: Holdout,
  excluded: Uint8Array | undefined,
): Recommendation[] {
  return recommendNonPersonal(model, {
    limit: model.nItems,
    firstSeen: h.firstSeen,
    now: h.from,
    ...(excluded === undefined ? {} : { guards: { excluded } }),
  })
}

export function offFigures(off: Recommendation[], h: Holdout): LevelFigures {
  const tally = new Tally()
  const order = Int32Array.from(off, (r) => r.item)
  for (const s of h.shoppers) {
    const had = new Set(s.had)
    const topNew = order.filter((i) => !had.has(i)).subarray(0, K)
    tally.add(s, order.subarray(0, K), topNew)
  }
  return tally.figures()
}

export function sessionFigures(
  model: ItemModel,
  h: Holdout,
  params: SessionParams,
  off: Recommendation[],
  excluded: Uint8Array | undefined,
): LevelFigures {
  const tally = new Tally()
  for (const s of h.shoppers) {
    const scores = scoreSession(model, s.session, {
      params,
      off,
      ...(excluded === undefined ? {} : { guards: { excluded } }),
    })
    const ties = tieBreaks(model)
    for (let i = 0; i < scores.length; i++) scores[i]! += ties[i]!
    const { top, topNew } = topOf(scores, s.had)
    tally.add(s, top, topNew)
  }
  return tally.figures()
}
