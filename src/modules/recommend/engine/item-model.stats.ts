/**
 * The item model's exact sufficient statistics (`item-model.ts`): each subject's contribution (its
 * distinct items, their recency weights and window flags), the per-item subject counts, and the
 * quantised co-occurrence S with its diagonal, accumulated one row at a time from an inverted index.
 * Erasure (`item-model.erase.ts`) subtracts the same contribution, computed by the same functions.
 */
import type { History, Interactions } from './interactions.js'
import { historyOf } from './interactions.js'
import type { ItemModelParams } from './params.js'
import { binarySearch } from './top-k.js'

const DAY_MS = 86_400_000
/** Fixed-point scale of co-occurrence contributions. Sums stay exact below 2^53 / 2^24 subjects. */
export const QUANT_BITS = 24
export const QUANT = 2 ** QUANT_BITS

/** Sparse symmetric matrix, both halves stored, rows sorted by column. */
export interface SparseRows {
  readonly ptr: Int32Array
  readonly cols: Int32Array
  readonly values: Float64Array
}

/** One subject's distinct items with their contribution weights, as training sees them. */
export interface Contribution {
  items: Int32Array
  v: Float64Array
  recent: Uint8Array
  earlier: Uint8Array
  repeated: Uint8Array
  scale: number
}

/** Per item, how many subjects hold it: in all, in the two windows, and on two or more days. */
export interface ItemCounts {
  readonly itemSubjects: Float64Array
  readonly recentSubjects: Float64Array
  readonly earlierSubjects: Float64Array
  readonly repeatSubjects: Float64Array
}

export function contributionOf(
  history: History,
  nItems: number,
  now: number,
  params: ItemModelParams,
  excluded: Uint8Array | undefined,
  lastSeen: Float64Array,
  maxWeight: Float64Array,
): Contribution {
  // lastSeen (filled with -Infinity) and maxWeight (zeros) are scratch of length nItems, restored
  // before return. Events with weight <= 0 (feedback, say) are not input; weights above 1 count as 1.
  // maxWeight is scratch too: the strongest event weight per item (purchase 1, view less, ...).
  const distinct: number[] = []
  for (let p = 0; p < history.items.length; p++) {
    const i = history.items[p]!
    const t = history.times[p]!
    const w = history.weights?.[p] ?? 1
    if (i < 0 || i >= nItems || !(t <= now) || !(w > 0)) continue
    if (excluded !== undefined && excluded[i] === 1) continue
    if (lastSeen[i] === Number.NEGATIVE_INFINITY) distinct.push(i)
    if (t > lastSeen[i]!) lastSeen[i] = t
    if (w > maxWeight[i]!) maxWeight[i] = w
  }
  distinct.sort((a, b) => a - b)
  const items = Int32Array.from(distinct)
  const v = new Float64Array(items.length)
  const recent = new Uint8Array(items.length)
  const earlier = new Uint8Array(items.length)
  const repeated = new Uint8Array(items.length)
  const firstDay = new Float64Array(items.length).fill(Number.NaN)
  const recentFrom = now - params.recentDays * DAY_MS
  const earlierFrom = now - 2 * params.recentDays * DAY_MS
  for (let a = 0; a < items.length; a++) {
    const i = items[a]!
    const last = lastSeen[i]!
    const decay = params.tauDays > 0 ? Math.exp(-(now - last) / (params.tauDays * DAY_MS)) : 1
    v[a] = decay * Math.min(1, maxWeight[i]!)
    lastSeen[i] = Number.NEGATIVE_INFINITY
    maxWeight[i] = 0
  }
  // Windows count a subject once per item if any event of the item falls in the window.
  for (let p = 0; p < history.items.length; p++) {
    const i = history.items[p]!
    const t = history.times[p]!
    if (i < 0 || i >= nItems || !(t <= now) || !((history.weights?.[p] ?? 1) > 0)) continue
    if (excluded !== undefined && excluded[i] === 1) continue
    const a = binarySearch(items, 0, items.length, i)
    if (t > recentFrom) recent[a] = 1
    else if (t > earlierFrom) earlier[a] = 1
    const day = Math.floor(t / DAY_MS)
    if (Number.isNaN(firstDay[a]!)) firstDay[a] = day
    else if (firstDay[a] !== day) repeated[a] = 1
  }
  const scale = items.length > 0 ? Math.pow(items.length, -params.subjectExponent) : 0
  return { items, v, recent, earlier, repeated, scale }
}

/** The contribution of every subject who contributes at least one item, in subject order. */
export function contributionsOf(
  interactions: Interactions,
  now: number,
  params: ItemModelParams,
  excluded: Uint8Array | undefined,
): Contribution[] {
  const n = interactions.nItems
  const lastSeen = new Float64Array(n).fill(Number.NEGATIVE_INFINITY)
  const maxWeight = new Float64Array(n)
  const contributions: Contribution[] = []
  for (let s = 0; s < interactions.nSubjects; s++) {
    const c = contributionOf(
      historyOf(interactions, s),
      n,
      now,
      params,
      excluded,
      lastSeen,
      maxWeight,
    )
    if (c.items.length > 0) contributions.push(c)
  }
  return contributions
}

