/**
 * Co-occurrence learned from federated contributions (issue 22): pair counts estimated from
 * locally differentially private reports (`src/modules/federated/`) turned into the item model's
 * statistics. The estimates come as item-index pairs with a count of reports each; here they become
 * quantised symmetric sparse rows, in the units of S (`item-model.ts`): `unit` is what one report of
 * a pair is worth there. `trainItemModel` adds them to the co-occurrence it counts from histories
 * (`TrainOptions.federated`), so co-occurrence is still built in one place.
 *
 * The rows are anonymous: no subject can be subtracted from them at erasure, and none needs to be
 * (no report is linked to anyone, and each one is epsilon-LDP).
 */
import { QUANT, type SparseRows } from './item-model.stats.js'

/** Estimated pair counts: item indices (a != b) and the estimated reports of each pair. */
export interface FederatedPairs {
  readonly a: Int32Array
  readonly b: Int32Array
  readonly counts: Float64Array
  /**
   * What one report of a pair adds to S_ab (real units, before quantisation). Default (in
   * `trainItemModel`): 2^-gamma, what a shopper whose history is just that pair adds.
   */
  readonly unit?: number
}

/**
 * The pairs as quantised symmetric rows (both halves, columns sorted), skipping counts that are not
 * above 0 and indices outside `nItems`.
 */
export function federatedRows(pairs: FederatedPairs, nItems: number): SparseRows {
  const ptr = new Int32Array(nItems + 1)
  const keep = (e: number) => {
    const a = pairs.a[e]!
    const b = pairs.b[e]!
    const q = Math.round(pairs.counts[e]! * (pairs.unit ?? 1) * QUANT)
    return a !== b && a >= 0 && b >= 0 && a < nItems && b < nItems && q > 0 ? q : 0
  }
  for (let e = 0; e < pairs.counts.length; e++)
    if (keep(e) > 0) {
      ptr[pairs.a[e]! + 1]!++
      ptr[pairs.b[e]! + 1]!++
    }
  for (let i = 0; i < nItems; i++) ptr[i + 1]! += ptr[i]!
  const fill = ptr.slice(0, nItems)
  const cols = new Int32Array(ptr[nItems]!)
  const values = new Float64Array(ptr[nItems]!)
  for (let e = 0; e < pairs.counts.length; e++) {
    const q = keep(e)
    if (q === 0) continue
    const a = pairs.a[e]!
    const b = pairs.b[e]!
    cols[fill[a]!] = b
    values[fill[a]!++] = q
    cols[fill[b]!] = a
    values[fill[b]!++] = q
  }
  // Each row sorted by column; a pair given twice is summed.
  return sortRows({ ptr, cols, values })
}

function sortRows(rows: SparseRows): SparseRows {
  const n = rows.ptr.length - 1
  const ptr = new Int32Array(n + 1)
  const cols: number[] = []
  const values: number[] = []
  for (let i = 0; i < n; i++) {
    const lo = rows.ptr[i]!
    const hi = rows.ptr[i + 1]!
    const order = Array.from({ length: hi - lo }, (_, k) => lo + k).sort(
      (x, y) => rows.cols[x]! - rows.cols[y]!,
    )
    for (const p of order) {
      if (cols.length > ptr[i]! && cols.at(-1) === rows.cols[p])
        values[values.length - 1]! += rows.values[p]!
      else {
        cols.push(rows.cols[p]!)
        values.push(rows.values[p]!)
      }
    }
    ptr[i + 1] = cols.length
  }
  return { ptr, cols: Int32Array.from(cols), values: Float64Array.from(values) }
}

/** S + F, row by row (both sorted by column): the merge `trainItemModel` does. */
export function addRows(s: SparseRows, f: SparseRows): SparseRows {
  const n = s.ptr.length - 1
  const ptr = new Int32Array(n + 1)
  const cols = new Int32Array(s.cols.length + f.cols.length)
  const values = new Float64Array(s.cols.length + f.cols.length)
  let at = 0
  for (let i = 0; i < n; i++) {
    let p = s.ptr[i]!
    let q = i + 1 < f.ptr.length ? f.ptr[i]! : 0
    const pe = s.ptr[i + 1]!
    const qe = i + 1 < f.ptr.length ? f.ptr[i + 1]! : 0
    while (p < pe || q < qe) {
      const cp = p < pe ? s.cols[p]! : Infinity
      const cq = q < qe ? f.cols[q]! : Infinity
      cols[at] = Math.min(cp, cq)
      values[at++] = (cp <= cq ? s.values[p++]! : 0) + (cq <= cp ? f.values[q++]! : 0)
    }
    ptr[i + 1] = at
  }
  return { ptr, cols: cols.slice(0, at), values: values.slice(0, at) }
}
