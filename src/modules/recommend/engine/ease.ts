/**
 * The EASE component: a linear item-to-item model on the shop's most held items (Steck, "Embarrassingly
 * Shallow Autoencoders for Sparse Data", WWW 2019), a candidate that tuning keeps only where it ranks
 * the shop's own held-out period better. With G the Gram matrix of the modelled items,
 *
 *     P = (G + lambda I)^-1,   B_ij = -P_ij / P_jj  (zero diagonal)
 *
 * and a shopper's score of item j is sum over their modelled items i of h_i B_ij.
 *
 * G is read off the neighbour model's exact statistics: off the diagonal it is the co-occurrence S
 * (`ItemModel.cooccurrence`), on it the per-item sum of the same quantised contributions
 * (`ItemModel.selfOccurrence`). Both are integers, so the same statistics always give the same B, and
 * erasure (which updates them exactly) refits B from them: equal to retraining without the subject with
 * the same modelled items and lambda. The dense inverse costs M^3 for M modelled items (about 0.3 s
 * at 1,000), which is why M is bounded.
 */
import type { SparseRows } from './item-model.js'
import { binarySearch, selectTopK } from './top-k.js'

/** The trained component: which items it models and their weights. */
export interface EaseComponent {
  /** Modelled items, sorted by index (chosen at training: the most held items). */
  readonly items: Int32Array
  /** B over `items`, row-major M x M (row: the shopper's item, column: the scored item); empty when `rows` is set. */
  readonly weights: Float32Array
  /**
   * The browser's form (`serving-model.ts`): per modelled item (the order of `items`), its strongest
   * weights by size, columns as item indices sorted. Scores as the dense B when every non-zero weight
   * is kept.
   */
  readonly rows?: EaseRows
}

/** Sparse rows of B: row a (of `EaseComponent.items`) is `cols`/`weights` from ptr[a] to ptr[a + 1]. */
export interface EaseRows {
  readonly ptr: Int32Array
  readonly cols: Int32Array
  readonly weights: Float32Array
}

/**
 * sum_k x[xo + k] * y[yo + k] for k < len, with four accumulators: a single running sum is bound by
 * the latency of the add, and this loop is where the inverse spends its time.
 */
function dot(x: Float64Array, xo: number, y: Float64Array, yo: number, len: number): number {
  let s0 = 0
  let s1 = 0
  let s2 = 0
  let s3 = 0
  let k = 0
  for (; k + 3 < len; k += 4) {
    s0 += x[xo + k]! * y[yo + k]!
    s1 += x[xo + k + 1]! * y[yo + k + 1]!
    s2 += x[xo + k + 2]! * y[yo + k + 2]!
    s3 += x[xo + k + 3]! * y[yo + k + 3]!
  }
  for (; k < len; k++) s0 += x[xo + k]! * y[yo + k]!
  return s0 + s1 + s2 + s3
}

/**
 * Inverts a symmetric positive definite n x n matrix (row-major) by Cholesky; `a` is left as is.
 * Deterministic: the same input gives the same bits.
 */
export function invertSpd(a: Float64Array, n: number): Float64Array {
  // L (lower) with L L^T = A, in place in a copy.
  const l = Float64Array.from(a)
  for (let i = 0; i < n; i++) {
    const ri = i * n
    for (let j = 0; j <= i; j++) {
      const rj = j * n
      const sum = l[ri + j]! - dot(l, ri, l, rj, j)
      if (i === j) {
        if (!(sum > 0)) throw new RangeError(`matrix not positive definite at row ${i}`)
        l[ri + i] = Math.sqrt(sum)
      } else l[ri + j] = sum / l[rj + j]!
    }
    for (let j = i + 1; j < n; j++) l[ri + j] = 0
  }
  // U = L^-T, row by row: row j of U is column j of L^-1, by forward substitution (zero before j).
  const u = new Float64Array(n * n)
  const x = new Float64Array(n)
  for (let j = 0; j < n; j++) {
    x.fill(0)
    x[j] = 1 / l[j * n + j]!
    for (let i = j + 1; i < n; i++) {
      const ri = i * n
      x[i] = -dot(l, ri + j, x, j, i - j) / l[ri + i]!
    }
    u.set(x.subarray(j), j * n + j)
  }
  // A^-1 = L^-T L^-1 = U U^T: entry (i, j), i <= j, is the dot of rows i and j of U from column j.
  const inv = new Float64Array(n * n)
  for (let i = 0; i < n; i++) {
    const ri = i * n
    for (let j = i; j < n; j++) {
      const rj = j * n
      const sum = dot(u, ri + j, u, rj + j, n - j)
      inv[ri + j] = sum
      inv[rj + i] = sum
    }
  }
  return inv
}

