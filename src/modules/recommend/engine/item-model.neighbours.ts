/**
 * The item model's neighbour lists (`item-model.ts`): W_ij = S_ij / (c_i^alpha * c_j^beta), the
 * `neighbours` largest per row, built from the statistics (`buildNeighbours`) or, after an erasure,
 * re-ranked only where they can have changed (`updateRows`). Both rank exactly as `selectTopK` does.
 */
import type { ItemModelParams } from './params.js'
import { QUANT, type SparseRows } from './item-model.stats.js'
import { binarySearch, selectTopK } from './top-k.js'

/** Neighbour lists: row i holds up to `neighbours` items, sorted by item index. */
export interface NeighbourRows {
  readonly ptr: Int32Array
  readonly cols: Int32Array
  readonly weights: Float32Array
}

/**
 * Neighbour row `i` from the statistics: the k largest W_ij (finite and above 0; equal ones to the
 * lower index, as `selectTopK` ranks), stored sorted by item index. `buf` is scratch of length
 * nItems or more, any content. The row's columns are sorted already, so the k largest are found by
 * a threshold (the k-th largest value) and one pass in column order, with no ranking of the row.
 */
function neighbourRow(
  co: SparseRows,
  norm: Degrees,
  params: ItemModelParams,
  i: number,
  buf: Float64Array,
): { cols: Int32Array; weights: Float32Array } {
  const lo = co.ptr[i]!
  const hi = co.ptr[i + 1]!
  const ci = norm.row[i]!
  let count = 0
  for (let p = lo; p < hi; p++) {
    const s = co.values[p]!
    const w = s > 0 ? s / QUANT / (ci * norm.col[co.cols[p]!]!) : 0
    const ok = w > 0 && Number.isFinite(w)
    buf[p - lo] = ok ? w : 0
    if (ok) count++
  }
  const k = params.neighbours
  // With more than k candidates: keep those above the k-th largest value, and as many equal to it
  // as fit, lowest items first.
  let threshold = 0
  let equalsLeft = Infinity
  if (count > k) {
    const positive = new Float64Array(count)
    for (let p = 0, at = 0; p < hi - lo; p++) if (buf[p]! > 0) positive[at++] = buf[p]!
    threshold = selectNth(positive, count - k)
    let above = 0
    for (let a = count - k + 1; a < count; a++) if (positive[a]! > threshold) above++
    equalsLeft = k - above
  }
  const size = Math.min(count, k)
  const cols = new Int32Array(size)
  const weights = new Float32Array(size)
  for (let p = lo, at = 0; p < hi && at < size; p++) {
    const w = buf[p - lo]!
    if (!(w > 0)) continue
    if (count > k && !(w > threshold)) {
      if (w < threshold || equalsLeft === 0) continue
      equalsLeft--
    }
    cols[at] = co.cols[p]!
    weights[at++] = w
  }
  return { cols, weights }
}

/**
 * Reorders `a` so that `a[n]` is the value a full ascending sort would put there, with nothing
 * larger before it and nothing smaller after it (Hoare's selection, median-of-three pivots): linear
 * on average where the sort is n log n. Returns `a[n]`.
 */
function selectNth(a: Float64Array, n: number): number {
  let lo = 0
  let hi = a.length - 1
  while (hi > lo) {
    const mid = (lo + hi) >>> 1
    // Median of three as the pivot value.
    const x = a[lo]!
    const y = a[mid]!
    const z = a[hi]!
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y
    let i = lo
    let j = hi
    while (i <= j) {
      while (a[i]! < pivot) i++
      while (a[j]! > pivot) j--
      if (i <= j) {
        const t = a[i]!
        a[i] = a[j]!
        a[j] = t
        i++
        j--
      }
    }
    if (n <= j) hi = j
    else if (n >= i) lo = i
    else break
  }
  return a[n]!
}

/** c_i^alpha and c_j^beta, computed once per build. */
interface Degrees {
  row: Float64Array
  col: Float64Array
}

function degrees(itemSubjects: Float64Array, params: ItemModelParams): Degrees {
  return {
    row: Float64Array.from(itemSubjects, (c) => Math.pow(c, params.alpha)),
    col: Float64Array.from(itemSubjects, (c) => Math.pow(c, params.beta)),
  }
}

/** One neighbour list per item, in item order, packed into compressed sparse rows. */
function packNeighbourRows(
  rows: readonly { cols: Int32Array; weights: Float32Array }[],
): NeighbourRows {
  const ptr = new Int32Array(rows.length + 1)
  rows.forEach((row, i) => {
    ptr[i + 1] = ptr[i]! + row.cols.length
  })
  const cols = new Int32Array(ptr[rows.length]!)
  const weights = new Float32Array(ptr[rows.length]!)
  rows.forEach((row, i) => {
    cols.set(row.cols, ptr[i])
    weights.set(row.weights, ptr[i])
  })
  return { ptr, cols, weights }
}

/** The neighbour lists of these statistics: every row ranked anew. */
export function buildNeighbours(
  co: SparseRows,
  itemSubjects: Float64Array,
  params: ItemModelParams,
): NeighbourRows {
  const n = itemSubjects.length
  const buf = new Float64Array(n)
  const norm = degrees(itemSubjects, params)
  const rows = []
  for (let i = 0; i < n; i++) {
    const row = neighbourRow(co, norm, params, i, buf)
    rows.push(row)
  }
  return packNeighbourRows(rows)
}

/**
 * Neighbour rows after the subject holding the sorted `removed` items left. Rows of removed items
 * are recomputed. Any other row i kept its S_ij and c_i; only W_ij for j in `removed` changed, and
 * they grew (c_j fell, beta >= 0). Every old top-k entry therefore still beats every item outside
 * the old top-k and `removed`, so the new top-k lies within those two sets: rank just them.
 */
export function updateRows(
  old: NeighbourRows,
  co: SparseRows,
  itemSubjects: Float64Array,
  params: ItemModelParams,
  removed: Int32Array,
): NeighbourRows {
  const n = itemSubjects.length
  const scratch = new Float64Array(n)
  const buf = new Float64Array(n)
  const norm = degrees(itemSubjects, params)
  const isRemoved = new Uint8Array(n)
  for (const i of removed) isRemoved[i] = 1
  const rows: { cols: Int32Array; weights: Float32Array }[] = []
  const candidates: number[] = []
  for (let i = 0; i < n; i++) {
    const oldCols = old.cols.subarray(old.ptr[i], old.ptr[i + 1])
    let row = { cols: oldCols, weights: old.weights.subarray(old.ptr[i], old.ptr[i + 1]) }
    if (isRemoved[i] === 1 || params.beta < 0) {
      row = neighbourRow(co, norm, params, i, buf)
    } else {
      candidates.length = 0
      for (const j of removed) {
        const p = binarySearch(co.cols, co.ptr[i]!, co.ptr[i + 1]!, j)
        if (p >= 0) candidates.push(j)
      }
      if (candidates.length > 0) {
        for (const j of oldCols) if (isRemoved[j] !== 1) candidates.push(j)
        const ci = norm.row[i]!
        for (const j of candidates) {
          const p = binarySearch(co.cols, co.ptr[i]!, co.ptr[i + 1]!, j)
          scratch[j] = co.values[p]! / QUANT / (ci * norm.col[j]!)
        }
        const top = selectTopK(scratch, params.neighbours, { candidates, floor: 0 }).sort()
        row = { cols: top, weights: Float32Array.from(top, (j) => scratch[j]!) }
        for (const j of candidates) scratch[j] = 0
      }
    }
    rows.push(row)
  }
  return packNeighbourRows(rows)
}
