import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { withItems } from './catalog-items.js'
import { createHistory, type History } from './interactions.js'
import { trainItemModel, type ItemModel } from './item-model.js'
import { mixReasons } from './mix.js'
import { addNewInCategory } from './new-in-category.js'
import {
  type Recommendation,
  type ReasonKind,
  recommendNonPersonal,
  recommendPersonal,
  recommendSession,
  REASON_KINDS,
} from './scoring.js'
import { DAY, fromRows, NOW, syntheticShop } from './test-data.test-helper.js'

// A tea shop: mug+saucer are bought together, candles with matches, and "tea" is rebought.
const shop = fromRows([
  ['u1', 'mug', 40],
  ['u1', 'saucer', 40],
  ['u1', 'tea', 40],
  ['u2', 'mug', 20],
  ['u2', 'saucer', 20],
  ['u3', 'mug', 10],
  ['u3', 'saucer', 10],
  ['u3', 'tea', 10],
  ['u3', 'tea', 3],
  ['u4', 'candle', 8],
  ['u4', 'matches', 8],
  ['u5', 'candle', 6],
  ['u5', 'matches', 6],
  ['u5', 'tea', 6],
])
const { item, name } = shop
const model = trainItemModel(shop.interactions, { now: NOW, params: { recentDays: 14 } })
const names = (recs: readonly Recommendation[]) => recs.map((r) => name(r.item))

/** `[item, daysAgo, bought]` events of one shopper. */
function shopper(...rows: [string, number, boolean][]): History {
  return createHistory(
    rows.map((r) => item(r[0])),
    rows.map((r) => NOW - r[1] * DAY),
    rows.map((r) => (r[2] ? 1 : 0.25)),
    rows.map((r) => (r[2] ? 1 : 0)),
  )
}

describe('reasons that are true of the evidence', () => {
  it('says looked_at, not buy_again, for an item the shopper only viewed', () => {
    const recs = recommendPersonal(model, shopper(['tea', 2, false], ['mug', 3, true]), {
      now: NOW,
      limit: 4,
    })
    const tea = recs.find((r) => r.item === item('tea'))!
    expect(tea.reason).toBe('looked_at')
    expect(Array.from(tea.evidence)).toEqual([item('tea')])
    expect(recs.find((r) => r.item === item('mug'))!.reason).toBe('buy_again')
  })

  it('hides looked_at and buy_again separately', () => {
    const history = shopper(['tea', 2, false], ['mug', 3, true])
    const noLooks = recommendPersonal(model, history, {
      now: NOW,
      limit: 5,
      guards: { hiddenReasons: ['looked_at'] },
    })
    expect(noLooks.map((r) => r.reason)).not.toContain('looked_at')
    expect(noLooks.some((r) => r.reason === 'buy_again')).toBe(true)
  })

  it('says "right now" of a popular item only when recent popularity chose it', () => {
    const allTime = recommendPersonal(model, shopper(), {
      now: NOW,
      limit: 3,
      params: { popularityWeight: 1, popularityRecent: 0 },
    })
    expect(allTime.filter((r) => r.score > 0).every((r) => r.recent === false)).toBe(true)
    const recent = recommendPersonal(model, shopper(), {
      now: NOW,
      limit: 3,
      params: { popularityWeight: 1, popularityRecent: 1 },
    })
    expect(recent[0]!.recent).toBe(true)
    for (const r of recent) expect(r.recent).toBe(model.recentSubjects[r.item]! > 0)
  })
})

describe('the page item at the off level', () => {
  it("leads with the item's bought-together items, each naming it, and mixes the rest", () => {
    const plain = recommendNonPersonal(model, { limit: 4 })
    const onMug = recommendNonPersonal(model, {
      limit: 4,
      item: item('mug'),
      guards: { context: [item('mug')] },
    })
    expect(onMug).not.toEqual(plain)
    expect(onMug[0]).toMatchObject({ item: item('saucer'), reason: 'bought_with_item' })
    expect(Array.from(onMug[0]!.evidence)).toEqual([item('mug')])
    expect(names(onMug)).not.toContain('mug')
    expect(new Set(onMug.map((r) => r.reason)).size).toBeGreaterThan(1)
    const onCandle = recommendNonPersonal(model, { limit: 4, item: item('candle') })
    expect(onCandle[0]).toMatchObject({ item: item('matches'), reason: 'bought_with_item' })
  })

  it('passes the page item through to the session level with its evidence', () => {
    const off = recommendNonPersonal(model, { limit: 10, item: item('candle') })
    const recs = recommendSession(model, [item('tea')], {
      limit: 3,
      off,
      params: { neighbourWeight: 0, offWeight: 1 },
    })
    expect(recs[0]).toMatchObject({ item: item('matches'), reason: 'bought_with_item' })
    expect(Array.from(recs[0]!.evidence)).toEqual([item('candle')])
  })
})

