/**
 * TIFU-KNN, the next-basket reference: Hu, He, Jia, Pei and Sun, "Modeling Personalized Item
 * Frequency Information for Next-basket Recommendation", SIGIR 2020.
 *
 * A customer's baskets b_1 .. b_n (binary item vectors, oldest first) are cut into k = ceil(n / m)
 * groups of m consecutive baskets, counted from the most recent (the oldest group may be smaller).
 * Group vector v_i = (1 / |group|) sum_j r_b^(|group| - j) b_ij (within-group decay), user vector
 * u = (1 / k) sum_i r_g^(k - i) v_i (across-group decay). The prediction blends the customer's own
 * vector with the mean of its `neighbours` nearest customers by Euclidean distance between user
 * vectors (as the authors' code does): p = alpha u + (1 - alpha) mean(u_nn).
 */
import type { Baskets } from './baskets.js'
import { recall20Sparse, type SparseScores } from './metrics.js'
import type { Split } from './split.js'

export interface TifuParams {
  /** m: baskets per group. */
  groupSize: number
  /** r_b: decay between consecutive baskets of a group. */
  withinDecay: number
  /** r_g: decay between consecutive groups. */
  groupDecay: number
  /** k: nearest customers blended in. */
  neighbours: number
  /** Weight of the customer's own vector. */
  alpha: number
}

/** User vectors as sparse rows (items ascending), plus each row's squared norm. */
export interface UserVectors {
  nItems: number
  ptr: Int32Array
  items: Int32Array
  values: Float64Array
  norms2: Float64Array
}

export function tifuUserVectors(
  baskets: Baskets,
  nItems: number,
  params: Pick<TifuParams, 'groupSize' | 'withinDecay' | 'groupDecay'>,
): UserVectors {
  const nSubjects = baskets.ptr.length - 1
  const m = params.groupSize
  const acc = new Float64Array(nItems)
  const touched: number[] = []
  const ptr = new Int32Array(nSubjects + 1)
  const items: number[] = []
  const values: number[] = []
  const norms2 = new Float64Array(nSubjects)
  for (let s = 0; s < nSubjects; s++) {
    const lo = baskets.ptr[s]!
    const n = baskets.ptr[s + 1]! - lo
    const groups = Math.ceil(n / m)
    touched.length = 0
    for (let g = 0; g < groups; g++) {
      // Group g (0 = oldest) ends at basket index `to` (exclusive), counted so the newest is full.
      const to = n - (groups - 1 - g) * m
      const from = Math.max(0, to - m)
      const size = to - from
      const groupWeight = Math.pow(params.groupDecay, groups - 1 - g) / groups / size
      for (let j = from; j < to; j++) {
        const w = groupWeight * Math.pow(params.withinDecay, to - 1 - j)
        const b = lo + j
        for (let p = baskets.itemPtr[b]!; p < baskets.itemPtr[b + 1]!; p++) {
          const i = baskets.items[p]!
          if (acc[i] === 0) touched.push(i)
          acc[i]! += w
        }
      }
    }
    touched.sort((a, b) => a - b)
    let norm = 0
    for (const i of touched) {
      items.push(i)
      values.push(acc[i]!)
      norm += acc[i]! * acc[i]!
      acc[i] = 0
    }
    norms2[s] = norm
    ptr[s + 1] = items.length
  }
  return {
    nItems,
    ptr,
    items: Int32Array.from(items),
    values: Float64Array.from(values),
    norms2,
  }
}

/** Item-major copy of the user vectors, for dot products of one user against all. */
interface Postings {
  ptr: Int32Array
  users: Int32Array
  values: Float64Array
}

function postingsOf(v: UserVectors): Postings {
  const ptr = new Int32Array(v.nItems + 1)
  for (const i of v.items) ptr[i + 1]!++
  for (let i = 0; i < v.nItems; i++) ptr[i + 1]! += ptr[i]!
  const fill = ptr.slice(0, v.nItems)
  const users = new Int32Array(v.items.length)
  const values = new Float64Array(v.items.length)
  const nSubjects = v.ptr.length - 1
  for (let s = 0; s < nSubjects; s++) {
    for (let p = v.ptr[s]!; p < v.ptr[s + 1]!; p++) {
      const q = fill[v.items[p]!]!++
      users[q] = s
      values[q] = v.values[p]!
    }
  }
  return { ptr, users, values }
}

