import { describe, expect, it } from 'vitest'
import {
  advance,
  compareArms,
  compareProportions,
  INITIAL_STATE,
  type ArmCounts,
  type SequentialState,
} from './experiments.sequential.js'

/** mulberry32: a small seeded generator, so the simulations are the same on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function binomial(random: () => number, n: number, p: number): number {
  let x = 0
  for (let i = 0; i < n; i++) if (random() < p) x++
  return x
}

interface Run {
  sequentialRejected: boolean
  naiveRejected: boolean
  final: SequentialState & { difference: number }
}

/** One experiment: `days` looks, `perDay` new units per arm each day. */
function simulate(random: () => number, days: number, perDay: number, pa: number, pb: number): Run {
  let a: ArmCounts = { units: 0, conversions: 0 }
  let b: ArmCounts = { units: 0, conversions: 0 }
  let state: SequentialState = INITIAL_STATE
  let difference = 0
  let sequentialRejected = false
  let naiveRejected = false
  for (let day = 0; day < days; day++) {
    a = { units: a.units + perDay, conversions: a.conversions + binomial(random, perDay, pa) }
    b = { units: b.units + perDay, conversions: b.conversions + binomial(random, perDay, pb) }
    const look = advance(state, compareProportions(a, b), 0.05)
    state = look
    difference = look.difference
    if (look.significant) sequentialRejected = true
    // The fixed-horizon z-test, wrongly read every day: what peeking does to a classical test.
    const pooled = (a.conversions + b.conversions) / (a.units + b.units)
    const se = Math.sqrt(pooled * (1 - pooled) * (1 / a.units + 1 / b.units))
    if (se > 0 && Math.abs(look.difference / se) > 1.959964) naiveRejected = true
  }
  return { sequentialRejected, naiveRejected, final: { ...state, difference } }
}

describe('always-valid sequential test (mSPRT)', () => {
  it('keeps the false-positive rate at or below alpha over 1,000 A/A experiments peeked daily', () => {
    const random = seeded(20261207)
    let sequential = 0
    let naive = 0
    let covered = 0
    const experiments = 1_000
    for (let e = 0; e < experiments; e++) {
      const run = simulate(random, 28, 100, 0.1, 0.1)
      if (run.sequentialRejected) sequential++
      if (run.naiveRejected) naive++
      if (run.final.interval[0] <= 0 && run.final.interval[1] >= 0) covered++
    }
    expect(sequential / experiments).toBeLessThanOrEqual(0.05)
    // The simulation is able to catch peeking: the classical test read daily fails far more often.
    expect(naive / experiments).toBeGreaterThan(0.1)
    // The confidence sequence holds the true difference (0) in at least 1 - alpha of runs.
    expect(covered / experiments).toBeGreaterThanOrEqual(0.95)
  }, 20_000)

  it('detects a real lift (10% -> 13%) and its interval excludes 0 and holds the truth', () => {
    const random = seeded(7)
    let detected = 0
    let coveredTruth = 0
    const experiments = 50
    for (let e = 0; e < experiments; e++) {
      const run = simulate(random, 28, 400, 0.1, 0.13)
      if (run.sequentialRejected) detected++
      if (run.final.interval[0] <= 0.03 && run.final.interval[1] >= 0.03) coveredTruth++
      if (run.sequentialRejected) expect(run.final.interval[0]).toBeGreaterThan(0)
    }
    expect(detected / experiments).toBeGreaterThanOrEqual(0.8)
    expect(coveredTruth / experiments).toBeGreaterThanOrEqual(0.9)
  })

  it('gives nothing below the minimum units and at a zero rate in both arms', () => {
    const few = compareProportions({ units: 10, conversions: 5 }, { units: 10, conversions: 0 })
    expect(few.pValue).toBe(1)
    expect(few.interval).toEqual([-1, 1])
    const zero = compareProportions({ units: 500, conversions: 0 }, { units: 500, conversions: 0 })
    expect(zero.pValue).toBe(1)
    expect(zero.relativeLift).toBeNull()
  })

  it('only lowers the p-value and only narrows the interval from look to look', () => {
    const first = compareProportions(
      { units: 1000, conversions: 100 },
      { units: 1000, conversions: 150 },
    )
    const s1 = advance(INITIAL_STATE, first, 0.05)
    const later = compareProportions(
      { units: 2000, conversions: 200 },
      { units: 2000, conversions: 210 },
    )
    const s2 = advance(s1, later, 0.05)
    expect(s2.pValue).toBeLessThanOrEqual(s1.pValue)
    expect(s2.interval[0]).toBeGreaterThanOrEqual(s1.interval[0])
    expect(s2.interval[1]).toBeLessThanOrEqual(s1.interval[1])
    expect(first.relativeLift).toBeCloseTo(0.5, 5)
  })

  it('splits alpha over several treatments (Bonferroni)', () => {
    const arms = [
      { units: 3000, conversions: 300 },
      { units: 3000, conversions: 345 },
      { units: 3000, conversions: 300 },
    ]
    const [one, two] = compareArms(arms, { alpha: 0.05, plannedUnits: 10_000 })
    if (one === undefined) throw new Error('two comparisons expected')
    const alone = compareProportions(arms[0]!, arms[1]!, { alpha: 0.05, plannedUnits: 10_000 })
    expect(one.interval[1] - one.interval[0]).toBeGreaterThan(alone.interval[1] - alone.interval[0])
    expect(two?.difference).toBe(0)
  })
})
