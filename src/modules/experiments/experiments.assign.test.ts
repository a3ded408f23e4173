import { describe, expect, it } from 'vitest'
import {
  assign,
  deriveAssignmentKey,
  drawsFor,
  isValidStages,
  pickVariant,
  type AssignmentUnit,
} from './experiments.assign.js'

const key = deriveAssignmentKey(Buffer.alloc(32, 7))
const subject = (i: number): AssignmentUnit => ({ kind: 'subject', id: `sub_${i.toString(36)}` })

function chiSquare(observed: readonly number[], expected: readonly number[]): number {
  return observed.reduce((sum, o, i) => sum + (o - (expected[i] ?? 0)) ** 2 / (expected[i] ?? 1), 0)
}

describe('experiment assignment', () => {
  it('spreads units uniformly over equal variants (chi-square, 3 df, critical value 16.27 at 0.001)', () => {
    const counts = [0, 0, 0, 0]
    const n = 40_000
    for (let i = 0; i < n; i++) {
      const a = assign(key, 'exp_uniform', subject(i), 1, [1, 1, 1, 1])
      if (!a.enrolled) throw new Error('everyone is in at 100%')
      counts[a.variant] = (counts[a.variant] ?? 0) + 1
    }
    expect(chiSquare(counts, [n / 4, n / 4, n / 4, n / 4])).toBeLessThan(16.27)
  })

  it('follows unequal weights (chi-square, 1 df, critical value 10.83 at 0.001)', () => {
    const counts = [0, 0]
    const n = 20_000
    for (let i = 0; i < n; i++) {
      const a = assign(key, 'exp_weights', subject(i), 1, [9, 1])
      if (a.enrolled) counts[a.variant] = (counts[a.variant] ?? 0) + 1
    }
    expect(chiSquare(counts, [0.9 * n, 0.1 * n])).toBeLessThan(10.83)
  })

  it('draws exposure uniformly (chi-square over 10 bins, 9 df, critical value 27.88 at 0.001)', () => {
    const bins = Array.from({ length: 10 }, () => 0)
    const n = 20_000
    for (let i = 0; i < n; i++) {
      const { exposure } = drawsFor(key, 'exp_exposure', { kind: 'session', id: `ses_${i}` })
      expect(exposure).toBeGreaterThanOrEqual(0)
      expect(exposure).toBeLessThan(1)
      const b = Math.floor(exposure * 10)
      bins[b] = (bins[b] ?? 0) + 1
    }
    expect(
      chiSquare(
        bins,
        bins.map(() => n / 10),
      ),
    ).toBeLessThan(27.88)
  })

  it('is sticky: the same unit gets the same answer, and its variant survives a wider rollout', () => {
    const stages = [0.01, 0.05, 0.25, 0.5]
    for (let i = 0; i < 2_000; i++) {
      const unit = subject(i)
      let inBefore = false
      let variant: number | undefined
      for (const fraction of stages) {
        const a = assign(key, 'exp_sticky', unit, fraction, [1, 1])
        expect(assign(key, 'exp_sticky', unit, fraction, [1, 1])).toEqual(a)
        if (inBefore) expect(a.enrolled).toBe(true)
        if (a.enrolled) {
          if (variant !== undefined) expect(a.variant).toBe(variant)
          variant = a.variant
          inBefore = true
        }
      }
    }
  })

  it('enrols about the stage fraction of units', () => {
    const n = 20_000
    let enrolled = 0
    for (let i = 0; i < n; i++)
      if (assign(key, 'exp_share', subject(i), 0.05, [1, 1]).enrolled) enrolled++
    // Binomial(20000, 0.05): mean 1000, sd 30.8; six sd either side.
    expect(Math.abs(enrolled - 1000)).toBeLessThan(185)
  })

  it('depends on the key, the experiment and the kind of unit', () => {
    const other = deriveAssignmentKey(Buffer.alloc(32, 8))
    const unit = subject(1)
    const a = drawsFor(key, 'exp_a', unit)
    expect(drawsFor(other, 'exp_a', unit)).not.toEqual(a)
    expect(drawsFor(key, 'exp_b', unit)).not.toEqual(a)
    expect(drawsFor(key, 'exp_a', { kind: 'session', id: unit.id })).not.toEqual(a)
    // exposure and variant are separate draws
    expect(a.exposure).not.toBe(a.variant)
  })

  it('checks stages and weights', () => {
    expect(isValidStages([0.01, 0.05, 0.25, 0.5])).toBe(true)
    expect(isValidStages([0.05, 0.01])).toBe(false)
    expect(isValidStages([0])).toBe(false)
    expect(isValidStages([1.5])).toBe(false)
    expect(isValidStages([])).toBe(false)
    expect(pickVariant(0.999999, [1, 1])).toBe(1)
    expect(pickVariant(0, [1, 1])).toBe(0)
    expect(() => pickVariant(0.5, [0, 0])).toThrow(RangeError)
  })
})
