import { describe, expect, it } from 'vitest'
import { addRows, federatedRows } from './federated.js'
import { buildInteractions } from './interactions.js'
import { trainItemModel } from './item-model.js'
import { QUANT } from './item-model.stats.js'

const DAY = 86_400_000
const now = Date.parse('2026-03-01T00:00:00Z')

/** Three shoppers over five items; items 3 and 4 are never held together. */
function interactions() {
  const rows: [number, number][] = [
    [0, 0],
    [0, 1],
    [1, 0],
    [1, 1],
    [1, 2],
    [2, 3],
    [2, 2],
    [2, 4],
  ]
  return buildInteractions(
    {
      subjects: Int32Array.from(rows, (r) => r[0]),
      items: Int32Array.from(rows, (r) => r[1]),
      times: Float64Array.from(rows, (_, e) => now - (10 - e) * DAY),
    },
    3,
    5,
  )
}

describe('federated pair counts in training', () => {
  it('adds the estimated counts to the co-occurrence and changes nothing else', () => {
    const base = trainItemModel(interactions(), { now })
    const federated = {
      a: Int32Array.from([0, 3]),
      b: Int32Array.from([4, 1]),
      counts: Float64Array.from([5, 2]),
    }
    const model = trainItemModel(interactions(), { now, federated })
    const unit = 2 ** -base.params.subjectExponent
    const s = (m: typeof base, i: number, j: number) => {
      for (let p = m.cooccurrence.ptr[i]!; p < m.cooccurrence.ptr[i + 1]!; p++)
        if (m.cooccurrence.cols[p] === j) return m.cooccurrence.values[p]!
      return 0
    }
    for (let i = 0; i < 5; i++)
      for (let j = 0; j < 5; j++) {
        const extra =
          (i === 0 && j === 4) || (i === 4 && j === 0)
            ? 5
            : (i === 1 && j === 3) || (i === 3 && j === 1)
              ? 2
              : 0
        expect(s(model, i, j)).toBe(s(base, i, j) + Math.round(extra * unit * QUANT))
      }
    expect(model.itemSubjects).toEqual(base.itemSubjects)
    expect(model.selfOccurrence).toEqual(base.selfOccurrence)
    // Item 4 now has item 0 as a neighbour, which no history gave it.
    const row = (m: typeof base, i: number) =>
      Array.from(m.neighbours.cols.subarray(m.neighbours.ptr[i], m.neighbours.ptr[i + 1]))
    expect(row(base, 4)).not.toContain(0)
    expect(row(model, 4)).toContain(0)
  })

  it('merges rows exactly and drops counts that are not above 0', () => {
    const f = federatedRows(
      {
        a: Int32Array.from([1, 2, 0, 2]),
        b: Int32Array.from([0, 1, 1, 2]),
        counts: Float64Array.from([1, -3, 2, 9]),
        unit: 1,
      },
      3,
    )
    // (1,0) and (0,1) are the same pair: summed; the negative one and the diagonal are dropped.
    expect(Array.from(f.ptr)).toEqual([0, 1, 2, 2])
    expect(Array.from(f.values)).toEqual([3 * QUANT, 3 * QUANT])
    const s = {
      ptr: Int32Array.from([0, 1, 2, 2]),
      cols: Int32Array.from([2, 2]),
      values: Float64Array.from([7, 8]),
    }
    const sum = addRows(s, f)
    expect(Array.from(sum.cols)).toEqual([1, 2, 0, 2])
    expect(Array.from(sum.values)).toEqual([3 * QUANT, 7, 3 * QUANT, 8])
  })
})
