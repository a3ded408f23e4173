import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { selectTopK } from './top-k.js'

describe('selectTopK', () => {
  it('returns the best k, ties to the lower index, skipping masked and non-positive', () => {
    const scores = Float64Array.of(0.5, 2, 2, -1, 3, 0)
    expect(Array.from(selectTopK(scores, 3))).toEqual([4, 1, 2])
    expect(Array.from(selectTopK(scores, 10, { floor: 0 }))).toEqual([4, 1, 2, 0])
    expect(Array.from(selectTopK(scores, 2, { skip: Uint8Array.of(0, 1, 0, 0, 1, 0) }))).toEqual([
      2, 0,
    ])
    expect(Array.from(selectTopK(scores, 2, { candidates: [0, 3, 5] }))).toEqual([0, 5])
  })

  it('agrees with a full sort (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -5, max: 5 }), { maxLength: 60 }),
        fc.nat(70),
        (xs, k) => {
          const scores = Float64Array.from(xs)
          const expected = xs
            .map((v, i) => ({ v, i }))
            .sort((a, b) => b.v - a.v || a.i - b.i)
            .slice(0, k)
            .map((x) => x.i)
          expect(Array.from(selectTopK(scores, k))).toEqual(expected)
        },
      ),
    )
  })
})
