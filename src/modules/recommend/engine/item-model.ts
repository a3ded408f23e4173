/**
 * The trained item model: exact sufficient statistics plus the item-to-item neighbour lists
 * derived from them.
 *
 * Co-purchase strength between items i and j is a recency-weighted, subject-normalised
 * co-occurrence
 *
 *     S_ij = sum over subjects u holding both i and j of  v_ui * v_uj / |u|^gamma,
 *     v_ui = exp(-(trainedAt - lastTime_ui) / tau)
 *
 * and the neighbour weight is an RP3beta-style normalisation by item degrees (number of subjects
 * holding an item), W_ij = S_ij / (c_i^alpha * c_j^beta), keeping the `neighbours` largest per row.
 * See README.md for where these choices come from and what they were measured against.
 *
 * Each subject's contribution to S is rounded to an integer multiple of 2^-QUANT_BITS before it is
 * added, so every statistic is an exact integer in a float64. Adding and removing subjects is then
 * exact and order-independent, which is what makes erasure equal retraining bit for bit.
 */
import type { History, Interactions } from './interactions.js'
import { historyOf } from './interactions.js'
import { type EaseComponent, easeItemsOf, fitEase } from './ease.js'
import { binarySearch, selectTopK } from './top-k.js'
export { binarySearch } from './top-k.js'
import {
  DEFAULT_ITEM_MODEL_PARAMS,
  DEFAULT_SCORING_PARAMS,
  type ItemModelParams,
  type ScoringParams,
} from './params.js'

const DAY_MS = 86_400_000
/** Fixed-point scale of co-occurrence contributions. Sums stay exact below 2^53 / 2^24 subjects. */
export const QUANT_BITS = 24
const QUANT = 2 ** QUANT_BITS

export type { ItemModelParams } from './params.js'
export { DEFAULT_ITEM_MODEL_PARAMS } from './params.js'

/** Sparse symmetric matrix, both halves stored, rows sorted by column. */
export interface SparseRows {
  readonly ptr: Int32Array
  readonly cols: Int32Array
  readonly values: Float64Array
}

/** Neighbour lists: row i holds up to `neighbours` items, sorted by item index. */
export interface NeighbourRows {
  readonly ptr: Int32Array
  readonly cols: Int32Array
  readonly weights: Float32Array
}

export interface ItemModel {
  readonly nItems: number
  readonly params: ItemModelParams
  /** How answers are scored from this model (chosen with it at training time). */
  readonly scoring: ScoringParams
  /** Reference time (ms) for decay and windows; events after it are ignored. */
  readonly trainedAt: number
  /** Subjects that contributed at least one item. */
  readonly subjects: number
  /** c_i: subjects holding item i (any time up to trainedAt). */
  readonly itemSubjects: Float64Array
  /** Subjects with item i in (trainedAt - recentDays, trainedAt]. */
  readonly recentSubjects: Float64Array
  /** Subjects with item i in (trainedAt - 2 * recentDays, trainedAt - recentDays]. */
  readonly earlierSubjects: Float64Array
  /** Subjects who had item i on at least two distinct (UTC) days: its repeat propensity. */
  readonly repeatSubjects: Float64Array
  /** Quantised S (integers; divide by 2^QUANT_BITS for the real value). */
  readonly cooccurrence: SparseRows
  /** The diagonal S would have: per item, the sum of its subjects' quantised v^2 / |u|^gamma. */
  readonly selfOccurrence: Float64Array
  readonly neighbours: NeighbourRows
  /** The EASE component (`ease.ts`), when `params.easeItems` > 0. */
  readonly ease?: EaseComponent
}

export interface TrainOptions {
  readonly now: number
  readonly params?: Partial<ItemModelParams>
  /** How answers are scored from the model (default `DEFAULT_SCORING_PARAMS`). */
  readonly scoring?: ScoringParams
  /** Items that must never be model input (special categories): mask, 1 = excluded. */
  readonly excluded?: Uint8Array
  /**
   * The items the EASE component models (sorted), when they were chosen before: erasure keeps a
   * model's choice until the next training. Default: the `params.easeItems` most held items.
   */
  readonly easeItems?: Int32Array
}

/** One subject's distinct items with their contribution weights, as training sees them. */
interface Contribution {
  items: Int32Array
  v: Float64Array
  recent: Uint8Array
  earlier: Uint8Array
  repeated: Uint8Array
  scale: number
}