describe('mixReasons', () => {
  const rec = (i: number, score: number, reason: ReasonKind): Recommendation => ({
    item: i,
    score,
    reason,
    evidence: new Int32Array(0),
  })

  it('breaks a run of one reason with a near-tie, and keeps the items', () => {
    const recs = [
      rec(1, 1, 'buy_again'),
      rec(2, 0.99, 'buy_again'),
      rec(3, 0.98, 'buy_again'),
      rec(4, 0.95, 'bought_together'),
    ]
    const mixed = mixReasons(recs)
    expect(mixed.map((r) => r.item)).toEqual([1, 2, 4, 3])
    expect(new Set(mixed)).toEqual(new Set(recs))
  })

  it('never moves an item ahead of one scored more than 25% higher', () => {
    const recs = [rec(1, 1, 'buy_again'), rec(2, 1, 'buy_again'), rec(3, 1, 'buy_again')]
    expect(mixReasons([...recs, rec(4, 0.5, 'popular')]).map((r) => r.item)).toEqual([1, 2, 3, 4])
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.double({ min: 0.01, max: 1, noNaN: true }), fc.constantFrom(...REASON_KINDS)),
          {
            maxLength: 30,
          },
        ),
        (rows) => {
          const sorted = rows
            .map(([score, reason], i) => rec(i, score, reason))
            .sort((a, b) => b.score - a.score)
          const mixed = mixReasons(sorted)
          expect(mixed.map((r) => r.item).sort()).toEqual(sorted.map((r) => r.item).sort())
          // Each item is behind only items within 25% of it or better scored.
          mixed.forEach((r, k) => {
            for (const later of mixed.slice(k + 1))
              expect(r.score).toBeGreaterThanOrEqual(0.75 * later.score - 1e-12)
          })
        },
      ),
    )
  })
})

describe("new items in the shopper's categories", () => {
  // Items 0..n-1 from the tea shop; two new ones listed yesterday with nobody's history.
  const grown = withItems(model, model.nItems + 2)
  const lamp = model.nItems
  const pot = model.nItems + 1
  const firstSeen = new Float64Array(grown.nItems).fill(NOW - 300 * DAY)
  firstSeen[lamp] = NOW - DAY
  firstSeen[pot] = NOW - 2 * DAY
  const categoryOf = new Int32Array(grown.nItems).fill(0) // 0: kitchen
  categoryOf[item('candle')] = 1 // 1: home
  categoryOf[item('matches')] = 1
  categoryOf[lamp] = 1

  it('gives a new item in the category of what the shopper looked at a bounded place', () => {
    const history = shopper(['candle', 1, false], ['tea', 5, true])
    const recs = addNewInCategory(
      grown,
      recommendPersonal(grown, history, { now: NOW, limit: 10 }),
      history.items,
      {
        categoryOf,
        firstSeen,
        now: NOW,
        limit: 10,
      },
    )
    expect(recs.length).toBeLessThanOrEqual(10)
    const cold = recs.filter((r) => r.reason === 'new_in_category')
    expect(cold.map((r) => r.item)).toEqual([lamp, pot]) // 2 places in 10, newest first
    expect(Array.from(cold[0]!.evidence)).toEqual([item('candle')])
    expect(Array.from(cold[1]!.evidence)).toEqual([item('tea')])
  })

  it('gives none without a matching category, and none when hidden', () => {
    const history = shopper(['candle', 1, false])
    const onlyHome = new Int32Array(grown.nItems).fill(-1)
    onlyHome[item('candle')] = 1
    onlyHome[pot] = 0
    const recs = recommendPersonal(grown, history, { now: NOW, limit: 10 })
    expect(
      addNewInCategory(grown, recs, history.items, {
        categoryOf: onlyHome,
        firstSeen,
        now: NOW,
        limit: 10,
      }),
    ).toEqual(recs)
    expect(
      addNewInCategory(grown, recs, history.items, {
        categoryOf,
        firstSeen,
        now: NOW,
        limit: 10,
        guards: { hiddenReasons: ['new_in_category'] },
      }),
    ).toEqual(recs)
  })
})

