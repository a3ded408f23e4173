/**
 * Top-k selection over a score array. Deterministic: equal scores go to the lower index, so two runs
 * (and a model rebuilt after erasure) rank identically.
 */

/** True when (a, va) ranks before (b, vb): higher value first, then lower index. */
function before(va: number, a: number, vb: number, b: number): boolean {
  return va > vb || (va === vb && a < b)
}

/**
 * Indices of the `k` best entries among `candidates` (or all of `0..scores.length-1`), best first.
 * Entries whose score is not finite or not above `floor` are skipped, as are those with
 * `skip[i] === 1`.
 */
export function selectTopK(
  scores: ArrayLike<number>,
  k: number,
  options: { candidates?: ArrayLike<number>; skip?: Uint8Array; floor?: number } = {},
): Int32Array {
  const { candidates, skip } = options
  const floor = options.floor ?? Number.NEGATIVE_INFINITY
  const heapIdx = new Int32Array(Math.max(k, 0))
  const heapVal = new Float64Array(Math.max(k, 0))
  let size = 0
  // A min-heap of the best k seen so far; its root is the worst of them.
  const siftDown = (p: number): void => {
    for (;;) {
      const l = 2 * p + 1
      const r = l + 1
      let m = p
      if (l < size && before(heapVal[m]!, heapIdx[m]!, heapVal[l]!, heapIdx[l]!)) m = l
      if (r < size && before(heapVal[m]!, heapIdx[m]!, heapVal[r]!, heapIdx[r]!)) m = r
      if (m === p) return
      const ti = heapIdx[p]!
      const tv = heapVal[p]!
      heapIdx[p] = heapIdx[m]!
      heapVal[p] = heapVal[m]!
      heapIdx[m] = ti
      heapVal[m] = tv
      p = m
    }
  }
  const offer = (i: number): void => {
    if (skip !== undefined && skip[i] === 1) return
    const v = scores[i]!
    if (!(v > floor) || !Number.isFinite(v)) return
    if (size < k) {
      let c = size++
      heapIdx[c] = i
      heapVal[c] = v
      while (c > 0) {
        const p = (c - 1) >> 1
        if (!before(heapVal[p]!, heapIdx[p]!, heapVal[c]!, heapIdx[c]!)) break
        const ti = heapIdx[p]!
        const tv = heapVal[p]!
        heapIdx[p] = heapIdx[c]!
        heapVal[p] = heapVal[c]!
        heapIdx[c] = ti
        heapVal[c] = tv
        c = p
      }
    } else if (k > 0 && before(v, i, heapVal[0]!, heapIdx[0]!)) {
      heapIdx[0] = i
      heapVal[0] = v
      siftDown(0)
    }
  }
  if (candidates !== undefined) for (let c = 0; c < candidates.length; c++) offer(candidates[c]!)
  else for (let i = 0; i < scores.length; i++) offer(i)
  const order = Array.from(heapIdx.subarray(0, size))
  order.sort((a, b) => (before(scores[a]!, a, scores[b]!, b) ? -1 : 1))
  return Int32Array.from(order)
}

/** Position of `value` in the sorted `arr[lo..hi)`, or -1. */
export function binarySearch(
  arr: ArrayLike<number>,
  lo: number,
  hi: number,
  value: number,
): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    const x = arr[mid]!
    if (x < value) lo = mid + 1
    else if (x > value) hi = mid
    else return mid
  }
  return -1
}
