import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { buildInteractions, historyOf, type Interactions } from './interactions.js'
import { QUANT_BITS, removeSubject, trainItemModel, type ItemModel } from './item-model.js'
import { selectTopK } from './top-k.js'
import {
  fromRows,
  NOW,
  reverseSubjects,
  syntheticShop,
  withoutSubject,
} from './test-data.test-helper.js'

function neighboursOf(model: ItemModel, i: number): number[] {
  const { ptr, cols, weights } = model.neighbours
  const row = Array.from(cols.subarray(ptr[i], ptr[i + 1]), (j, k) => ({
    j,
    w: weights[ptr[i]! + k]!,
  }))
  return row.sort((a, b) => b.w - a.w || a.j - b.j).map((x) => x.j)
}

describe('trainItemModel', () => {
  const data = fromRows([
    ['u1', 'mug', 1],
    ['u1', 'saucer', 1],
    ['u2', 'mug', 2],
    ['u2', 'saucer', 2],
    ['u3', 'mug', 3],
    ['u3', 'spoon', 3],
    ['u4', 'candle', 5],
    ['u4', 'spoon', 5],
  ])

  it('ranks the item bought together more often first', () => {
    const model = trainItemModel(data.interactions, { now: NOW })
    expect(neighboursOf(model, data.item('mug')).map(data.name)).toEqual(['saucer', 'spoon'])
    expect(neighboursOf(model, data.item('candle')).map(data.name)).toEqual(['spoon'])
    expect(Array.from(model.itemSubjects)).toEqual([3, 2, 2, 1])
  })

  it('keeps co-occurrence symmetric and integer', () => {
    const model = trainItemModel(syntheticShop(7), { now: NOW })
    const { ptr, cols, values } = model.cooccurrence
    for (let i = 0; i < model.nItems; i++) {
      for (let p = ptr[i]!; p < ptr[i + 1]!; p++) {
        const j = cols[p]!
        const back = cols.subarray(ptr[j], ptr[j + 1]).indexOf(i)
        expect(back).toBeGreaterThanOrEqual(0)
        expect(values[ptr[j]! + back]).toBe(values[p])
        expect(Number.isInteger(values[p])).toBe(true)
      }
    }
    expect(QUANT_BITS).toBeGreaterThan(0)
  })

  it('never uses excluded items as input', () => {
    const excluded = new Uint8Array(data.interactions.nItems)
    excluded[data.item('spoon')] = 1
    const model = trainItemModel(data.interactions, { now: NOW, excluded })
    expect(model.itemSubjects[data.item('spoon')]).toBe(0)
    expect(neighboursOf(model, data.item('mug')).map(data.name)).toEqual(['saucer'])
    expect(neighboursOf(model, data.item('candle'))).toEqual([])
    expect(neighboursOf(model, data.item('spoon'))).toEqual([])
  })

  it('ignores events after the training time', () => {
    const model = trainItemModel(data.interactions, { now: NOW - 2.5 * 86_400_000 })
    expect(neighboursOf(model, data.item('saucer'))).toEqual([])
    expect(model.subjects).toBe(2)
  })

  it('keeps the k largest W_ij per row, equal ones to the lower item, as selectTopK ranks (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 8 }),
        (seed, k) => {
          // tauDays 0 and gamma 0: integer co-occurrences, so many weights tie.
          const params = { neighbours: k, tauDays: 0, subjectExponent: 0, alpha: 0, beta: 0 }
          const model = trainItemModel(syntheticShop(seed, 50, 20), { now: NOW, params })
          const { ptr, cols, values } = model.cooccurrence
          for (let i = 0; i < model.nItems; i++) {
            const w = new Float64Array(model.nItems)
            for (let p = ptr[i]!; p < ptr[i + 1]!; p++) w[cols[p]!] = values[p]! / 2 ** QUANT_BITS
            const expected = Array.from(selectTopK(w, k, { floor: 0 })).sort((a, b) => a - b)
            const nb = model.neighbours
            expect(Array.from(nb.cols.subarray(nb.ptr[i], nb.ptr[i + 1]))).toEqual(expected)
          }
        },
      ),
      { numRuns: 30 },
    )
  })

  it('does not depend on subject order', () => {
    const shop = syntheticShop(11)
    const reversed = reverseSubjects(shop)
    expect(reversed.subjectPtr).not.toEqual(shop.subjectPtr)
    expect(trainItemModel(reversed, { now: NOW })).toEqual(trainItemModel(shop, { now: NOW }))
  })
})