/**
 * The value of rank `k` (0-based) in `a`, by quickselect; `a` is reordered. Linear on average,
 * where sorting every distance for each query would cost n log n.
 */
function kthSmallest(a: Float64Array, n: number, k: number): number {
  let lo = 0
  let hi = n - 1
  while (lo < hi) {
    const pivot = a[(lo + hi) >>> 1]!
    let i = lo
    let j = hi
    while (i <= j) {
      while (a[i]! < pivot) i++
      while (a[j]! > pivot) j--
      if (i <= j) {
        const t = a[i]!
        a[i++] = a[j]!
        a[j--] = t
      }
    }
    if (k <= j) hi = j
    else if (k >= i) lo = i
    else return a[k]!
  }
  return a[k]!
}

/**
 * Finds the `k` nearest users (Euclidean distance between user vectors) of one user, nearest
 * first, self excluded, ties to the lower user index.
 */
export function createNeighbourFinder(v: UserVectors): (s: number, k: number) => Int32Array {
  const post = postingsOf(v)
  const nSubjects = v.ptr.length - 1
  const dot = new Float64Array(nSubjects)
  const dist = new Float64Array(nSubjects)
  const copy = new Float64Array(nSubjects)
  return function findNeighbours(s: number, k: number): Int32Array {
    for (let p = v.ptr[s]!; p < v.ptr[s + 1]!; p++) {
      const x = v.values[p]!
      const i = v.items[p]!
      for (let q = post.ptr[i]!; q < post.ptr[i + 1]!; q++)
        dot[post.users[q]!]! += x * post.values[q]!
    }
    const own = v.norms2[s]!
    for (let t = 0; t < nSubjects; t++) {
      dist[t] = t === s ? Infinity : own + v.norms2[t]! - 2 * dot[t]!
      dot[t] = 0
    }
    const kk = Math.min(k, nSubjects - 1)
    if (kk <= 0) return new Int32Array(0)
    copy.set(dist)
    const threshold = kthSmallest(copy, nSubjects, kk - 1)
    const chosen: number[] = []
    for (let t = 0; t < nSubjects; t++) if (dist[t]! < threshold) chosen.push(t)
    for (let t = 0; t < nSubjects && chosen.length < kk; t++)
      if (dist[t] === threshold) chosen.push(t)
    chosen.sort((a, b) => dist[a]! - dist[b]! || a - b)
    return Int32Array.from(chosen)
  }
}

/** A sparse vector (items in no particular order). */
export interface SparseVector {
  items: Int32Array
  values: Float64Array
}

/**
 * The means of the first `k` rows of `nearest`, for each `k` of `ks` (ascending; fewer rows when
 * fewer are there): one pass, since each mean extends the previous one.
 */
export function neighbourMeans(
  v: UserVectors,
  nearest: Int32Array,
  ks: readonly number[],
  acc: Float64Array = new Float64Array(v.nItems),
): SparseVector[] {
  const touched: number[] = []
  const out: SparseVector[] = []
  let r = 0
  for (const k of ks) {
    const n = Math.min(k, nearest.length)
    for (; r < n; r++) {
      const t = nearest[r]!
      for (let p = v.ptr[t]!; p < v.ptr[t + 1]!; p++) {
        const i = v.items[p]!
        if (acc[i] === 0) touched.push(i)
        acc[i]! += v.values[p]!
      }
    }
    const items = Int32Array.from(touched)
    const values = new Float64Array(items.length)
    for (let q = 0; q < items.length; q++) values[q] = acc[items[q]!]! / Math.max(1, n)
    out.push({ items, values })
  }
  for (const i of touched) acc[i] = 0
  return out
}

/**
 * The `n` strongest entries of `mean` (by value, ties to the higher `base`), plus those of the
 * items in `own` (sorted). A parameter search ranks on these and the customer's own items: any
 * other item trails n items by (1 - alpha) x the gap of their neighbour values, which `base`
 * (popularity x 1e-12) cannot make up, so the top 20 is unchanged unless values are equal to
 * within 1e-11 x the largest popularity.
 */