/** Per-item subject counts of these contributions (integers, so their order does not matter). */
export function countItems(contributions: readonly Contribution[], n: number): ItemCounts {
  const itemSubjects = new Float64Array(n)
  const recentSubjects = new Float64Array(n)
  const earlierSubjects = new Float64Array(n)
  const repeatSubjects = new Float64Array(n)
  for (const c of contributions) {
    for (let a = 0; a < c.items.length; a++) {
      const i = c.items[a]!
      itemSubjects[i]!++
      recentSubjects[i]! += c.recent[a]!
      earlierSubjects[i]! += c.earlier[a]!
      repeatSubjects[i]! += c.repeated[a]!
    }
  }
  return { itemSubjects, recentSubjects, earlierSubjects, repeatSubjects }
}

/**
 * Per-item factors of a subject's contribution: S_ij gains round(f_a * f_b) with
 * f = v * sqrt(scale * 2^QUANT_BITS). One product of two factors is commutative, so the
 * contribution is exactly symmetric and training and erasure compute the same integers.
 */
export function factorsOf(c: Contribution): Float64Array {
  const root = Math.sqrt(c.scale * QUANT)
  return Float64Array.from(c.v, (v) => v * root)
}

/** Inverted index item -> (contribution, position in it), to build S one row at a time. */
function postingsOf(
  contributions: readonly Contribution[],
  n: number,
): { ptr: Int32Array; c: Int32Array; a: Int32Array } {
  const ptr = new Int32Array(n + 1)
  for (const c of contributions) for (const i of c.items) ptr[i + 1]!++
  for (let i = 0; i < n; i++) ptr[i + 1]! += ptr[i]!
  const postC = new Int32Array(ptr[n]!)
  const postA = new Int32Array(ptr[n]!)
  const fill = ptr.slice(0, n)
  contributions.forEach((c, ci) => {
    for (let a = 0; a < c.items.length; a++) {
      const at = fill[c.items[a]!]!++
      postC[at] = ci
      postA[at] = a
    }
  })
  return { ptr, c: postC, a: postA }
}

/** Quantised S (both halves) and its diagonal `selfOccurrence`, from every subject's contribution. */
export function cooccurrenceOf(
  contributions: readonly Contribution[],
  n: number,
): { cooccurrence: SparseRows; selfOccurrence: Float64Array } {
  const post = postingsOf(contributions, n)
  const factors = contributions.map(factorsOf)
  const acc = new Float64Array(n)
  const touched = new Uint8Array(n)
  const ptr = new Int32Array(n + 1)
  let cols = new Int32Array(1024)
  let values = new Float64Array(1024)
  let nnz = 0
  const rowScratch = new Int32Array(n)
  const selfOccurrence = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    let m = 0
    for (let p = post.ptr[i]!; p < post.ptr[i + 1]!; p++) {
      const items = contributions[post.c[p]!]!.items
      const f = factors[post.c[p]!]!
      const a = post.a[p]!
      const fa = f[a]!
      selfOccurrence[i]! += Math.round(fa * fa)
      // Items are sorted per subject: b > a gives the upper triangle, mirrored below.
      for (let b = a + 1; b < items.length; b++) {
        const q = Math.round(fa * f[b]!)
        if (q === 0) continue
        const j = items[b]!
        if (touched[j] === 0) {
          touched[j] = 1
          rowScratch[m++] = j
        }
        acc[j]! += q
      }
    }
    const rowCols = rowScratch.subarray(0, m).sort()
    if (nnz + m > cols.length) {
      const size = Math.max(cols.length * 2, nnz + m)
      const nc = new Int32Array(size)
      nc.set(cols.subarray(0, nnz))
      cols = nc
      const nv = new Float64Array(size)
      nv.set(values.subarray(0, nnz))
      values = nv
    }
    for (const j of rowCols) {
      cols[nnz] = j
      values[nnz] = acc[j]!
      nnz++
      acc[j] = 0
      touched[j] = 0
    }
    ptr[i + 1] = nnz
  }
  const upper = { ptr, cols: cols.subarray(0, nnz), values: values.subarray(0, nnz) }
  return { cooccurrence: mirrorUpper(upper), selfOccurrence }
}

/** The full symmetric matrix from its strict upper triangle (rows sorted by column). */
export function mirrorUpper(upper: SparseRows): SparseRows {
  const n = upper.ptr.length - 1
  const ptr = new Int32Array(n + 1)
  for (let i = 0; i < n; i++) {
    ptr[i + 1]! += upper.ptr[i + 1]! - upper.ptr[i]!
    for (let p = upper.ptr[i]!; p < upper.ptr[i + 1]!; p++) ptr[upper.cols[p]! + 1]!++
  }
  for (let i = 0; i < n; i++) ptr[i + 1]! += ptr[i]!
  const cols = new Int32Array(ptr[n]!)
  const values = new Float64Array(ptr[n]!)
  const fill = ptr.slice(0, n)
  // Lower entries of row j come from rows i < j, visited in increasing i: they land sorted, and
  // before the upper entries of row j, which are all > j.
  for (let i = 0; i < n; i++) {
    for (let p = upper.ptr[i]!; p < upper.ptr[i + 1]!; p++) {
      const j = upper.cols[p]!
      const v = upper.values[p]!
      const at = fill[j]!++
      cols[at] = i
      values[at] = v
    }
    for (let p = upper.ptr[i]!; p < upper.ptr[i + 1]!; p++) {
      const at = fill[i]!++
      cols[at] = upper.cols[p]!
      values[at] = upper.values[p]!
    }
  }
  return { ptr, cols, values }
}
