import { describe, expect, it } from 'vitest'
import { createHistory } from './interactions.js'
import { trainItemModel } from './item-model.js'
import {
  recommendNonPersonal,
  recommendPersonal,
  recommendSession,
  scoreTrending,
  type Recommendation,
} from './scoring.js'
import { DAY, fromRows, NOW } from './test-data.test-helper.js'

// A tea shop: mug+saucer are bought together, candles with matches, and "tea" is rebought.
const shop = fromRows([
  ['u1', 'mug', 40],
  ['u1', 'saucer', 40],
  ['u1', 'tea', 40],
  ['u2', 'mug', 20],
  ['u2', 'saucer', 20],
  ['u2', 'teapot', 20],
  ['u3', 'mug', 10],
  ['u3', 'saucer', 10],
  ['u3', 'tea', 10],
  ['u3', 'tea', 3],
  ['u4', 'candle', 8],
  ['u4', 'matches', 8],
  ['u5', 'candle', 6],
  ['u5', 'matches', 6],
  ['u5', 'tea', 6],
  ['u5', 'tea', 2],
  ['u6', 'teapot', 1],
  ['u6', 'tea', 1],
  ['u7', 'remedy', 2],
  ['u7', 'mug', 2],
])
const { item, name } = shop
const model = trainItemModel(shop.interactions, { now: NOW, params: { recentDays: 14 } })
const mask = (...names: string[]): Uint8Array => {
  const m = new Uint8Array(model.nItems)
  for (const n of names) m[item(n)] = 1
  return m
}
const history = (...rows: [string, number][]) =>
  createHistory(
    rows.map((r) => item(r[0])),
    rows.map((r) => NOW - r[1] * DAY),
  )
const names = (recs: Recommendation[]) => recs.map((r) => name(r.item))
const byName = (recs: Recommendation[], n: string) => recs.find((r) => r.item === item(n))

describe('recommendPersonal', () => {
  const shopper = history(['mug', 5], ['tea', 30], ['tea', 4])

  it('puts the repeat purchase first and explains it as buy_again with itself as evidence', () => {
    const recs = recommendPersonal(model, shopper, { now: NOW, limit: 3 })
    expect(recs[0]!.item).toBe(item('tea'))
    expect(recs[0]!.reason).toBe('buy_again')
    expect(Array.from(recs[0]!.evidence)).toEqual([item('tea')])
  })

  it('explains a neighbour with the history items that link to it, strongest first', () => {
    const recs = recommendPersonal(model, shopper, { now: NOW, limit: 6 })
    const saucer = byName(recs, 'saucer')!
    expect(saucer.reason).toBe('bought_together')
    expect(Array.from(saucer.evidence).map(name)).toEqual(['mug', 'tea'])
    expect(recs.indexOf(saucer)).toBeLessThan(3)
  })

  it('never recommends blocked, hidden or context items', () => {
    const recs = recommendPersonal(model, shopper, {
      now: NOW,
      limit: model.nItems,
      guards: { blocked: mask('saucer'), hiddenItems: [item('tea')], context: [item('teapot')] },
    })
    expect(names(recs)).not.toContain('saucer')
    expect(names(recs)).not.toContain('tea')
    expect(names(recs)).not.toContain('teapot')
    expect(recs.length).toBe(model.nItems - 3)
  })

  it('drops a hidden reason kind entirely', () => {
    const recs = recommendPersonal(model, shopper, {
      now: NOW,
      limit: 5,
      guards: { hiddenReasons: ['buy_again'] },
    })
    expect(recs.every((r) => r.reason !== 'buy_again')).toBe(true)
    const onlyRepeat = recommendPersonal(model, shopper, {
      now: NOW,
      limit: 5,
      guards: { hiddenReasons: ['bought_together', 'popular'] },
    })
    expect(onlyRepeat.map((r) => r.reason)).toEqual(['buy_again', 'buy_again'])
  })

  it('never uses an excluded item as evidence or as a signal', () => {
    const sensitive = history(['remedy', 1])
    const plain = recommendPersonal(model, sensitive, { now: NOW, limit: 3 })
    expect(plain[0]!.item).toBe(item('remedy'))
    const guarded = recommendPersonal(model, sensitive, {
      now: NOW,
      limit: 3,
      guards: { excluded: mask('remedy'), blocked: mask('remedy') },
    })
    expect(guarded.every((r) => r.reason === 'popular' && r.evidence.length === 0)).toBe(true)
    const mixed = recommendPersonal(model, history(['remedy', 1], ['candle', 2]), {
      now: NOW,
      limit: model.nItems,
      guards: { excluded: mask('remedy') },
    })
    for (const r of mixed) expect(Array.from(r.evidence)).not.toContain(item('remedy'))
  })

  it('reads new events live, without retraining', () => {
    const before = recommendPersonal(model, history(['mug', 5]), { now: NOW, limit: 1 })
    const after = recommendPersonal(model, history(['mug', 5], ['candle', 0]), {
      now: NOW,
      limit: 3,
    })
    expect(names(before)).not.toContain('matches')
    expect(names(after)).toContain('matches')
  })

  it('tops up an empty history with popular items', () => {
    const recs = recommendPersonal(model, history(), { now: NOW, limit: 2 })
    expect(recs.map((r) => r.reason)).toEqual(['popular', 'popular'])
  })
})