export function strongest(
  mean: SparseVector,
  n: number,
  base: Float64Array,
  own: Int32Array,
): SparseVector {
  const len = mean.items.length
  if (len <= n) return mean
  const threshold = kthLargest(Float64Array.from(mean.values), len, n - 1)
  const kept: number[] = []
  const ties: number[] = []
  for (let p = 0; p < len; p++) {
    const value = mean.values[p]!
    if (value > threshold || includes(own, mean.items[p]!)) kept.push(p)
    else if (value === threshold) ties.push(p)
  }
  ties.sort((a, b) => base[mean.items[b]!]! - base[mean.items[a]!]! || a - b)
  for (let t = 0, strong = kept.length; t < ties.length && strong < n; t++, strong++)
    kept.push(ties[t]!)
  return {
    items: Int32Array.from(kept, (p) => mean.items[p]!),
    values: Float64Array.from(kept, (p) => mean.values[p]!),
  }
}

function includes(sorted: Int32Array, value: number): boolean {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (sorted[mid]! < value) lo = mid + 1
    else hi = mid
  }
  return lo < sorted.length && sorted[lo] === value
}

function kthLargest(a: Float64Array, n: number, k: number): number {
  for (let i = 0; i < n; i++) a[i] = -a[i]!
  return -kthSmallest(a, n, k)
}

/**
 * p = alpha u_s + (1 - alpha) mean(u_nn), over `base` (a popularity tie-break for items neither
 * the customer nor its neighbours bought: popularity x 1e-12).
 */
export function tifuScores(
  v: UserVectors,
  s: number,
  mean: SparseVector,
  alpha: number,
  base: Float64Array,
): Float64Array {
  const out = base.slice()
  for (let p = v.ptr[s]!; p < v.ptr[s + 1]!; p++) out[v.items[p]!]! += alpha * v.values[p]!
  for (let p = 0; p < mean.items.length; p++) out[mean.items[p]!]! += (1 - alpha) * mean.values[p]!
  return out
}

/**
 * `tifuScores` on the items the customer or its neighbours bought only (every other item scores
 * `base`), for `recall20Sparse`.
 */
export function createSparseTifuScorer(
  v: UserVectors,
  base: Float64Array,
): (s: number, mean: SparseVector, alpha: number) => SparseScores {
  const slot = new Int32Array(v.nItems).fill(-1)
  let items = new Int32Array(0)
  let scores = new Float64Array(0)
  return function scoreSparse(s: number, mean: SparseVector, alpha: number): SparseScores {
    const lo = v.ptr[s]!
    const hi = v.ptr[s + 1]!
    // The buffers are reused: recall20Sparse reads each answer before asking for the next.
    if (items.length < mean.items.length + hi - lo) {
      items = new Int32Array(2 * (mean.items.length + hi - lo))
      scores = new Float64Array(items.length)
    }
    let n = 0
    for (let p = 0; p < mean.items.length; p++) {
      const i = mean.items[p]!
      slot[i] = n
      items[n] = i
      scores[n++] = base[i]! + (1 - alpha) * mean.values[p]!
    }
    for (let p = lo; p < hi; p++) {
      const i = v.items[p]!
      if (slot[i]! < 0) {
        slot[i] = n
        items[n] = i
        scores[n++] = base[i]!
      }
      scores[slot[i]!]! += alpha * v.values[p]!
    }
    for (let q = 0; q < n; q++) slot[items[q]!] = -1
    return { items: items.subarray(0, n), scores: scores.subarray(0, n) }
  }
}

/** The popularity tie-break of `tifuScores`. */
export function tieBreakBase(pop: Float64Array): Float64Array {
  const out = new Float64Array(pop.length)
  for (let i = 0; i < pop.length; i++) out[i] = pop[i]! * 1e-12
  return out
}

/** A trained TIFU-KNN: the user vectors and the neighbour means of the customers to score. */
export interface TifuModel {
  params: TifuParams
  vectors: UserVectors
  means: Map<number, SparseVector>
}

/** Builds the vectors and the neighbour means of `subjects` (the customers to be scored). */
export function trainTifu(
  baskets: Baskets,
  nItems: number,
  params: TifuParams,
  subjects: Iterable<number>,
): TifuModel {
  const vectors = tifuUserVectors(baskets, nItems, params)
  const find = createNeighbourFinder(vectors)
  const acc = new Float64Array(nItems)
  const means = new Map<number, SparseVector>()
  for (const s of subjects)
    means.set(s, neighbourMeans(vectors, find(s, params.neighbours), [params.neighbours], acc)[0]!)
  return { params, vectors, means }
}

