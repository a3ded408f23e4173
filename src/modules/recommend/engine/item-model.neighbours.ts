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

/** A neighbour row as built: columns sorted by item, weights beside them. */
interface Row {
  cols: Int32Array
  weights: Float32Array
}

/**
 * Neighbour rows after the subject holding the sorted `removed` items left. Rows of removed items
 * are recomputed. Any other row i kept its S_ij and c_i; only W_ij for j in `removed` changed, and
 * they grew (c_j fell, beta >= 0). Every old top-k entry therefore still beats every item outside
 * the old top-k and `removed`, so the new top-k lies within those two sets.
 *
 * Proportional to the subject's items and their rows in S, not to the model: the rows to visit are
 * found from the removed items' own rows of S (it is symmetric: j is in row i when i is in row j),
 * and a visited row whose old top-k still holds (no removed item outside it now beats its weakest
 * entry) only has the grown weights rewritten; the others are ranked again among the old top-k and
 * the removed items. Rows nobody touched are block copies. With beta < 0 the removed items' weights
 * fall instead, so each visited row is ranked again in full.
 */
export function updateRows(
  old: NeighbourRows,
  co: SparseRows,
  itemSubjects: Float64Array,
  params: ItemModelParams,
  removed: Int32Array,
): NeighbourRows {
  const n = itemSubjects.length
  const buf = new Float64Array(n)
  const norm = degrees(itemSubjects, params)
  const isRemoved = new Uint8Array(n)
  for (const i of removed) isRemoved[i] = 1
  const hits = rowsTouched(co, removed, isRemoved, n)
  const changed = new Map<number, Row>()
  for (const i of removed) changed.set(i, neighbourRow(co, norm, params, i, buf))
  for (let i = 0; i < n; i++) {
    if (hits.ptr[i] === hits.ptr[i + 1]) continue
    const row =
      params.beta < 0
        ? neighbourRow(co, norm, params, i, buf)
        : grownRow(old, co, norm, params, i, hits.cols.subarray(hits.ptr[i], hits.ptr[i + 1]), buf)
    changed.set(i, row)
  }
  return replaceRows(old, n, changed)
}

/**
 * For every row i not removed, the removed items j with S_ij > 0, read off the removed items' own
 * rows (compressed sparse rows by i).
 */
function rowsTouched(
  co: SparseRows,
  removed: Int32Array,
  isRemoved: Uint8Array,
  n: number,
): { ptr: Int32Array; cols: Int32Array } {
  const ptr = new Int32Array(n + 1)
  for (const j of removed)
    for (let p = co.ptr[j]!; p < co.ptr[j + 1]!; p++) {
      const i = co.cols[p]!
      if (isRemoved[i] === 0) ptr[i + 1]!++
    }
  for (let i = 0; i < n; i++) ptr[i + 1]! += ptr[i]!
  const fill = ptr.slice(0, n)
  const cols = new Int32Array(ptr[n]!)
  // Removed items in increasing order, so each row's list is sorted.
  for (const j of removed)
    for (let p = co.ptr[j]!; p < co.ptr[j + 1]!; p++) {
      const i = co.cols[p]!
      if (isRemoved[i] === 0) cols[fill[i]!++] = j
    }
  return { ptr, cols }
}

/**
 * Row i (not removed) after the removed items `grown` (those in row i of S) gained weight: the old
 * top-k with their weights rewritten when no grown item outside it now beats its weakest entry, else
 * ranked again among the old top-k and the grown items.
 */
function grownRow(
  old: NeighbourRows,
  co: SparseRows,
  norm: Degrees,
  params: ItemModelParams,
  i: number,
  grown: Int32Array,
  scratch: Float64Array,
): Row {
  // scratch: exact weights by item, written before they are read (stale entries are never read).
  const lo = old.ptr[i]!
  const hi = old.ptr[i + 1]!
  const cols = old.cols.subarray(lo, hi)
  const ci = norm.row[i]!
  const w = (j: number) => {
    const p = binarySearch(co.cols, co.ptr[i]!, co.ptr[i + 1]!, j)
    return co.values[p]! / QUANT / (ci * norm.col[j]!)
  }
  const weights = old.weights.slice(lo, hi)
  const isGrown = new Uint8Array(hi - lo)
  const outside: number[] = []
  for (const j of grown) {
    const value = w(j)
    const a = binarySearch(cols, 0, cols.length, j)
    if (a >= 0) {
      weights[a] = value
      isGrown[a] = 1
      scratch[j] = value
    } else if (value > 0 && Number.isFinite(value)) outside.push(j)
  }
  if (outside.length === 0) return { cols, weights }
  if (cols.length === params.neighbours) {
    const weakest = weakestOf(cols, weights, isGrown, scratch, w)
    if (outside.every((j) => !before(w(j), j, weakest.value, weakest.item)))
      return { cols, weights }
  }
  // Ranked again among the old top-k and the grown items outside it.
  const candidates = [...cols, ...outside]
  for (const j of candidates) scratch[j] = w(j)
  const top = selectTopK(scratch, params.neighbours, { candidates, floor: 0 }).sort()
  return { cols: top, weights: Float32Array.from(top, (j) => scratch[j]!) }
}

/** True when (a, va) ranks before (b, vb), as `selectTopK` ranks: higher value, then lower index. */
function before(va: number, a: number, vb: number, b: number): boolean {
  return va > vb || (va === vb && a < b)
}

/**
 * The entry of a full old top-k that ranks last once the grown items have their new weights (exact
 * values in `scratch`). For the others only the stored float32
 * weights are at hand; rounding to float32 keeps order (never reverses it), so the weakest of them is
 * among those with the smallest stored weight, whose exact values are computed again (`w`).
 */
function weakestOf(
  cols: Int32Array,
  weights: Float32Array,
  isGrown: Uint8Array,
  scratch: Float64Array,
  w: (j: number) => number,
): { value: number; item: number } {
  let least = Infinity
  for (let a = 0; a < cols.length; a++)
    if (isGrown[a] === 0 && weights[a]! < least) least = weights[a]!
  let value = Infinity
  let item = -1
  for (let a = 0; a < cols.length; a++) {
    const j = cols[a]!
    let v: number
    if (isGrown[a] === 1) v = scratch[j]!
    else if (weights[a] === least) v = w(j)
    else continue
    if (item < 0 || before(value, item, v, j)) {
      value = v
      item = j
    }
  }
  return { value, item }
}

/** `old` with the rows in `changed` replaced; the runs of rows between them are block copies. */
function replaceRows(old: NeighbourRows, n: number, changed: Map<number, Row>): NeighbourRows {
  if (changed.size === 0) return old
  const ptr = new Int32Array(n + 1)
  for (let i = 0; i < n; i++) {
    const row = changed.get(i)
    ptr[i + 1] = ptr[i]! + (row === undefined ? old.ptr[i + 1]! - old.ptr[i]! : row.cols.length)
  }
  const cols = new Int32Array(ptr[n]!)
  const weights = new Float32Array(ptr[n]!)
  const copy = (from: number, to: number) => {
    cols.set(old.cols.subarray(old.ptr[from], old.ptr[to]), ptr[from])
    weights.set(old.weights.subarray(old.ptr[from], old.ptr[to]), ptr[from])
  }
  let run = 0
  for (const i of [...changed.keys()].sort((a, b) => a - b)) {
    copy(run, i)
    const row = changed.get(i)!
    cols.set(row.cols, ptr[i])
    weights.set(row.weights, ptr[i])
    run = i + 1
  }
  copy(run, n)
  return { ptr, cols, weights }
}
