/**
 * The server side of the count-mean sketch (`sketch.ts`): reports added up into per-(row, bucket)
 * counts of one-bits, and unbiased estimates of how many reports carried each item pair.
 *
 * For the reports of hash row j, T[j][b] = sum of x_b with x = (c/2) * v + 1/2, v the report's
 * +-1 bits and c = (e^(eps/2) + 1) / (e^(eps/2) - 1); from the counts, T[j][b] =
 * (c/2) * (2 * ones[j][b] - n_j) + n_j / 2. The estimate of pair d is
 *
 *     f(d) = m / (m - 1) * (sum over j of T[j][h_j(d)] - n / m)
 *
 * (Apple's estimator, with its k-fold scaling and 1/k averaging cancelled). It is unbiased: a report
 * of d adds 1 in expectation, any other report 1/m (a hash collision), which the n/m term and the
 * m/(m-1) factor remove. Its standard deviation is about sqrt(n * ((c^2 - 1)/4 + 1/m)) * m/(m-1).
 */
import {
  assertSketchShape,
  bucketOfHashes,
  itemHash,
  type SketchReport,
  type SketchShape,
} from './sketch.js'

/** The counts of one sketch (one shape, one epsilon): plain arrays, so they can be stored and merged. */
export interface SketchCounts {
  readonly shape: SketchShape
  readonly epsilon: number
  /** Per row j and bucket b, at j * m + b: reports of row j whose bit b is one. */
  readonly ones: Float64Array
  /** Per row j: reports of row j. */
  readonly reports: Float64Array
}

/** Empty counts for reports made at `epsilon` with this shape. */
export function createSketchCounts(shape: SketchShape, epsilon: number): SketchCounts {
  assertSketchShape(shape)
  return {
    shape,
    epsilon,
    ones: new Float64Array(shape.k * shape.m),
    reports: new Float64Array(shape.k),
  }
}

/** Adds one report (made at the counts' epsilon and shape) to the counts, in place. */
export function addReport(counts: SketchCounts, report: SketchReport): void {
  const { m } = counts.shape
  const base = report.row * m
  const bits = report.bits
  for (let byte = 0; byte < bits.length; byte++) {
    const v = bits[byte]!
    if (v === 0) continue
    for (let bit = 0; bit < 8; bit++) if ((v >>> bit) & 1) counts.ones[base + (byte << 3) + bit]!++
  }
  counts.reports[report.row]!++
}

/** c = (e^(eps/2) + 1) / (e^(eps/2) - 1): how much a kept bit is scaled up to undo the flipping. */
export function debiasFactor(epsilon: number): number {
  const e = Math.exp(epsilon / 2)
  return (e + 1) / (e - 1)
}

/** T[j][b] of the header, for every row and bucket. */
function rowSums(counts: SketchCounts): Float64Array {
  const { m, k } = counts.shape
  const half = debiasFactor(counts.epsilon) / 2
  const t = new Float64Array(k * m)
  for (let j = 0; j < k; j++) {
    const n = counts.reports[j]!
    for (let b = 0; b < m; b++) t[j * m + b] = half * (2 * counts.ones[j * m + b]! - n) + n / 2
  }
  return t
}

function totalReports(counts: SketchCounts): number {
  let n = 0
  for (const r of counts.reports) n += r
  return n
}

/** The estimate's standard deviation for these counts (the header's approximation). */
export function estimateDeviation(counts: SketchCounts): number {
  const { m } = counts.shape
  const c = debiasFactor(counts.epsilon)
  return Math.sqrt(totalReports(counts) * ((c * c - 1) / 4 + 1 / m)) * (m / (m - 1))
}

/** The unbiased estimate of how many reports carried the pair {a, b}. */
export function estimatePair(counts: SketchCounts, a: string, b: string): number {
  const { m, k } = counts.shape
  const [lo, hi] = a < b ? [a, b] : [b, a]
  const t = rowSums(counts)
  let sum = 0
  for (let j = 0; j < k; j++) sum += t[j * m + bucketOfHashes(itemHash(lo, j), itemHash(hi, j), m)]!
  return (m / (m - 1)) * (sum - totalReports(counts) / m)
}

/** Estimated pair counts kept by `estimatePairs`: item indices (a < b) and the estimate. */
export interface PairEstimates {
  readonly a: Int32Array
  readonly b: Int32Array
  readonly counts: Float64Array
}

/**
 * Estimates every pair of `itemIds` from one or more sketches (their estimates add: each is
 * unbiased) and keeps those at least `z` standard deviations above 0: a sparse result where the
 * full one would be n^2/2 mostly-noise numbers. By default z = sqrt(2 ln P) for the P pairs, the
 * Gaussian tail bound at which pure noise passes about once in all of them. Indices are into `itemIds`. Vectorised per hash
 * row: each item is hashed once per row, then one pass per item over the items after it
 * (n^2 k / 2 steps; about a second for 3,600 items and 16 rows).
 */
export function estimatePairs(
  sketches: readonly SketchCounts[],
  itemIds: readonly string[],
  z?: number,
): PairEstimates {
  const n = itemIds.length
  const zFloor = z ?? Math.sqrt(2 * Math.log(Math.max(2, (n * (n - 1)) / 2)))
  // Items in string order, so that "lower id first" is "lower position first".
  const order = Int32Array.from(itemIds.keys()).sort((x, y) =>
    itemIds[x]! < itemIds[y]! ? -1 : itemIds[x]! > itemIds[y]! ? 1 : 0,
  )
  let variance = 0
  for (const s of sketches) variance += estimateDeviation(s) ** 2
  const floor = zFloor * Math.sqrt(variance)
  const prepared = sketches.map((s) => ({
    s,
    t: rowSums(s),
    offset: totalReports(s) / s.shape.m,
    scale: s.shape.m / (s.shape.m - 1),
    hashes: Array.from({ length: s.shape.k }, (_, j) =>
      Uint32Array.from(order, (i) => itemHash(itemIds[i]!, j)),
    ),
  }))
  const acc = new Float64Array(n)
  const outA: number[] = []
  const outB: number[] = []
  const outC: number[] = []
  for (let p = 0; p < n; p++) {
    acc.fill(0, p + 1)
    for (const { s, t, offset, scale, hashes } of prepared) {
      const { m, k } = s.shape
      for (let j = 0; j < k; j++) {
        const h = hashes[j]!
        const hp = h[p]!
        const base = j * m
        for (let q = p + 1; q < n; q++) acc[q]! += scale * t[base + bucketOfHashes(hp, h[q]!, m)]!
      }
      for (let q = p + 1; q < n; q++) acc[q]! -= scale * offset
    }
    for (let q = p + 1; q < n; q++) {
      if (!(acc[q]! >= floor)) continue
      const x = order[p]!
      const y = order[q]!
      outA.push(Math.min(x, y))
      outB.push(Math.max(x, y))
      outC.push(acc[q]!)
    }
  }
  return { a: Int32Array.from(outA), b: Int32Array.from(outB), counts: Float64Array.from(outC) }
}
