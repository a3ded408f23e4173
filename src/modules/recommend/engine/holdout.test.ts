import { describe, expect, it } from 'vitest'
import { clearlyBetter } from './holdout.js'

/** `n` shoppers' recalls: `base` for all, `gain` added to every `every`-th one. */
const recalls = (n: number, base: number, gain = 0, every = 1) =>
  Float64Array.from({ length: n }, (_, i) => base + (i % every === 0 ? gain : 0))

describe('clearlyBetter (one standard error of the paired difference)', () => {
  it('keeps a gain shared by many shoppers', () => {
    // 0.2 more for every 4th of 1,000 shoppers: mean 0.05, standard error about 0.0027.
    expect(clearlyBetter(recalls(1000, 0.3, 0.2, 4), recalls(1000, 0.3))).toBe(true)
  })

  it('does not keep a small mean gain of shoppers who gain and lose', () => {
    // Half of 40 shoppers gain 0.5, half lose 0.45: mean 0.025, standard error about 0.075.
    const a = Float64Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? 0.8 : 0.3))
    const b = Float64Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? 0.3 : 0.75))
    expect(clearlyBetter(a, b)).toBe(false)
  })

  it('never keeps a loss, a tie, or shoppers that do not pair up', () => {
    expect(clearlyBetter(recalls(100, 0.2), recalls(100, 0.3))).toBe(false)
    expect(clearlyBetter(recalls(100, 0.3), recalls(100, 0.3))).toBe(false)
    expect(clearlyBetter(recalls(100, 0.5), recalls(99, 0.3))).toBe(false)
    expect(clearlyBetter(recalls(1, 0.5), recalls(1, 0.3))).toBe(false)
  })

  it('keeps a gain with no spread at all', () => {
    expect(clearlyBetter(recalls(10, 0.4), recalls(10, 0.3))).toBe(true)
  })
})
