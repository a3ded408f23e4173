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
  for (let a = 0; a < c.items.length; a++) {
    const i = c.items[a]!
    selfOccurrence[i]! -= Math.round(f[a]! * f[a]!)
    for (let b = 0; b < c.items.length; b++) {
      if (b === a) continue
      const q = Math.round(f[a]! * f[b]!)
      if (q === 0) continue
      const p = binarySearch(co.cols, co.ptr[i]!, co.ptr[i + 1]!, c.items[b]!)
      if (p < 0) throw new RangeError('history does not match the model')
      values[p]! -= q
    }
  }
  return { cooccurrence: dropZeros(n, co, values), selfOccurrence }
}

/** `co`'s n rows with `values` in place of its own, entries that are 0 left out. */
function dropZeros(n: number, co: SparseRows, values: Float64Array): SparseRows {
  const ptr = new Int32Array(n + 1)
  let nnz = 0
  for (let p = 0; p < values.length; p++) if (values[p] !== 0) nnz++
  const cols = new Int32Array(nnz)
  const vals = new Float64Array(nnz)
  let at = 0
  for (let i = 0; i < n; i++) {
    for (let p = co.ptr[i]!; p < co.ptr[i + 1]!; p++) {
      if (values[p] === 0) continue
      cols[at] = co.cols[p]!
      vals[at] = values[p]!
      at++
    }
    ptr[i + 1] = at
  }
  return { ptr, cols, values: vals }
}