describe('event weights', () => {
  it('ignores weight-0 events and caps weights at 1', () => {
    const shop = syntheticShop(9, 60, 30)
    const heavier = buildInteractions(
      {
        subjects: subjectColumn(shop),
        items: shop.items,
        times: shop.times,
        weights: Float32Array.from(shop.items, () => 3),
      },
      shop.nSubjects,
      shop.nItems,
    )
    expect(trainItemModel(heavier, { now: NOW })).toEqual(trainItemModel(shop, { now: NOW }))
    const withZero = buildInteractions(
      {
        subjects: Int32Array.from([...subjectColumn(shop), 0, 1]),
        items: Int32Array.from([...shop.items, 29, 28]),
        times: Float64Array.from([...shop.times, NOW - 1000, NOW - 1000]),
        weights: Float32Array.from([...shop.weights, 0, 0]),
      },
      shop.nSubjects,
      shop.nItems,
    )
    expect(trainItemModel(withZero, { now: NOW })).toEqual(trainItemModel(shop, { now: NOW }))
  })

  it('lets a view link items less strongly than a purchase', () => {
    const rows = (w: number) =>
      buildInteractions(
        {
          subjects: Int32Array.of(0, 0, 1, 1, 1),
          items: Int32Array.of(0, 1, 0, 2, 1),
          times: Float64Array.of(NOW, NOW, NOW, NOW, NOW),
          weights: Float32Array.of(1, 1, 1, 1, w),
        },
        2,
        3,
      )
    const w = (m: ItemModel) => m.neighbours.weights[m.neighbours.ptr[2]! + 1]! // row 2, item 1
    expect(w(trainItemModel(rows(0.25), { now: NOW }))).toBeLessThan(
      w(trainItemModel(rows(1), { now: NOW })),
    )
  })
})

