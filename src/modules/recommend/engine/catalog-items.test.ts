import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { withItems } from './catalog-items.js'
import { buildInteractions, createHistory, historyOf, type Interactions } from './interactions.js'
import { removeSubject, trainItemModel } from './item-model.js'
import { recommendNonPersonal, recommendPersonal, recommendSession } from './scoring.js'
import { DAY, NOW, syntheticShop, withoutSubject } from './test-data.test-helper.js'

/** The same events over `nItems` items (the extra ones have none). */
function withItemCount(x: Interactions, nItems: number): Interactions {
  const subjects = new Int32Array(x.items.length)
  for (let s = 0; s < x.nSubjects; s++) subjects.fill(s, x.subjectPtr[s], x.subjectPtr[s + 1])
  return buildInteractions(
    { subjects, items: x.items, times: x.times, weights: x.weights },
    x.nSubjects,
    nItems,
  )
}

describe('withItems', () => {
  it('equals training with the larger item count, array for array', () => {
    const shop = syntheticShop(21, 80, 30)
    const excluded = new Uint8Array(30)
    excluded[4] = 1
    const model = trainItemModel(shop, { now: NOW, excluded })
    const grown = withItems(model, 33)
    expect(grown).toEqual(trainItemModel(withItemCount(shop, 33), { now: NOW, excluded }))
    expect(grown.neighbours.ptr.length).toBe(34)
    expect(grown.cooccurrence.ptr.length).toBe(34)
    // The input is left as it was.
    expect(model.nItems).toBe(30)
    expect(model.itemSubjects.length).toBe(30)
  })

  it('returns the model itself when nothing is added, and refuses to shrink it', () => {
    const model = trainItemModel(syntheticShop(2, 20, 10), { now: NOW })
    expect(withItems(model, 10)).toBe(model)
    expect(() => withItems(model, 9)).toThrow(RangeError)
    expect(() => withItems(model, 10.5)).toThrow(RangeError)
  })

  it('lets erasure on the grown model equal a grown model trained without the subject', () => {
    const shop = syntheticShop(3, 120, 40)
    const excluded = new Uint8Array(40)
    excluded[7] = 1
    const grown = withItems(trainItemModel(shop, { now: NOW, excluded }), 45)
    for (const s of [0, 50, 119]) {
      // The mask training used (40 items): what the service passes to erasure.
      const erased = removeSubject(grown, historyOf(shop, s), { excluded })
      const retrained = withItems(
        trainItemModel(withoutSubject(shop, s), { now: NOW, excluded }),
        45,
      )
      expect(erased).toEqual(retrained)
      expect(erased).not.toEqual(grown)
    }
  })

  it('keeps erasure equal to retraining for any shop, subject and growth (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.nat(29),
        fc.integer({ min: 1, max: 5 }),
        (seed, s, added) => {
          const shop = syntheticShop(seed, 30, 20)
          const excluded = new Uint8Array(20)
          excluded[seed % 20] = 1
          const params = { neighbours: 1 + (seed % 5), tauDays: seed % 2 === 0 ? 0 : 45 }
          const model = trainItemModel(shop, { now: NOW, excluded, params })
          const grown = withItems(model, 20 + added)
          // Grown twice (an item now, more later) is grown once.
          expect(withItems(withItems(model, 21), 20 + added)).toEqual(grown)
          expect(removeSubject(grown, historyOf(shop, s), { excluded })).toEqual(
            withItems(
              trainItemModel(withoutSubject(shop, s), { now: NOW, excluded, params }),
              20 + added,
            ),
          )
        },
      ),
      { numRuns: 40 },
    )
  })

  it('serves the added items at every level', () => {
    const shop = syntheticShop(8, 60, 20)
    const grown = withItems(trainItemModel(shop, { now: NOW }), 22)
    const firstSeen = new Float64Array(22).fill(NOW - 90 * DAY)
    firstSeen[20] = NOW - DAY
    firstSeen[21] = NOW - 2 * DAY
    const off = recommendNonPersonal(grown, { limit: 10, firstSeen, now: NOW })
    expect(off.filter((r) => r.reason === 'new').map((r) => r.item)).toEqual([20, 21])
    // Out of stock (blocked): not shown, the other one is.
    const blocked = new Uint8Array(22)
    blocked[20] = 1
    const inStock = recommendNonPersonal(grown, {
      limit: 10,
      firstSeen,
      now: NOW,
      guards: { blocked },
    })
    expect(inStock.filter((r) => r.reason === 'new').map((r) => r.item)).toEqual([21])

    // Bought already (the shop sent the event before the item): bought again; unless excluded.
    const history = createHistory([20, 3], [NOW - DAY, NOW - DAY])
    const personal = recommendPersonal(grown, history, { now: NOW, limit: 22 })
    expect(personal.find((r) => r.item === 20)?.reason).toBe('buy_again')
    const excluded = new Uint8Array(22)
    excluded[20] = 1
    const guarded = recommendPersonal(grown, history, {
      now: NOW,
      limit: 22,
      guards: { excluded, blocked: excluded },
    })
    expect(guarded.map((r) => r.item)).not.toContain(20)
    // No neighbours yet: a session of the new item alone suggests only popular items.
    const session = recommendSession(grown, [21], { limit: 5 })
    expect(session.every((r) => r.reason === 'popular')).toBe(true)
    expect(session.map((r) => r.item)).not.toContain(21)
  })
})
