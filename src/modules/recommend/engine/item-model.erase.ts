/**
 * Erasure's arithmetic on the item model's statistics (`removeSubject` in `item-model.ts`): one
 * subject's contribution, computed as training computed it (`item-model.stats.ts`), subtracted from
 * the per-item counts and from S, with the entries that reach zero dropped so that the result equals
 * training without the subject, array for array.
 */
import {
  factorsOf,
  type Contribution,
  type ItemCounts,
  type SparseRows,
} from './item-model.stats.js'
import { binarySearch } from './top-k.js'

/** The per-item counts without this contribution (new arrays; throws if it was never counted). */
export function subtractCounts(counts: ItemCounts, c: Contribution): ItemCounts {
  const itemSubjects = counts.itemSubjects.slice()
  const recentSubjects = counts.recentSubjects.slice()
  const earlierSubjects = counts.earlierSubjects.slice()
  const repeatSubjects = counts.repeatSubjects.slice()
  for (let a = 0; a < c.items.length; a++) {
    const i = c.items[a]!
    if (!(itemSubjects[i]! >= 1)) {
      throw new RangeError(`item ${i} has no subjects left: history does not match the model`)
    }
    itemSubjects[i]!--
    recentSubjects[i]! -= c.recent[a]!
    earlierSubjects[i]! -= c.earlier[a]!
    repeatSubjects[i]! -= c.repeated[a]!
  }
  return { itemSubjects, recentSubjects, earlierSubjects, repeatSubjects }
}

/**
 * S (n rows) and its diagonal without this contribution (new arrays), zero entries dropped so the
 * structure equals a fresh training run. Throws if the contribution was never added.
 *
 * Proportional to the subject's item pairs, apart from copying S's values once (a native copy, no
 * loop over S): the row structure (`ptr`, `cols`) is shared with the input when no entry reaches zero,
 * and otherwise rebuilt by block copies around the entries that did.
 */
export function subtractCooccurrence(
  n: number,
  co: SparseRows,
  self: Float64Array,
  c: Contribution,
): { cooccurrence: SparseRows; selfOccurrence: Float64Array } {
  const values = co.values.slice()
  const f = factorsOf(c)
  const selfOccurrence = self.slice()
  const zeros: number[] = []
  for (let a = 0; a < c.items.length; a++) {
    const i = c.items[a]!
    selfOccurrence[i]! -= Math.round(f[a]! * f[a]!)
    for (let b = 0; b < c.items.length; b++) {
      if (b === a) continue
      const q = Math.round(f[a]! * f[b]!)
      if (q === 0) continue
      const p = binarySearch(co.cols, co.ptr[i]!, co.ptr[i + 1]!, c.items[b]!)
      if (p < 0) throw new RangeError('history does not match the model')
      // Each entry (i, j) is met once, so it reaches zero at most once.
      if ((values[p]! -= q) === 0) zeros.push(p)
    }
  }
  const cooccurrence =
    zeros.length === 0
      ? { ptr: co.ptr, cols: co.cols, values }
      : withoutEntries(n, co, values, Int32Array.from(zeros).sort())
  return { cooccurrence, selfOccurrence }
}

/**
 * `co`'s n rows with `values` in place of its own, the entries at the sorted positions `drop` left
 * out: the kept runs between them are block copies, the row pointers one pass over the rows.
 */
function withoutEntries(
  n: number,
  co: SparseRows,
  values: Float64Array,
  drop: Int32Array,
): SparseRows {
  const kept = values.length - drop.length
  const cols = new Int32Array(kept)
  const vals = new Float64Array(kept)
  let from = 0
  let at = 0
  for (const p of drop) {
    cols.set(co.cols.subarray(from, p), at)
    vals.set(values.subarray(from, p), at)
    at += p - from
    from = p + 1
  }
  cols.set(co.cols.subarray(from), at)
  vals.set(values.subarray(from), at)
  // Row i ends at its old end less the dropped entries before that end.
  const ptr = new Int32Array(n + 1)
  let d = 0
  for (let i = 0; i < n; i++) {
    const end = co.ptr[i + 1]!
    while (d < drop.length && drop[d]! < end) d++
    ptr[i + 1] = end - d
  }
  return { ptr, cols, values: vals }
}
