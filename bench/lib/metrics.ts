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
