import { describe, expect, it } from 'vitest'
import { buildBaskets } from '../bench/lib/baskets.js'
import type { RawEvents } from '../bench/lib/data.js'
import { easeGram, easeWeights, invertSpd } from '../bench/lib/ease.js'
import { evaluate, recall20Sparse } from '../bench/lib/metrics.js'
import { splitAt } from '../bench/lib/split.js'
import {
  createNeighbourFinder,
  neighbourMeans,
  tifuUserVectors,
  type UserVectors,
} from '../bench/lib/tifu-knn.js'
import { validationSplit } from '../bench/lib/validation.js'
import { createRandom } from '../bench/synthetic-shop.js'

const DAY = 86_400_000
const T0 = Date.parse('2024-01-01T00:00:00Z')

/** Random purchases: `customers` customers buying from `items` items over 100 days. */
function randomRaw(seed: number, customers: number, items: number, rows: number): RawEvents {
  const rand = createRandom(seed)
  const raw: RawEvents = { customers: [], items: [], times: [] }
  for (let e = 0; e < rows; e++) {
    raw.customers.push(`c${Math.floor(rand() * customers)}`)
    // Squaring skews popularity so that some items are shared widely.
    raw.items.push(`i${Math.floor(rand() * rand() * items)}`)
    raw.times.push(T0 + Math.floor(rand() * 100) * DAY)
  }
  return raw
}

function spd(n: number, seed: number): Float64Array {
  const rand = createRandom(seed)
  const x = Float64Array.from({ length: 3 * n * n }, () => (rand() < 0.2 ? 1 : 0))
  const a = new Float64Array(n * n)
  for (let r = 0; r < 3 * n; r++)
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) a[i * n + j]! += x[r * n + i]! * x[r * n + j]!
  for (let i = 0; i < n; i++) a[i * n + i]! += 1
  return a
}

describe('EASE', () => {
  it('inverts a symmetric positive definite matrix', () => {
    const n = 40
    const a = spd(n, 3)
    const inv = invertSpd(a, n)
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0
        for (let k = 0; k < n; k++) s += a[i * n + k]! * inv[k * n + j]!
        expect(s).toBeCloseTo(i === j ? 1 : 0, 9)
      }
    }
  })

  it('solves the constrained least squares: (G + lambda I) B equals G off the diagonal', () => {
    const split = splitAt(randomRaw(5, 60, 25, 600), T0 + 200 * DAY)
    const n = split.items.ids.length
    const columns = Int32Array.from({ length: n }, (_, i) => i)
    const gram = easeGram(split.train, columns)
    const lambda = 7
    const b = easeWeights(gram, n, lambda)
    for (let i = 0; i < n; i++) {
      expect(b[i * n + i]).toBe(0)
      for (let j = 0; j < n; j++) {
        if (i === j) continue
        let s = 0
        for (let k = 0; k < n; k++) s += (gram[i * n + k]! + (i === k ? lambda : 0)) * b[k * n + j]!
        expect(s).toBeCloseTo(gram[i * n + j]!, 3)
      }
    }
  })
})

describe('recall20Sparse', () => {
  it('equals the Recall@20 of evaluate, ties included', () => {
    const raw = randomRaw(11, 80, 60, 2000)
    const split = splitAt(raw, T0 + 70 * DAY)
    const nItems = split.items.ids.length
    const rand = createRandom(12)
    // Integer bases and scores force many ties, which both must break the same way.
    const base = Float64Array.from({ length: nItems }, () => Math.floor(rand() * 5))
    const sparse = new Map(
      split.tests.map((t) => {
        const items = [...new Set(Array.from({ length: 15 }, () => Math.floor(rand() * nItems)))]
        return [t.subject, { items, scores: items.map(() => Math.floor(rand() * 8)) }] as const
      }),
    )
    const dense = evaluate(split, (t) => {
      const out = base.slice()
      const s = sparse.get(t.subject)!
      s.items.forEach((i, k) => (out[i] = s.scores[k]!))
      return out
    })
    expect(split.tests.length).toBeGreaterThan(10)
    expect(recall20Sparse(split, base, (t) => sparse.get(t.subject)!)).toBeCloseTo(
      dense.recall20,
      12,
    )
  })
})

