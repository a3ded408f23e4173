/**
 * Ranking metrics of BENCHMARKS.md section 1, averaged over test customers: Recall@20 (denominator
 * min(20, |test|)), NDCG@10 with binary gain, HitRate@10, and new-item Recall@20 (the customer's
 * train items removed from both the ranking and the test set; customers without new test items
 * skipped).
 */
import type { Split, TestCase } from './split.js'

export interface Metrics {
  recall20: number
  ndcg10: number
  hit10: number
  newRecall20: number
  customers: number
  newCustomers: number
}

/** Indices of the `k` highest scores, best first; ties go to the lower index; masked items skipped. */
export function topK(scores: Float64Array, k: number, skip?: Uint8Array): Int32Array {
  const idx: number[] = []
  const val: number[] = []
  for (let i = 0; i < scores.length; i++) {
    if (skip !== undefined && skip[i] === 1) continue
    const v = scores[i]!
    if (idx.length === k && v <= val[k - 1]!) continue
    let pos = idx.length === k ? k - 1 : idx.length
    if (idx.length < k) {
      idx.push(i)
      val.push(v)
    }
    while (pos > 0 && val[pos - 1]! < v) {
      idx[pos] = idx[pos - 1]!
      val[pos] = val[pos - 1]!
      pos--
    }
    idx[pos] = i
    val[pos] = v
  }
  return Int32Array.from(idx)
}

/** Scores every train item for one test customer (higher is better). */
export type Scorer = (test: TestCase) => Float64Array

export function evaluate(split: Split, score: Scorer): Metrics {
  const nItems = split.items.ids.length
  const inTest = new Uint8Array(nItems)
  const inTrain = new Uint8Array(nItems)
  let recall = 0
  let ndcg = 0
  let hit = 0
  let newRecall = 0
  let newCustomers = 0
  const idcg: number[] = [0]
  for (let k = 0; k < 10; k++) idcg.push(idcg[k]! + 1 / Math.log2(k + 2))
  const { train } = split
  for (const test of split.tests) {
    const scores = score(test)
    for (const i of test.items) inTest[i] = 1
    const lo = train.subjectPtr[test.subject]!
    const hi = train.subjectPtr[test.subject + 1]!
    for (let p = lo; p < hi; p++) inTrain[train.items[p]!] = 1

    const top = topK(scores, 20)
    let hits20 = 0
    let dcg = 0
    let hits10 = 0
    for (let r = 0; r < top.length; r++) {
      if (inTest[top[r]!] !== 1) continue
      hits20++
      if (r < 10) {
        hits10++
        dcg += 1 / Math.log2(r + 2)
      }
    }
    recall += hits20 / Math.min(20, test.items.length)
    ndcg += dcg / idcg[Math.min(10, test.items.length)]!
    hit += hits10 > 0 ? 1 : 0

    let nNew = 0
    for (const i of test.items) if (inTrain[i] !== 1) nNew++
    if (nNew > 0) {
      const topNew = topK(scores, 20, inTrain)
      let h = 0
      for (const i of topNew) if (inTest[i] === 1) h++
      newRecall += h / Math.min(20, nNew)
      newCustomers++
    }
    for (const i of test.items) inTest[i] = 0
    for (let p = lo; p < hi; p++) inTrain[train.items[p]!] = 0
  }
  const n = split.tests.length
  return {
    recall20: recall / n,
    ndcg10: ndcg / n,
    hit10: hit / n,
    newRecall20: newCustomers > 0 ? newRecall / newCustomers : 0,
    customers: n,
    newCustomers,
  }
}

/** A model's scores for the few items it scores for one customer; every other item keeps a base. */
export interface SparseScores {
  /** Distinct item indices. */
  items: ArrayLike<number>
  /** The full score of each of `items` (base included). */
  scores: ArrayLike<number>
}

export type SparseScorer = (test: TestCase) => SparseScores

/**
 * Recall@20 exactly as `evaluate` computes it (same tie-break: higher score, then lower index), for
 * scores equal to `base` except on the items the scorer returns. The items outside can only enter
 * the top 20 as the 20 best of `base` among them, so a customer costs the size of its sparse part
 * instead of the catalog: what makes a parameter search on a 50k-item catalog affordable.
 */
export function recall20Sparse(split: Split, base: Float64Array, score: SparseScorer): number {
  const nItems = split.items.ids.length
  const baseOrder = Int32Array.from({ length: nItems }, (_, i) => i).sort(
    (a, b) => base[b]! - base[a]! || a - b,
  )
  const stamp = new Int32Array(nItems).fill(-1)
  const inTest = new Int32Array(nItems).fill(-1)
  const topIdx = new Int32Array(20)
  const topVal = new Float64Array(20)
  let recall = 0
  split.tests.forEach((test, t) => {
    let size = 0
    const offer = (i: number, v: number): void => {
      if (size === 20 && (v < topVal[19]! || (v === topVal[19] && i > topIdx[19]!))) return
      let pos = size < 20 ? size++ : 19
      while (pos > 0 && (topVal[pos - 1]! < v || (topVal[pos - 1] === v && topIdx[pos - 1]! > i))) {
        topIdx[pos] = topIdx[pos - 1]!
        topVal[pos] = topVal[pos - 1]!
        pos--
      }
      topIdx[pos] = i
      topVal[pos] = v
    }
    const { items, scores } = score(test)
    for (let k = 0; k < items.length; k++) {
      stamp[items[k]!] = t
      offer(items[k]!, scores[k]!)
    }
    for (let k = 0, taken = 0; k < nItems && taken < 20; k++) {
      const i = baseOrder[k]!
      if (stamp[i] === t) continue
      offer(i, base[i]!)
      taken++
    }
    for (const i of test.items) inTest[i] = t
    let hits = 0
    for (let r = 0; r < size; r++) if (inTest[topIdx[r]!] === t) hits++
    recall += hits / Math.min(20, test.items.length)
  })
  return recall / split.tests.length
}