/** The `count` items held by the most subjects (ties to the lower index), sorted by index. */
export function easeItemsOf(itemSubjects: Float64Array, count: number): Int32Array {
  return selectTopK(itemSubjects, Math.min(count, itemSubjects.length), { floor: 0 }).sort()
}

/**
 * Fits B on `items` from the statistics. lambda is `lambdaScale` times the mean diagonal of G over
 * the modelled items, so one grid of scales fits shops of any size and weighting. The statistics are
 * integers: divide by `quant` for their real values.
 */
export function fitEase(
  co: SparseRows,
  self: Float64Array,
  items: Int32Array,
  lambdaScale: number,
  quant: number,
): EaseComponent {
  const m = items.length
  const g = new Float64Array(m * m)
  let trace = 0
  for (let a = 0; a < m; a++) {
    const i = items[a]!
    const d = self[i]! / quant
    g[a * m + a] = d
    trace += d
    // Row i of S restricted to the modelled items: a merge of two sorted lists.
    let b = 0
    for (let p = co.ptr[i]!; p < co.ptr[i + 1]! && b < m; p++) {
      const j = co.cols[p]!
      while (b < m && items[b]! < j) b++
      if (b < m && items[b] === j) g[a * m + b] = co.values[p]! / quant
    }
  }
  const lambda = lambdaScale * (trace > 0 ? trace / m : 1)
  for (let a = 0; a < m; a++) g[a * m + a]! += lambda
  const p = m > 0 ? invertSpd(g, m) : g
  const weights = new Float32Array(m * m)
  for (let a = 0; a < m; a++)
    for (let b = 0; b < m; b++) if (a !== b) weights[a * m + b] = -p[a * m + b]! / p[b * m + b]!
  return { items, weights }
}

/**
 * A shopper's EASE score of the modelled items reached from `sources` (each weighing `sourceWeights`,
 * or 1), positive ones only, sparse and sorted by item: a negative score says "less likely than an
 * item the model knows nothing about", which the other parts of the score rank anyway.
 */
export function easeScores(
  ease: EaseComponent,
  sources: Int32Array,
  sourceWeights?: Float64Array,
): { items: Int32Array; values: Float64Array } {
  if (ease.rows !== undefined)
    return sparseEaseScores(ease.items, ease.rows, sources, sourceWeights)
  const { items, weights } = ease
  const m = items.length
  const row = new Float64Array(m)
  let any = false
  for (let k = 0; k < sources.length; k++) {
    const a = binarySearch(items, 0, m, sources[k]!)
    if (a < 0) continue
    any = true
    const h = sourceWeights?.[k] ?? 1
    const w = weights.subarray(a * m, a * m + m)
    for (let b = 0; b < m; b++) row[b]! += h * w[b]!
  }
  if (!any) return { items: new Int32Array(0), values: new Float64Array(0) }
  let n = 0
  for (let b = 0; b < m; b++) if (row[b]! > 0) n++
  const outItems = new Int32Array(n)
  const values = new Float64Array(n)
  n = 0
  for (let b = 0; b < m; b++)
    if (row[b]! > 0) {
      outItems[n] = items[b]!
      values[n++] = row[b]!
    }
  return { items: outItems, values }
}

/**
 * `easeScores` over sparse rows: each item's sum is taken in the same order (source by source), so with
 * every non-zero weight kept the values are the dense ones, bit for bit.
 */
function sparseEaseScores(
  items: Int32Array,
  rows: EaseRows,
  sources: Int32Array,
  sourceWeights?: Float64Array,
): { items: Int32Array; values: Float64Array } {
  const sums = new Map<number, number>()
  for (let k = 0; k < sources.length; k++) {
    const a = binarySearch(items, 0, items.length, sources[k]!)
    if (a < 0) continue
    const h = sourceWeights?.[k] ?? 1
    for (let p = rows.ptr[a]!; p < rows.ptr[a + 1]!; p++)
      sums.set(rows.cols[p]!, (sums.get(rows.cols[p]!) ?? 0) + h * rows.weights[p]!)
  }
  const out = Int32Array.from([...sums.keys()].filter((j) => sums.get(j)! > 0)).sort()
  return { items: out, values: Float64Array.from(out, (j) => sums.get(j)!) }
}

/** B_ij, or 0 when either item is not modelled (or, in sparse rows, the weight was not kept). */
export function easeWeight(ease: EaseComponent, i: number, j: number): number {
  const m = ease.items.length
  const a = binarySearch(ease.items, 0, m, i)
  if (ease.rows !== undefined) {
    const p = a < 0 ? -1 : binarySearch(ease.rows.cols, ease.rows.ptr[a]!, ease.rows.ptr[a + 1]!, j)
    return p < 0 ? 0 : ease.rows.weights[p]!
  }
  const b = binarySearch(ease.items, 0, m, j)
  return a < 0 || b < 0 ? 0 : ease.weights[a * m + b]!
}