describe('TIFU-KNN', () => {
  it('decays baskets within groups of m, counted from the newest, and groups across', () => {
    const raw: RawEvents = {
      customers: ['u', 'u', 'u', 'u'],
      items: ['a', 'b', 'a', 'c'],
      times: [T0, T0 + DAY, T0 + 2 * DAY, T0 + 2 * DAY],
    }
    const split = splitAt(raw, T0 + 10 * DAY)
    const baskets = buildBaskets(raw, split)
    expect(baskets.ptr[1]).toBe(3)
    const v = tifuUserVectors(baskets, split.items.ids.length, {
      groupSize: 2,
      withinDecay: 0.5,
      groupDecay: 0.5,
    })
    const value = (id: string): number => {
      const i = split.items.byId.get(id)!
      const p = Array.from(v.items).indexOf(i)
      return v.values[p]!
    }
    // Groups: [a] (older, weight 0.5 / 2 groups) and [b], [a, c] (newest; b decayed by 0.5, mean
    // over 2 baskets, weight 1 / 2 groups).
    expect(value('a')).toBeCloseTo(0.25 + 0.25)
    expect(value('b')).toBeCloseTo(0.125)
    expect(value('c')).toBeCloseTo(0.25)
  })

  it('finds the same nearest users as a brute-force Euclidean search', () => {
    const raw = randomRaw(21, 50, 30, 800)
    const split = splitAt(raw, T0 + 200 * DAY)
    const v: UserVectors = tifuUserVectors(buildBaskets(raw, split), split.items.ids.length, {
      groupSize: 3,
      withinDecay: 0.9,
      groupDecay: 0.7,
    })
    const nUsers = v.ptr.length - 1
    const dense = (s: number): Float64Array => {
      const out = new Float64Array(v.nItems)
      for (let p = v.ptr[s]!; p < v.ptr[s + 1]!; p++) out[v.items[p]!] = v.values[p]!
      return out
    }
    const find = createNeighbourFinder(v)
    for (const s of [0, 7, 19]) {
      const me = dense(s)
      const others = Array.from({ length: nUsers }, (_, t) => t).filter((t) => t !== s)
      const dist = (t: number): number =>
        dense(t).reduce((acc, x, i) => acc + (x - me[i]!) * (x - me[i]!), 0)
      const expected = others
        .map((t) => [t, dist(t)] as const)
        .sort((a, b) => a[1] - b[1] || a[0] - b[0])
        .slice(0, 10)
      const got = find(s, 10)
      expect(Array.from(got, (t) => dist(t))).toEqual(
        expected.map(([, d]) => expect.closeTo(d, 9) as unknown as number),
      )
      // Means of prefixes are the means of the first k rows.
      const [m3] = neighbourMeans(v, got, [3])
      const sum = new Float64Array(v.nItems)
      for (const t of got.subarray(0, 3)) dense(t).forEach((x, i) => (sum[i]! += x / 3))
      m3!.items.forEach((i, k) => expect(m3!.values[k]).toBeCloseTo(sum[i]!, 12))
    }
  })
})

describe('baskets and the validation split', () => {
  it('groups rows by basket id, else by customer and timestamp, before the cutoff only', () => {
    const raw: RawEvents = {
      customers: ['u', 'u', 'u', 'w', 'u'],
      items: ['a', 'b', 'c', 'a', 'd'],
      times: [T0, T0, T0 + DAY, T0, T0 + 30 * DAY],
    }
    const split = splitAt(raw, T0 + 10 * DAY)
    const byTime = buildBaskets(raw, split)
    expect(byTime.times.length).toBe(3)
    const withIds = buildBaskets({ ...raw, baskets: ['x', 'y', 'x', 'z', 'v'] }, split)
    // u: basket x holds a and c (first at T0), basket y holds b; the row after the cutoff is out.
    expect(withIds.times.length).toBe(3)
    const u = split.subjects.byId.get('u')!
    const lo = withIds.ptr[u]!
    const first = Array.from(withIds.items.subarray(withIds.itemPtr[lo], withIds.itemPtr[lo + 1]))
    expect(first.map((i) => split.items.ids[i]).sort()).toEqual(['a', 'c'])
  })

  it('holds out the end of the train period and never reads the test period', () => {
    const raw = randomRaw(31, 40, 20, 1500)
    // An item that exists only in the test period.
    raw.customers.push('c1')
    raw.items.push('only-in-test')
    raw.times.push(T0 + 90 * DAY)
    const cutoff = T0 + 80 * DAY
    const v = validationSplit(raw, cutoff)!
    expect(v.end).toBe(cutoff)
    expect(v.cutoff).toBeLessThanOrEqual(cutoff - 7 * DAY)
    expect(Math.max(...v.raw.times)).toBeLessThan(cutoff)
    expect(v.split.items.byId.has('only-in-test')).toBe(false)
    expect(v.split.tests.length).toBeGreaterThan(0)
  })
})