describe('removeSubject (erasure)', () => {
  it('equals training from scratch without the subject, array for array', () => {
    const shop = syntheticShop(3, 200, 80)
    const model = trainItemModel(shop, { now: NOW })
    for (const s of [0, 17, 101, 199]) {
      const erased = removeSubject(model, historyOf(shop, s))
      const retrained = trainItemModel(withoutSubject(shop, s), { now: NOW })
      expect(erased).toEqual(retrained)
      expect(erased).not.toEqual(model)
    }
  })

  it('holds for any subject of any shop (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.nat(39), (seed, s) => {
        const shop = syntheticShop(seed, 40, 25)
        const excluded = new Uint8Array(25)
        excluded[seed % 25] = 1
        const params = { neighbours: 1 + (seed % 6), tauDays: seed % 2 === 0 ? 0 : 45 }
        const model = trainItemModel(shop, { now: NOW, excluded, params })
        const erased = removeSubject(model, historyOf(shop, s), { excluded })
        expect(erased).toEqual(
          trainItemModel(withoutSubject(shop, s), { now: NOW, excluded, params }),
        )
      }),
      { numRuns: 60 },
    )
  })

  it('holds with the EASE component: refitted on the same items, as retraining with them (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.nat(39), (seed, s) => {
        const shop = syntheticShop(seed, 40, 25)
        const excluded = new Uint8Array(25)
        excluded[seed % 25] = 1
        const params = {
          easeItems: 5 + (seed % 20),
          easeLambda: [0.5, 2][seed % 2]!,
          tauDays: seed % 3 === 0 ? 0 : 45,
          subjectExponent: seed % 2 === 0 ? 0.5 : 1,
        }
        const model = trainItemModel(shop, { now: NOW, excluded, params })
        expect(model.ease!.items.length).toBeGreaterThan(0)
        const erased = removeSubject(model, historyOf(shop, s), { excluded })
        expect(erased).toEqual(
          trainItemModel(withoutSubject(shop, s), {
            now: NOW,
            excluded,
            params,
            easeItems: model.ease!.items,
          }),
        )
      }),
      { numRuns: 40 },
    )
  })

  it('refits EASE after an erasure: the erased subject changes its weights', () => {
    const shop = syntheticShop(4, 60, 30)
    const model = trainItemModel(shop, { now: NOW, params: { easeItems: 30, easeLambda: 0.5 } })
    const erased = removeSubject(model, historyOf(shop, 2))
    expect(erased.ease!.items).toEqual(model.ease!.items)
    expect(erased.ease!.weights).not.toEqual(model.ease!.weights)
    // Without the subject from the start, on the same items: the same weights, bit for bit.
    const retrained = trainItemModel(withoutSubject(shop, 2), {
      now: NOW,
      params: { easeItems: 30, easeLambda: 0.5 },
      easeItems: model.ease!.items,
    })
    expect(erased.ease!.weights).toEqual(retrained.ease!.weights)
  })

  it('holds for erasures one after another, with full and short neighbour rows and any beta (property)', () => {
    // Short rows (few neighbours) make most erasures re-rank rows; long ones only rewrite weights;
    // beta < 0 makes the removed items' weights fall, so rows are ranked again in full.
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.uniqueArray(fc.nat(59), { minLength: 1, maxLength: 4 }),
        fc.constantFrom(1, 2, 4, 8, 40),
        fc.constantFrom(-0.3, 0, 0.5, 1),
        (seed, gone, neighbours, beta) => {
          const shop = syntheticShop(seed, 60, 30)
          const params = { neighbours, beta, alpha: seed % 2 === 0 ? 0.5 : 1 }
          let erased = trainItemModel(shop, { now: NOW, params })
          let without = shop
          for (const s of gone) {
            erased = removeSubject(erased, historyOf(shop, s))
            without = withoutSubject(without, s)
            expect(erased).toEqual(trainItemModel(without, { now: NOW, params }))
          }
        },
      ),
      { numRuns: 60 },
    )
  })

  it('leaves the model it erased from as it was', () => {
    const shop = syntheticShop(6, 80, 30)
    const model = trainItemModel(shop, { now: NOW, params: { neighbours: 3 } })
    const copy = structuredClone(model)
    removeSubject(model, historyOf(shop, 1))
    removeSubject(model, historyOf(shop, 2))
    expect(model).toEqual(copy)
  })

  it('erasing everyone leaves an empty model', () => {
    const shop = syntheticShop(5, 30, 20)
    let model = trainItemModel(shop, { now: NOW })
    for (let s = 0; s < shop.nSubjects; s++) model = removeSubject(model, historyOf(shop, s))
    expect(model.subjects).toBe(0)
    expect(model.cooccurrence.cols.length).toBe(0)
    expect(model.neighbours.cols.length).toBe(0)
    expect(Array.from(model.itemSubjects).every((c) => c === 0)).toBe(true)
  })

  it('refuses a history the model never saw', () => {
    const data = fromRows(
      [
        ['u1', 'a', 1],
        ['u1', 'b', 1],
      ],
      ['a', 'b', 'c'],
    )
    const model = trainItemModel(data.interactions, { now: NOW })
    const stranger = {
      items: Int32Array.of(data.item('c')),
      times: Float64Array.of(NOW - 86_400_000),
    }
    expect(() => removeSubject(model, stranger)).toThrow(RangeError)
  })
})

function subjectColumn(x: Interactions): Int32Array {
  const out = new Int32Array(x.items.length)
  for (let s = 0; s < x.nSubjects; s++) out.fill(s, x.subjectPtr[s], x.subjectPtr[s + 1])
  return out
}