function contributionOf(
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

/**
 * Per-item factors of a subject's contribution: S_ij gains round(f_a * f_b) with
 * f = v * sqrt(scale * 2^QUANT_BITS). One product of two factors is commutative, so the
 * contribution is exactly symmetric and training and erasure compute the same integers.
 */
function factorsOf(c: Contribution): Float64Array {
  const root = Math.sqrt(c.scale * QUANT)
  return Float64Array.from(c.v, (v) => v * root)
}

function resolveParams(partial: Partial<ItemModelParams> | undefined): ItemModelParams {
  const p = { ...DEFAULT_ITEM_MODEL_PARAMS, ...partial }
  if (!(p.neighbours >= 1) || !Number.isInteger(p.neighbours)) {
    throw new RangeError('neighbours must be a positive integer')
  }
  if (!(p.tauDays >= 0) || !(p.recentDays > 0)) throw new RangeError('bad time parameters')
  if (!(p.easeItems >= 0) || !Number.isInteger(p.easeItems) || !(p.easeLambda > 0)) {
    throw new RangeError('easeItems must be a whole number >= 0 and easeLambda above 0')
  }
  return Object.freeze(p)
}

/**
 * Trains the item model from all subjects' histories. Deterministic: the result depends only on
 * the set of (subject history) inputs, not on subject order.
 *
 * @example
 * const model = trainItemModel(interactions, { now: Date.now(), excluded: specialCategoryMask })
 */
export function trainItemModel(interactions: Interactions, options: TrainOptions): ItemModel {
  const params = resolveParams(options.params)
  const n = interactions.nItems
  const now = options.now
  const lastSeen = new Float64Array(n).fill(Number.NEGATIVE_INFINITY)
  const maxWeight = new Float64Array(n)
  const contributions: Contribution[] = []
  const itemSubjects = new Float64Array(n)
  const recentSubjects = new Float64Array(n)
  const earlierSubjects = new Float64Array(n)
  const repeatSubjects = new Float64Array(n)
  for (let s = 0; s < interactions.nSubjects; s++) {
    const c = contributionOf(
      historyOf(interactions, s),
      n,
      now,
      params,
      options.excluded,
      lastSeen,
      maxWeight,
    )
    if (c.items.length === 0) continue
    contributions.push(c)
    for (let a = 0; a < c.items.length; a++) {
      const i = c.items[a]!
      itemSubjects[i]!++
      recentSubjects[i]! += c.recent[a]!
      earlierSubjects[i]! += c.earlier[a]!
      repeatSubjects[i]! += c.repeated[a]!
    }
  }
  // Inverted index item -> (contribution, position) to build S one row at a time.
  const postPtr = new Int32Array(n + 1)
  for (const c of contributions) for (const i of c.items) postPtr[i + 1]!++
  for (let i = 0; i < n; i++) postPtr[i + 1]! += postPtr[i]!
  const postC = new Int32Array(postPtr[n]!)
  const postA = new Int32Array(postPtr[n]!)
  const fill = postPtr.slice(0, n)
  contributions.forEach((c, ci) => {
    for (let a = 0; a < c.items.length; a++) {
      const at = fill[c.items[a]!]!++
      postC[at] = ci
      postA[at] = a
    }
  })
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
    for (let p = postPtr[i]!; p < postPtr[i + 1]!; p++) {
      const items = contributions[postC[p]!]!.items
      const f = factors[postC[p]!]!
      const a = postA[p]!
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
  const cooccurrence = mirrorUpper({
    ptr,
    cols: cols.subarray(0, nnz),
    values: values.subarray(0, nnz),
  })
  return {
    nItems: n,
    params,
    scoring: options.scoring ?? DEFAULT_SCORING_PARAMS,
    trainedAt: now,
    subjects: contributions.length,
    itemSubjects,
    recentSubjects,
    earlierSubjects,
    repeatSubjects,
    cooccurrence,
    selfOccurrence,
    neighbours: buildNeighbours(cooccurrence, itemSubjects, params),
    ...easePart(cooccurrence, selfOccurrence, itemSubjects, params, options.easeItems),
  }
}

/** The EASE component of these statistics, as a property to spread (none when easeItems is 0). */
function easePart(
  co: SparseRows,
  self: Float64Array,
  itemSubjects: Float64Array,
  params: ItemModelParams,
  items: Int32Array | undefined,
): { ease?: EaseComponent } {
  if (!(params.easeItems > 0)) return {}
  const chosen = items ?? easeItemsOf(itemSubjects, params.easeItems)
  return { ease: fitEase(co, self, chosen, params.easeLambda, QUANT) }
}

/**
 * The same statistics with other EASE parameters: the component is refitted (or dropped, easeItems
 * 0), nothing else changes. Equals `trainItemModel` run with those parameters.
 */
export function withEaseParams(
  model: ItemModel,
  params: Pick<ItemModelParams, 'easeItems' | 'easeLambda'>,
): ItemModel {
  const next = resolveParams({ ...model.params, ...params })
  const { ease: _old, ...rest } = model
  return {
    ...rest,
    params: next,
    ...easePart(model.cooccurrence, model.selfOccurrence, model.itemSubjects, next, undefined),
  }
}

/**
 * The same statistics with other neighbour parameters (alpha, beta, neighbours): only the neighbour
 * lists are rebuilt, so tuning can try them without recounting co-occurrences. Equals
 * `trainItemModel` run with those parameters.
 */
export function withNeighbourParams(
  model: ItemModel,
  params: Pick<Partial<ItemModelParams>, 'alpha' | 'beta' | 'neighbours'>,
): ItemModel {
  const next = resolveParams({ ...model.params, ...params })
  return {
    ...model,
    params: next,
    neighbours: buildNeighbours(model.cooccurrence, model.itemSubjects, next),
  }
}

/** The same model scored with other parameters (nothing is recomputed). */
export function withScoring(model: ItemModel, scoring: ScoringParams): ItemModel {
  return { ...model, scoring }
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

function buildNeighbours(
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
 * Removes one subject's contribution (erasure). `history` must be the subject's events as training
 * saw them (events after `model.trainedAt` are ignored here as they were there), and `excluded`
 * the same mask. The result equals, array for array, `trainItemModel` run without this subject.
 * Returns a new model; the input is not changed.
 */
export function removeSubject(
  model: ItemModel,
  history: History,
  options: { excluded?: Uint8Array } = {},
): ItemModel {
  const n = model.nItems
  const { params } = model
  const lastSeen = new Float64Array(n).fill(Number.NEGATIVE_INFINITY)
  const maxWeight = new Float64Array(n)
  const c = contributionOf(
    history,
    n,
    model.trainedAt,
    params,
    options.excluded,
    lastSeen,
    maxWeight,
  )
  if (c.items.length === 0) return model
  const itemSubjects = model.itemSubjects.slice()
  const recentSubjects = model.recentSubjects.slice()
  const earlierSubjects = model.earlierSubjects.slice()
  const repeatSubjects = model.repeatSubjects.slice()
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
  const co = model.cooccurrence
  const values = co.values.slice()
  const f = factorsOf(c)
  const selfOccurrence = model.selfOccurrence.slice()
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
  // Drop entries that reached zero so the structure equals a fresh training run.
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
  const cooccurrence: SparseRows = { ptr, cols, values: vals }
  const neighbours = updateRows(model.neighbours, cooccurrence, itemSubjects, params, c.items)
  // EASE is refitted from the updated statistics on the same items (when the subject held one of
  // them; otherwise its Gram matrix, and so B, did not change).
  const ease = model.ease
  const touches =
    ease !== undefined &&
    c.items.some((i) => binarySearch(ease.items, 0, ease.items.length, i) >= 0)
  return {
    ...model,
    subjects: model.subjects - 1,
    itemSubjects,
    recentSubjects,
    earlierSubjects,
    repeatSubjects,
    cooccurrence,
    selfOccurrence,
    neighbours,
    ...(touches ? easePart(cooccurrence, selfOccurrence, itemSubjects, params, ease.items) : {}),
  }
}

/**
 * Neighbour rows after the subject holding the sorted `removed` items left. Rows of removed items
 * are recomputed. Any other row i kept its S_ij and c_i; only W_ij for j in `removed` changed, and
 * they grew (c_j fell, beta >= 0). Every old top-k entry therefore still beats every item outside
 * the old top-k and `removed`, so the new top-k lies within those two sets: rank just them.
 */
function updateRows(
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