/** The search space (see `tuneTifu` for how it is walked). */
export interface TifuGrid {
  groupSize: number[]
  withinDecay: number[]
  groupDecay: number[]
  neighbours: number[]
  alpha: number[]
  /** k while the decays are chosen. */
  firstNeighbours: number
  /** alphas tried while the decays are chosen. */
  firstAlpha: number[]
}

/**
 * Around the values the paper reports as best on its four datasets (m 3 to 7, r_b 0.9 to 1, r_g
 * 0.6 to 0.7, k 300 to 900, alpha 0.7 to 0.9), widened downwards for shops whose customers rarely
 * buy the same thing twice, and k scaled to our smaller customer counts.
 */
export const TIFU_GRID: TifuGrid = Object.freeze({
  groupSize: [3, 7],
  withinDecay: [0.9, 1],
  groupDecay: [0.3, 0.6, 0.9],
  neighbours: [20, 100, 300],
  alpha: [0.1, 0.3, 0.5, 0.7, 0.9],
  firstNeighbours: 100,
  firstAlpha: [0.1, 0.5, 0.9],
})

/** Defaults when there is nothing to tune on: the paper's Dunnhumby setting. */
export const TIFU_DEFAULTS: TifuParams = Object.freeze({
  groupSize: 7,
  withinDecay: 0.9,
  groupDecay: 0.7,
  neighbours: 300,
  alpha: 0.7,
})

/** Neighbour items kept per customer while searching (see `strongest`). */
const SEARCH_DEPTH = 200

export interface TifuTuning {
  params: TifuParams
  recall20: number
  candidates: number
}

/**
 * Search on a validation split by Recall@20 (ties to the earlier candidate), in two stages, since
 * every (m, r_b, r_g) needs its own vectors and neighbour search: first the decays (every
 * combination, with k = `firstNeighbours` and alpha in `firstAlpha`), then k and alpha (every
 * combination) with the chosen decays.
 */
export function tuneTifu(
  split: Split,
  baskets: Baskets,
  pop: Float64Array,
  grid: TifuGrid = TIFU_GRID,
): TifuTuning {
  const nItems = split.items.ids.length
  const base = tieBreakBase(pop)
  const acc = new Float64Array(nItems)
  let best: TifuTuning | undefined
  let candidates = 0
  const tryAll = (
    decays: Pick<TifuParams, 'groupSize' | 'withinDecay' | 'groupDecay'>,
    ks: readonly number[],
    alphas: readonly number[],
  ): void => {
    const vectors = tifuUserVectors(baskets, nItems, decays)
    const find = createNeighbourFinder(vectors)
    const score = createSparseTifuScorer(vectors, base)
    const kMax = Math.max(...ks)
    const means = new Map(
      split.tests.map((t) => [
        t.subject,
        neighbourMeans(vectors, find(t.subject, kMax), ks, acc).map((m) =>
          strongest(
            m,
            SEARCH_DEPTH,
            base,
            vectors.items.subarray(vectors.ptr[t.subject], vectors.ptr[t.subject + 1]),
          ),
        ),
      ]),
    )
    ks.forEach((neighbours, k) => {
      for (const alpha of alphas) {
        const recall20 = recall20Sparse(split, base, (test) =>
          score(test.subject, means.get(test.subject)![k]!, alpha),
        )
        candidates++
        if (best === undefined || recall20 > best.recall20)
          best = { params: { ...decays, neighbours, alpha }, recall20, candidates: 0 }
      }
    })
  }
  for (const groupSize of grid.groupSize)
    for (const withinDecay of grid.withinDecay)
      for (const groupDecay of grid.groupDecay)
        tryAll({ groupSize, withinDecay, groupDecay }, [grid.firstNeighbours], grid.firstAlpha)
  const { groupSize, withinDecay, groupDecay } = best!.params
  tryAll({ groupSize, withinDecay, groupDecay }, grid.neighbours, grid.alpha)
  return { ...best!, candidates }
}
