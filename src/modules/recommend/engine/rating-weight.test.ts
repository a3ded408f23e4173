import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { MIN_RATINGS, MIN_RATING_FACTOR, ratingFactor } from './rating-weight.js'

const lows = (n: number) => ({ count: n, sum: n, low: n })

describe('ratingFactor: aggregated low ratings lower an item for everyone', () => {
  it('leaves an item alone with fewer than MIN_RATINGS ratings, however low', () => {
    expect(ratingFactor(lows(MIN_RATINGS - 1), 4.2)).toBe(1)
  })
  it('leaves an item alone when its ratings are not mostly low', () => {
    // Six ratings, three of them 1s and three 5s: half, not most.
    expect(ratingFactor({ count: 6, sum: 18, low: 3 }, 4)).toBe(1)
  })
  it('down-weights an item whose ratings are mostly low, more as the evidence grows', () => {
    const five = ratingFactor(lows(5), 4.2)
    const twenty = ratingFactor(lows(20), 4.2)
    const thousand = ratingFactor(lows(1000), 4.2)
    expect(five).toBeLessThan(1)
    expect(twenty).toBeLessThan(five)
    expect(thousand).toBeLessThan(twenty)
    // (10 * 4.2 + 5) / 15 / 4.2
    expect(five).toBeCloseTo(47 / 15 / 4.2, 9)
    expect(thousand).toBe(MIN_RATING_FACTOR)
  })
  it('is always in [MIN_RATING_FACTOR, 1] and never rises as low ratings are added', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 0, max: 200 }),
        fc.double({ min: 1, max: 5, noNaN: true }),
        (low, high, mean) => {
          const before = ratingFactor({ count: low + high, sum: low + 5 * high, low }, mean)
          const after = ratingFactor(
            { count: low + high + 1, sum: low + 1 + 5 * high, low: low + 1 },
            mean,
          )
          expect(before).toBeGreaterThanOrEqual(MIN_RATING_FACTOR)
          expect(before).toBeLessThanOrEqual(1)
          expect(after).toBeLessThanOrEqual(before + 1e-12)
        },
      ),
    )
  })
})
