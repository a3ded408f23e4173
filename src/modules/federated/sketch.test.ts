import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  addReport,
  createSketchCounts,
  estimateDeviation,
  estimatePair,
  estimatePairs,
} from './aggregate.js'
import { batchBudgetProblem, spendBudget } from './budget.js'
import {
  encodePair,
  flipThreshold,
  fromWire,
  pairBucket,
  seededWords,
  toWire,
  type RandomWords,
  type SketchShape,
} from './sketch.js'

const SHAPE: SketchShape = { m: 256, k: 8 }

describe('count-mean sketch: unbiased estimates', () => {
  it('estimates pair counts within 4 standard deviations over 20,000 simulated clients', () => {
    const items = Array.from({ length: 24 }, (_, i) => `item-${i}`)
    const pairs: [string, string][] = []
    for (let a = 0; a < items.length; a++)
      for (let b = a + 1; b < items.length; b++) pairs.push([items[a]!, items[b]!])
    // Zipf-like frequencies: pair r is chosen with weight 1 / (r + 1).
    const weights = pairs.map((_, r) => 1 / (r + 1))
    const total = weights.reduce((x, y) => x + y, 0)
    const random = seededWords(7)
    const truth = new Map<string, number>()
    const counts = createSketchCounts(SHAPE, 2)
    for (let client = 0; client < 20_000; client++) {
      let u = (random(1)[0]! / 2 ** 32) * total
      let r = 0
      while (u > weights[r]! && r < pairs.length - 1) u -= weights[r++]!
      const [a, b] = pairs[r]!
      truth.set(`${a}|${b}`, (truth.get(`${a}|${b}`) ?? 0) + 1)
      addReport(counts, fromWire(toWire(encodePair(b, a, 2, SHAPE, random)), SHAPE)!)
    }
    const sd = estimateDeviation(counts)
    expect(sd).toBeGreaterThan(50)
    const errors = pairs.map(([a, b]) => estimatePair(counts, a, b) - (truth.get(`${a}|${b}`) ?? 0))
    for (const e of errors) expect(Math.abs(e)).toBeLessThan(4 * sd)
    // Unbiased: the errors average out (their mean has standard deviation about sd / sqrt(276)).
    const mean = errors.reduce((x, y) => x + y, 0) / errors.length
    expect(Math.abs(mean)).toBeLessThan((4 * sd) / Math.sqrt(errors.length))
    // The most frequent pair stands out of the noise.
    const top = truth.get(`${pairs[0]![0]}|${pairs[0]![1]}`)!
    expect(top).toBeGreaterThan(5 * sd)
    // The bulk estimate agrees with the single one and keeps exactly those above the floor.
    const bulk = estimatePairs([counts], items, 3)
    const expected = pairs.filter(([a, b]) => estimatePair(counts, a, b) >= 3 * sd)
    expect(bulk.counts.length).toBe(expected.length)
    expect(bulk.counts.length).toBeGreaterThan(0)
    for (let e = 0; e < bulk.counts.length; e++) {
      const a = items[bulk.a[e]!]!
      const b = items[bulk.b[e]!]!
      expect(bulk.counts[e]).toBeCloseTo(estimatePair(counts, a, b), 6)
    }
  })
})

describe('count-mean sketch: the randomization is epsilon-LDP', () => {
  it('flips a bit exactly when its word is below the threshold', () => {
    const shape: SketchShape = { m: 16, k: 1 }
    const t = flipThreshold(3)
    const bucket = pairBucket('a', 'b', 0, 16)
    const all =
      (w: number): RandomWords =>
      (n) =>
        new Uint32Array(n).fill(w)
    const kept = encodePair('a', 'b', 3, shape, all(t))
    const flipped = encodePair('a', 'b', 3, shape, all(t - 1))
    const bit = (bits: Uint8Array, i: number) => (bits[i >>> 3]! >>> (i & 7)) & 1
    for (let i = 0; i < 16; i++) {
      expect(bit(kept.bits, i)).toBe(i === bucket ? 1 : 0)
      expect(bit(flipped.bits, i)).toBe(i === bucket ? 0 : 1)
    }
  })

  it('makes every report at most e^epsilon times likelier under one pair than another (exact)', () => {
    // With the flip probability p = threshold / 2^32 (the rule checked above), the encoder's
    // distribution over all 2^16 outputs of a 16-bit row is enumerated for two pairs in different
    // buckets; the largest ratio must not pass e^epsilon, and should reach it (the bound is tight).
    for (const epsilon of [0.1, 0.5, 1, 2, Math.LN2 * 3, 4, 8, 13.7]) {
      const p = flipThreshold(epsilon) / 2 ** 32
      const [b1, b2] = [3, 11]
      let worst = -Infinity
      for (let y = 0; y < 1 << 16; y++) {
        let log1 = 0
        let log2 = 0
        for (let i = 0; i < 16; i++) {
          const one = (y >>> i) & 1
          log1 += Math.log((one === 1) === (i === b1) ? 1 - p : p)
          log2 += Math.log((one === 1) === (i === b2) ? 1 - p : p)
        }
        worst = Math.max(worst, log1 - log2)
      }
      expect(worst).toBeLessThanOrEqual(epsilon + 1e-12)
      expect(worst).toBeGreaterThan(epsilon - 1e-6)
    }
  })

  it('keeps the ratio within e^epsilon for any epsilon (threshold rounded the safe way)', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.01, max: 20, noNaN: true }), (epsilon) => {
        const p = flipThreshold(epsilon) / 2 ** 32
        return 2 * Math.log((1 - p) / p) <= epsilon + 1e-12
      }),
    )
  })
})

describe('per-day budget', () => {
  const budget = { epsilonPerContribution: 2, epsilonPerDay: 8 }
  const day = new Date('2026-03-01T10:00:00Z')

  it('allows floor(day / contribution) reports a UTC day and renews the next day', () => {
    const first = spendBudget(undefined, day, budget, 3)
    expect(first.allowed).toBe(3)
    const second = spendBudget(first.ledger, new Date('2026-03-01T23:59:00Z'), budget, 5)
    expect(second.allowed).toBe(1)
    expect(spendBudget(second.ledger, day, budget, 1).allowed).toBe(0)
    expect(spendBudget(second.ledger, new Date('2026-03-02T00:00:01Z'), budget, 9).allowed).toBe(4)
  })

  it('never spends more than epsilon per day, whatever the sequence of requests', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 10 })), {
          maxLength: 30,
        }),
        (steps) => {
          let ledger
          const spent = new Map<number, number>()
          let at = 0
          for (const [days, wanted] of steps) {
            at += days
            const r = spendBudget(ledger, new Date(day.getTime() + at * 86_400_000), budget, wanted)
            ledger = r.ledger
            spent.set(at, (spent.get(at) ?? 0) + r.allowed * budget.epsilonPerContribution)
          }
          return [...spent.values()].every((e) => e <= budget.epsilonPerDay)
        },
      ),
    )
  })

  it('refuses a batch at another epsilon or with more than a day of reports', () => {
    expect(batchBudgetProblem(2, 4, budget)).toBeUndefined()
    expect(batchBudgetProblem(4, 1, budget)?.field).toBe('epsilon')
    expect(batchBudgetProblem(2, 5, budget)?.field).toBe('reports')
  })
})