/** Checks every reason of `recs` against what the shopper actually has. */
function checkTruth(
  m: ItemModel,
  recs: readonly Recommendation[],
  facts: {
    history: History
    session: readonly number[]
    page: number | undefined
    categoryOf: Int32Array
    hidden: readonly ReasonKind[]
    popularityRecent?: number
  },
): void {
  const had = new Set(facts.history.items)
  const bought = new Set(
    Array.from(facts.history.items).filter((_, p) => facts.history.bought![p] === 1),
  )
  const visit = new Set(facts.session)
  for (const r of recs) {
    const evidence = Array.from(r.evidence)
    expect(facts.hidden).not.toContain(r.reason)
    switch (r.reason) {
      case 'buy_again':
        expect(bought.has(r.item)).toBe(true)
        expect(evidence).toEqual([r.item])
        break
      case 'looked_at':
        expect(had.has(r.item) && !bought.has(r.item)).toBe(true)
        expect(evidence).toEqual([r.item])
        break
      case 'bought_together':
        expect(evidence.length).toBeGreaterThan(0)
        for (const e of evidence) expect(had.has(e)).toBe(true)
        break
      case 'similar_to_viewed':
        expect(evidence.length).toBeGreaterThan(0)
        for (const e of evidence) expect(visit.has(e)).toBe(true)
        break
      case 'bought_with_item': {
        expect(evidence).toEqual([facts.page])
        const { ptr, cols } = m.neighbours
        expect(Array.from(cols.subarray(ptr[facts.page!], ptr[facts.page! + 1]))).toContain(r.item)
        break
      }
      case 'new_in_category':
        expect(m.itemSubjects[r.item]).toBe(0)
        expect(evidence.length).toBeGreaterThan(0)
        for (const e of evidence) {
          expect(had.has(e) || visit.has(e)).toBe(true)
          expect(facts.categoryOf[e]).toBe(facts.categoryOf[r.item])
        }
        break
      case 'popular':
        if (r.recent === true) expect(m.recentSubjects[r.item]).toBeGreaterThan(0)
        if (r.score > 0 && facts.popularityRecent !== undefined && facts.popularityRecent < 0.5)
          expect(r.recent).toBe(false)
        expect(evidence).toEqual([])
        break
      default:
        expect(evidence).toEqual([])
    }
  }
}

describe('every reason is true of the shopper (property)', () => {
  const event = fc.record({
    item: fc.nat(41),
    daysAgo: fc.integer({ min: 0, max: 120 }),
    type: fc.constantFrom('view', 'cart', 'purchase'),
  })
  it('holds at the personal, session and off levels for random shoppers', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.array(event, { maxLength: 25 }),
        fc.array(fc.nat(41), { maxLength: 6 }),
        fc.option(fc.nat(39), { nil: undefined }),
        fc.subarray([...REASON_KINDS], { maxLength: 3 }),
        fc.record({
          otherWeight: fc.constantFrom(0.1, 0.5, 2),
          popularityWeight: fc.constantFrom(0, 0.5, 2),
          popularityRecent: fc.constantFrom(0, 0.3, 1),
          easeWeight: fc.constantFrom(0, 0.5, 1),
        }),
        fc.array(fc.integer({ min: -1, max: 3 }), { minLength: 42, maxLength: 42 }),
        (seed, events, session, page, hidden, params, categories) => {
          // 40 items with histories, 2 new ones (indices 40, 41) nobody has yet.
          // With an EASE component on the 20 most held items when easeWeight is above 0.
          const easeItems = params.easeWeight > 0 ? 20 : 0
          const trained = trainItemModel(syntheticShop(seed, 80, 40), {
            now: NOW,
            params: { easeItems },
          })
          const m = withItems(trained, 42)
          const categoryOf = Int32Array.from(categories)
          const firstSeen = new Float64Array(42).fill(NOW - 300 * DAY)
          firstSeen[40] = NOW - DAY
          firstSeen[41] = NOW - 3 * DAY
          const history = createHistory(
            events.map((e) => e.item),
            events.map((e) => NOW - e.daysAgo * DAY),
            events.map((e) => ({ view: 0.25, cart: 0.5, purchase: 1 })[e.type]),
            events.map((e) => (e.type === 'purchase' ? 1 : 0)),
          )
          const guards = {
            hiddenReasons: hidden,
            ...(page === undefined ? {} : { context: [page] }),
          }
          const facts = { history, session, page, categoryOf, hidden }
          const cold = { categoryOf, firstSeen, now: NOW, limit: 12, guards }
          const personal = recommendPersonal(m, history, { now: NOW, limit: 12, guards, params })
          checkTruth(m, addNewInCategory(m, personal, history.items, cold), {
            ...facts,
            popularityRecent: params.popularityRecent,
          })
          const off = recommendNonPersonal(m, {
            limit: 100,
            guards,
            firstSeen,
            now: NOW,
            ...(page === undefined ? {} : { item: page }),
          })
          checkTruth(m, off, facts)
          const visit = recommendSession(m, session, {
            limit: 12,
            guards,
            off,
            params: { offWeight: 0.5 },
          })
          checkTruth(m, addNewInCategory(m, visit, session, cold), facts)
        },
      ),
      { numRuns: 60 },
    )
  })
})