describe('recommendSession', () => {
  it('recommends neighbours of the session items with them as evidence', () => {
    const recs = recommendSession(model, [item('candle')], { limit: 1 })
    expect(names(recs)).toEqual(['matches'])
    expect(recs[0]!.reason).toBe('similar_to_viewed')
    expect(Array.from(recs[0]!.evidence)).toEqual([item('candle')])
  })

  it('weighs the most recent session item more', () => {
    const options = { limit: 1, params: { recencyDecay: 0.3 }, guards: { blocked: mask('remedy') } }
    const a = recommendSession(model, [item('candle'), item('mug')], options)
    const b = recommendSession(model, [item('mug'), item('candle')], options)
    expect(names(a)).toEqual(['saucer'])
    expect(names(b)).toEqual(['matches'])
  })

  it("mixes in the off answer as far as offWeight says, with the off items' own reasons", () => {
    const firstSeen = new Float64Array(model.nItems).fill(NOW - 300 * DAY)
    const off = recommendNonPersonal(model, { limit: 10, firstSeen, now: NOW })
    const session = [item('candle')]
    const plain = recommendSession(model, session, { limit: 3, off })
    // The model's default offWeight is 0: the off answer changes nothing.
    expect(plain).toEqual(recommendSession(model, session, { limit: 3 }))
    const onlyOff = recommendSession(model, session, {
      limit: 3,
      off,
      params: { neighbourWeight: 0, offWeight: 1 },
    })
    expect(onlyOff.map((r) => [r.item, r.reason])).toEqual(
      off.slice(0, 3).map((r) => [r.item, r.reason]),
    )
    const mixed = recommendSession(model, session, {
      limit: 3,
      off,
      params: { neighbourWeight: 1, offWeight: 0.5 },
    })
    expect(mixed[0]!.reason).toBe('similar_to_viewed')
    expect(mixed.some((r) => r.reason !== 'similar_to_viewed')).toBe(true)
  })

  it('ignores excluded session items', () => {
    const recs = recommendSession(model, [item('remedy')], {
      limit: 2,
      guards: { excluded: mask('remedy') },
    })
    expect(recs.every((r) => r.reason === 'popular')).toBe(true)
  })
})

describe('recommendNonPersonal', () => {
  it('uses nothing personal and interleaves popular, trending and new', () => {
    const firstSeen = new Float64Array(model.nItems).fill(NOW - 300 * DAY)
    firstSeen[item('matches')] = NOW - 7 * DAY
    const recs = recommendNonPersonal(model, {
      limit: 5,
      firstSeen,
      now: NOW,
      mix: { popular: 1, trending: 1, new: 1 },
    })
    expect(recs[0]!.reason).toBe('popular')
    expect(recs.some((r) => r.reason === 'new' && r.item === item('matches'))).toBe(true)
    expect(new Set(recs.map((r) => r.item)).size).toBe(recs.length)
    expect(recs.every((r) => r.evidence.length === 0)).toBe(true)
  })

  it('scores as trending only items rising over the earlier window', () => {
    const trending = scoreTrending(model, 1)
    // tea: 4 subjects in the last 14 days against 0 before; saucer only earlier.
    expect(trending[item('tea')]).toBeGreaterThan(0)
    expect(trending[item('saucer')]).toBe(0)
  })

  it('respects blocked items', () => {
    const recs = recommendNonPersonal(model, {
      limit: model.nItems,
      guards: { blocked: mask('tea') },
    })
    expect(names(recs)).not.toContain('tea')
  })
})
